// Opens a generated report HTML file in headless Chromium: fails on any
// console error, page error or failed request (the file must be
// self-contained), prints the headings, saves an A4 PDF print and a
// screenshot to $ARTIFACTS. Run by tests/integration/reports.rs.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const file = process.env.REPORT_HTML;
const artifacts = process.env.ARTIFACTS;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1400 }, locale: 'zh-TW' });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url().slice(0, 120)}`));
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`external request: ${r.url()}`); });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const images = await page.$$eval('img', (imgs) => imgs.map((i) => [i.alt, i.complete, i.naturalWidth]));
  for (const [alt, complete, width] of images) {
    if (!complete || width === 0) problems.push(`image not shown: ${alt}`);
  }
  if (images.length < 6) problems.push(`only ${images.length} charts`);
  const headings = await page.$$eval('h1, h2', (hs) => hs.map((h) => h.textContent.trim()));
  console.log(JSON.stringify({ headings, images: images.length }));
  await page.screenshot({ path: join(artifacts, 'report-top.png') });
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: join(artifacts, 'report-chromium-print.pdf'), format: 'A4' });
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
