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
  // A refused action answers 400 with the page again: Chromium logs that
  // status, which is expected only while a refusal is being tested.
  let refusing = false;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (refusing && m.text().includes('status of 400')) return;
    problems.push(`console: ${m.text()}`);
  });
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
  // Search by words: the case is found by a word of its subject; nonsense finds nothing.
  await page.fill('#f-q', '午間');
  await Promise.all([page.waitForURL(/q=/), page.click('#f-submit')]);
  if (!(await page.locator('#open-cases').innerText()).includes(caseNo)) throw new Error('the search does not find the case');
  await page.fill('#f-q', '不存在的字詞');
  await Promise.all([page.waitForURL(/q=/), page.click('#f-submit')]);
  if (await page.locator('#open-cases').count() !== 0) throw new Error('nonsense found a case');
  await page.selectOption('#f-status', 'all');
  await page.fill('#f-q', '');
  await Promise.all([page.waitForURL(/status=all/), page.click('#f-submit')]);
  if ((await page.locator('#f-status').inputValue()) !== 'all') throw new Error('the filter is not kept');
  await axe('register search');
  await Promise.all([page.waitForURL(new RegExp(`/console/cases/${caseNo}$`)), page.click(`a[href="/console/cases/${caseNo}"]`)]);
  await page.waitForSelector('#history');
  await page.screenshot({ path: join(artifacts, 'cases-2-case-page.png'), fullPage: true });
  await axe('case page');
  // One form per action: accepting is open; not accepting asks for a confirmation first.
  if (!(await page.locator('#act-accept').getAttribute('open') !== null)) throw new Error('accept is not the open form');
  if (await page.locator('#form-close').count() !== 0) throw new Error('closing is offered on a received case');
  await page.click('#act-not_accept summary');
  await page.selectOption('#not_accept-legal-reason', { index: 1 });
  await page.fill('#not_accept-note', '先不處理');
  refusing = true;
  await Promise.all([page.waitForLoadState('load'), page.click('#not_accept-submit')]);
  await page.waitForSelector('#not_accept-confirm-error');
  refusing = false;
  if ((await page.locator('#not_accept-note').inputValue()) !== '先不處理') throw new Error('the note was lost');
  if ((await page.locator('#status').innerText()).trim() !== '已收件') throw new Error('the refused action changed the case');
  await page.screenshot({ path: join(artifacts, 'cases-2b-refused-in-place.png'), fullPage: true });
  await axe('refused action');
  // Accept with the default deadline: the safe action, one click once its form is open.
  await page.click('#act-accept summary');
  await Promise.all([page.waitForURL(new RegExp(`/console/cases/${caseNo}$`)), page.click('#accept-submit')]);
  await page.waitForSelector('#act-assign');
  if (!(await page.locator('#history').innerText()).includes('受理')) throw new Error('the history does not say 受理');

  // The case file prints as a clean A4 page: no menu, no forms, the facts and the history.
  await page.goto(`${base}/console/cases/${caseNo}`);
  await page.emulateMedia({ media: 'print' });
  const printed = await page.evaluate(() => {
    const shown = (sel) => Array.from(document.querySelectorAll(sel)).some((e) => e.offsetParent !== null);
    const words = document.querySelector('main').innerText;
    return { nav: shown('nav'), forms: shown('main form'), history: shown('#history'), status: shown('#status'),
             actions: /^處理$/m.test(words), back: words.includes('←') };
  });
  if (printed.nav || printed.forms || printed.actions || printed.back || !printed.history || !printed.status) throw new Error(`print view: ${JSON.stringify(printed)}`);
  await page.pdf({ path: join(artifacts, 'cases-case-file-a4.pdf'), format: 'A4', printBackground: false });
  await page.emulateMedia({ media: 'screen' });

  // A phone and a portrait tablet: the register and the case page fit, no cell one character wide.
  for (const [w, h, label] of [[360, 740, 'phone'], [800, 1280, 'tablet']]) {
    await page.setViewportSize({ width: w, height: h });
    for (const [path, name] of [['/console/cases?status=all', 'register'], [`/console/cases/${caseNo}`, 'case']]) {
      await page.goto(`${base}${path}`);
      const narrow = await page.evaluate(() => {
        const cells = Array.from(document.querySelectorAll('main td, main th')).filter((c) => c.textContent.trim().length > 1);
        return cells.filter((c) => c.getBoundingClientRect().width < 24).length;
      });
      if (narrow) throw new Error(`${label} ${name}: ${narrow} cells too narrow to read`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      if (overflow) throw new Error(`${label} ${name}: the page scrolls sideways`);
      await page.screenshot({ path: join(artifacts, `cases-${label}-${name}.png`), fullPage: true });
      await axe(`${label} ${name}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  // Alerts: a low rating arrives while the director reads the alerts page; the
  // badge counts it on every page, the row is acknowledged without a reload.
  await page.goto(`${base}/console/alerts`);
  await page.evaluate(() => { window.__stayed = true; });
  const low = {
    form: 'web', idempotency_key: `browser-alert-${Date.now()}`, channel: 'web', office: 'JS',
    answers: { services_used: ['booking'], info_complete: 4, info_findable: 1, online_ease: 4, page_speed: 2,
               accessibility: 4, overall: 3, recommend: 3, comment: '網頁一直當機' },
  };
  const posted = await fetch(`${base}/api/v1/responses`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(low) });
  if (posted.status !== 201) throw new Error(`the low response was refused: ${posted.status}`);
  await page.waitForSelector('#alerts tbody tr.new', { timeout: 15000 });
  const row = page.locator('#alerts tbody tr.new').first();
  const rowText = await row.innerText();
  if (!rowText.includes('網頁一直當機') || !rowText.includes('網路問卷')) throw new Error(`the live row lacks the comment or channel: ${rowText}`);
  await page.waitForFunction(() => document.getElementById('alert-badge').textContent === '1', null, { timeout: 10000 });
  await page.screenshot({ path: join(artifacts, 'cases-4-live-alert.png'), fullPage: true });
  await axe('alerts page with a live row');
  await row.locator('input[name="note"]').fill('已致電說明');
  await row.locator('button').click();
  await page.waitForFunction(() => !document.querySelector('#alerts tbody tr.open'), null, { timeout: 10000 });
  if (!(await page.evaluate(() => window.__stayed === true))) throw new Error('acknowledging reloaded the page');
  await page.waitForFunction(() => document.getElementById('alert-badge').hidden, null, { timeout: 15000 });
  await page.screenshot({ path: join(artifacts, 'cases-5-alert-acknowledged.png'), fullPage: true });
  // On another page the badge is there too, from the stream.
  const low2 = { ...low, idempotency_key: `browser-alert2-${Date.now()}` };
  await page.goto(`${base}/console/cases`);
  await fetch(`${base}/api/v1/responses`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(low2) });
  await page.waitForFunction(() => document.getElementById('alert-badge').textContent === '1', null, { timeout: 15000 });

  const citizen = await browser.newContext({ viewport: { width: 800, height: 1000 }, locale: 'zh-TW' });
  const p2 = await citizen.newPage();
  // The unknown addresses below answer 404 on purpose: Chromium logs that status.
  let missing = false;
  p2.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (missing && m.text().includes('status of 404')) return;
    problems.push(`citizen console: ${m.text()}`);
  });
  await p2.goto(`${base}/cases/lookup`);
  await p2.fill('#l-no', caseNo);
  await p2.fill('#l-secret', secret);
  await Promise.all([p2.waitForLoadState('load'), p2.click('#l-submit')]);
  await p2.waitForSelector('#case-status');
  const text = await p2.locator('main').innerText();
  if (text.includes('王小明')) throw new Error('personal data on the lookup page');
  if (!(await p2.locator('#case-status').innerText()).includes('已受理')) throw new Error('the status is not in words');
  if (!/民國\d+年\d+月\d+日/.test(text)) throw new Error('no ROC date on the lookup page');
  // Public errors are pages in words with a way forward, never JSON.
  missing = true;
  for (const path of ['/mailbox/NOPE', '/survey/NOPE/web', '/cases/nothing']) {
    const r = await p2.goto(`${base}${path}`);
    const body = await p2.locator('body').innerText();
    if (body.trim().startsWith('{') || !(await p2.locator('#ways-forward').count())) throw new Error(`${path} is not a page with a way forward`);
    if (r.status() !== 404) throw new Error(`${path}: ${r.status()}`);
  }
  missing = false;
  await p2.screenshot({ path: join(artifacts, 'cases-6-public-error.png'), fullPage: true });
  await p2.screenshot({ path: join(artifacts, 'cases-3-citizen-lookup.png'), fullPage: true });
} catch (e) {
  problems.push(String((e && e.stack) || e));
} finally {
  await browser.close();
}
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
console.log('cases flow passed');
