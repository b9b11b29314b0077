// Drives the staff console in headless Chromium: log in, see the dashboard,
// switch to English, log out. Screenshots go to $ARTIFACTS. Fails on any
// browser console error or failed step. Run by tests/integration/browser.rs.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// Injected through the DevTools protocol, which the pages' CSP does not govern.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const base = process.env.BASE_URL;
const username = process.env.MANYI_USER;
const password = process.env.MANYI_PASSWORD;
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
  for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['tablet', { width: 800, height: 1280 }], ['phone', { width: 360, height: 740 }]]) {
    const context = await browser.newContext({ viewport, locale: 'zh-TW' });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${name} console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${name} page error: ${e.message}`));
    const axeCheck = async (label) => {
      await page.evaluate(axeSource);
      const r = await page.evaluate(() => axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      }));
      for (const v of r.violations) {
        problems.push(`${name} axe ${label}: ${v.id} ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      }
    };
    const expectText = async (selector, text) => {
      const got = await page.locator(selector).first().innerText();
      if (!got.includes(text)) throw new Error(`${name}: expected "${text}" in ${selector}, got "${got}"`);
    };

    await page.goto(`${base}/console`);
    if (!page.url().includes('/login')) throw new Error(`${name}: not sent to login: ${page.url()}`);
    await expectText('h1', '員工登入');
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.screenshot({ path: join(artifacts, `${name}-1-login.png`), fullPage: true });
    await axeCheck('login');
    await Promise.all([page.waitForURL(/\/console$/), page.click('#login-submit')]);
    await expectText('h1', '儀表板');
    await expectText('#dashboard', '金門縣金沙鎮戶政事務所');
    await page.screenshot({ path: join(artifacts, `${name}-2-dashboard-zh.png`), fullPage: true });
    await axeCheck('dashboard');

    // Every console page this role opens: no cell too narrow to read, no
    // sideways scrolling of the page (wide tables scroll in their own region).
    for (const path of ['/console', '/console/cases', '/console/alerts', '/console/analytics', '/console/reports',
                        '/console/forms', '/console/kiosks', '/console/offices', '/console/users', '/console/audit',
                        '/console/password']) {
      const res = await page.goto(`${base}${path}`);
      if (res.status() >= 400) continue;
      const narrow = await page.evaluate(() => Array.from(document.querySelectorAll('main td, main th'))
        .filter((c) => c.textContent.trim().length > 1 && c.getBoundingClientRect().width < 48).length);
      if (narrow) problems.push(`${name} ${path}: ${narrow} cells too narrow to read`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      if (overflow) problems.push(`${name} ${path}: the page scrolls sideways`);
      await page.screenshot({ path: join(artifacts, `${name}-page${path.replaceAll('/', '-')}.png`), fullPage: true });
      await axeCheck(path);
    }
    await page.goto(`${base}/console`);
    await Promise.all([page.waitForLoadState('load'), page.click('#lang-switch')]);
    await page.waitForSelector('text=Dashboard');
    await expectText('h1', 'Dashboard');
    await expectText('html', 'Overall satisfaction this month');
    const lang = await page.getAttribute('html', 'lang');
    if (lang !== 'en') throw new Error(`${name}: html lang is ${lang}`);
    await page.screenshot({ path: join(artifacts, `${name}-3-dashboard-en.png`), fullPage: true });

    await Promise.all([page.waitForURL(/\/login/), page.click('#logout')]);
    await expectText('#login-message', 'You have logged out.');
    await page.screenshot({ path: join(artifacts, `${name}-4-logged-out.png`), fullPage: true });
    await page.goto(`${base}/console`);
    if (!page.url().includes('/login')) throw new Error(`${name}: still logged in after logout`);
    await context.close();
  }
} catch (e) {
  problems.push(String(e && e.stack || e));
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('browser: console flow passed');
