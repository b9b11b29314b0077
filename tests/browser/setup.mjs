// Setting up a real office and working in the analysis page, in headless
// Chromium. PHASE=setup: the administrator creates the office, its counters
// and staff members through the console's forms. PHASE=analysis: each of
// $USERS (director, research, county) opens the analysis page at phone,
// tablet and desktop sizes and reads the figures. axe-core's WCAG 2.1 AA
// rules on every page; screenshots in $ARTIFACTS. Run by
// tests/integration/browser.rs.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const base = process.env.BASE_URL;
const phase = process.env.PHASE;
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
const sizes = [['phone', { width: 390, height: 844 }], ['tablet', { width: 800, height: 1100 }], ['desktop', { width: 1280, height: 900 }]];

async function open(viewport, label) {
  const context = await browser.newContext({ viewport, locale: 'zh-TW' });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${label} console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${label} page error: ${e.message}`));
  return { context, page };
}

async function axeCheck(page, label) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  for (const v of r.violations) {
    problems.push(`axe ${label}: ${v.id} ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
}

async function login(page, username) {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/console/), page.click('#login-submit')]);
}

async function expectText(page, selector, text, label) {
  const got = await page.locator(selector).first().innerText();
  if (!got.includes(text)) throw new Error(`${label}: expected "${text}" in ${selector}, got "${got.slice(0, 400)}"`);
}

try {
  if (phase === 'setup') {
    const { context, page } = await open(sizes[2][1], 'setup');
    await login(page, 'admin');
    await expectText(page, '#first-run', '設定第一個事務所', 'first run on the dashboard');
    await page.screenshot({ path: join(artifacts, 'setup-1-first-run.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/console\/offices/), page.click('#first-run a')]);
    await expectText(page, '#first-run', '開始使用', 'offices page');
    await axeCheck(page, 'offices (empty)');
    await page.fill('#of-code', 'jh');
    await page.fill('#of-name-zh', '金門縣金湖鎮戶政事務所');
    await page.fill('#of-name-en', 'Jinhu Household Registration Office');
    await page.fill('#of-county-zh', '金門縣');
    await page.fill('#of-county-en', 'Kinmen County');
    await page.fill('#of-phone', '082-332011');
    await page.screenshot({ path: join(artifacts, 'setup-2-new-office.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/console\/offices\/JH/), page.click('#office-form button[type=submit]')]);
    await expectText(page, '[role=status]', '事務所已建立', 'office created');
    for (const [code, name] of [['1', '1 號櫃檯'], ['2', '2 號櫃檯']]) {
      await page.fill('#ct-code', code);
      await page.fill('#ct-name-zh', name);
      await Promise.all([page.waitForURL(/\/console\/offices\/JH/), page.click('#counter-form button[type=submit]')]);
    }
    for (const [code, name] of [['E01', '陳小姐'], ['E02', '林先生'], ['E03', '王小姐']]) {
      await page.fill('#sf-code', code);
      await page.fill('#sf-name', name);
      await Promise.all([page.waitForURL(/\/console\/offices\/JH/), page.click('#staff-form button[type=submit]')]);
    }
    await expectText(page, '#counter-list', '2 號櫃檯', 'counters');
    await expectText(page, '#staff-list', '王小姐', 'staff');
    await axeCheck(page, 'office page');
    await page.screenshot({ path: join(artifacts, 'setup-3-office.png'), fullPage: true });
    await context.close();
    for (const [name, viewport] of sizes) {
      const { context, page } = await open(viewport, `office ${name}`);
      await login(page, 'admin');
      await page.goto(`${base}/console/offices/JH`);
      await page.screenshot({ path: join(artifacts, `setup-4-office-${name}.png`), fullPage: true });
      await context.close();
    }
  } else if (phase === 'analysis') {
    for (const username of process.env.USERS.split(',')) {
      for (const [name, viewport] of sizes) {
        const label = `${username} ${name}`;
        const { context, page } = await open(viewport, label);
        await login(page, username);
        await page.goto(`${base}/console/analytics`);
        await expectText(page, 'h1', '滿意度分析', label);
        await page.selectOption('#an-scope', 'office:JH');
        await page.selectOption('#an-by', 'year,item');
        await Promise.all([page.waitForURL(/scope=office%3AJH/), page.click('#analytics-filters button')]);
        await expectText(page, '#figures-table', '民國112年', label);
        await expectText(page, '#figures-table', '80.0%', label);
        await expectText(page, '#figures-table', '70.0%', label);
        await expectText(page, 'main', '民國112年只有彙總計數', label);
        const charts = await page.locator('figure.chart svg').count();
        if (charts < 2) problems.push(`${label}: ${charts} charts drawn`);
        await axeCheck(page, `analysis ${label}`);
        await page.screenshot({ path: join(artifacts, `analysis-${username}-${name}.png`), fullPage: true });
        await context.close();
      }
    }
  } else {
    throw new Error(`PHASE must be setup or analysis, not ${phase}`);
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
console.log(`browser: ${phase} passed`);
