// The complaint register in headless Chromium: the director's view and a case
// page, then the citizen's lookup with the case number and code. Screenshots
// in $ARTIFACTS; fails on console errors or WCAG 2.1 AA violations (axe-core).
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const { BASE_URL: base, MANYI_USER: user, MANYI_PASSWORD: password, ARTIFACTS: artifacts,
        CASE_NO: caseNo, CASE_SECRET: secret } = process.env;
mkdirSync(artifacts, { recursive: true });
const problems = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-TW' });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const axe = async (label) => {
    await page.evaluate(axeSource);
    const r = await page.evaluate(() => axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
    for (const v of r.violations) problems.push(`axe ${label}: ${v.id} ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  };
  await page.goto(`${base}/login?next=/console/cases`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/console\/cases$/), page.click('#login-submit')]);
  await page.waitForSelector('#open-cases');
  if (!(await page.locator('#open-cases').innerText()).includes(caseNo)) throw new Error('the case is not in the director view');
  await page.screenshot({ path: join(artifacts, 'cases-1-director-view.png'), fullPage: true });
  await axe('director view');
  await Promise.all([page.waitForURL(new RegExp(`/console/cases/${caseNo}$`)), page.click(`a[href="/console/cases/${caseNo}"]`)]);
  await page.waitForSelector('#history');
  await page.screenshot({ path: join(artifacts, 'cases-2-case-page.png'), fullPage: true });
  await axe('case page');

  const citizen = await browser.newContext({ viewport: { width: 800, height: 1000 }, locale: 'zh-TW' });
  const p2 = await citizen.newPage();
  p2.on('console', (m) => { if (m.type() === 'error') problems.push(`citizen console: ${m.text()}`); });
  await p2.goto(`${base}/cases/lookup`);
  await p2.fill('#l-no', caseNo);
  await p2.fill('#l-secret', secret);
  await Promise.all([p2.waitForLoadState('load'), p2.click('#l-submit')]);
  await p2.waitForSelector('#case-status');
  const text = await p2.locator('main').innerText();
  if (text.includes('王小明')) throw new Error('personal data on the lookup page');
  await p2.screenshot({ path: join(artifacts, 'cases-3-citizen-lookup.png'), fullPage: true });
} catch (e) {
  problems.push(String((e && e.stack) || e));
} finally {
  await browser.close();
}
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
console.log('cases flow passed');
