// Drives the counter kiosk in headless Chromium against a real manyi server
// that this script starts, kills and restarts itself: enrolment, a complete
// questionnaire in zh-TW and one in English, the idle reset, and the offline
// path (server down, answer given, server back, answer arrives once).
// Screenshots go to $ARTIFACTS; a JSON summary goes to stdout.
// Run by tests/integration/browser.rs, which then checks the database.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// Injected through the DevTools protocol, which the pages' CSP does not govern.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const bin = process.env.SERVER_BIN;
const args = JSON.parse(process.env.SERVER_ARGS);
const port = process.env.PORT;
const base = `http://127.0.0.1:${port}`;
const code = process.env.ENROL_CODE;
const idle = Number(process.env.IDLE_SECONDS);
const artifacts = process.env.ARTIFACTS;
mkdirSync(artifacts, { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server = null;
async function startServer() {
  server = spawn(bin, args, { env: { ...process.env, RUST_LOG: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    try { const r = await fetch(`${base}/healthz`); if (r.ok) return; } catch (e) { /* not up yet */ }
    await sleep(100);
  }
  throw new Error('server did not start');
}
async function killServer() {
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGKILL');
  await exited;
  server = null;
}

const problems = [];
const summary = {};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  await startServer();
  const context = await browser.newContext({ viewport: { width: 1180, height: 820 }, locale: 'zh-TW' });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Failed fetches while the server is down are expected; nothing else is.
    if (m.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|Failed to fetch/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  // WCAG 2.1 A/AA rules of axe-core on what is on screen now.
  const axeCheck = async (label) => {
    await page.evaluate(axeSource);
    const r = await page.evaluate(() => axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }));
    for (const v of r.violations) {
      problems.push(`axe ${label}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    summary.axeChecks = (summary.axeChecks || 0) + 1;
  };
  const shot = (name) => page.screenshot({ path: join(artifacts, `kiosk-${name}.png`), fullPage: true });
  const queueLength = () => page.evaluate(() => JSON.parse(localStorage.getItem('manyi.queue') || '[]').length);
  const waitQueueEmpty = async (seconds) => {
    for (let i = 0; i < seconds * 10; i++) { if (await queueLength() === 0) return; await sleep(100); }
    throw new Error('the queued answer was never acknowledged');
  };
  async function answerAll(score, comment) {
    for (const fs of await page.locator('fieldset[data-kind="likert5"]').all()) {
      const key = await fs.getAttribute('data-item');
      const value = key === 'volunteer_attitude' ? 'na' : String(score);
      await fs.locator(`label:has(input[value="${value}"])`).click();
    }
    await page.locator('fieldset[data-kind="service_type"] label:has(input[value="transcript"])').click();
    await page.fill('textarea[name="comment"]', comment);
  }

  // Enrolment: the code from the console turns this tablet into a kiosk.
  await page.goto(`${base}/kiosk`);
  await page.waitForSelector('text=此平板尚未啟用');
  await axeCheck('enrol page');
  await page.goto(`${base}/kiosk/enrol?code=${code}`);
  await page.waitForSelector('#start');
  await shot('1-welcome');
  await axeCheck('welcome');

  // A complete questionnaire in Traditional Chinese.
  await page.click('#start');
  await page.waitForSelector('text=櫃檯人員服務態度');
  await axeCheck('questionnaire zh-TW');
  // Keyboard: focus lands on the first question; arrows choose within a group.
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.name);
  if (focused !== 'service_type') throw new Error(`focus after start is on ${focused}`);
  await page.keyboard.press('ArrowRight');
  if (await page.locator('input[name="service_type"]:checked').count() !== 1) throw new Error('arrow keys do not choose');
  const box = await page.locator('fieldset[data-kind="likert5"] label.opt').first().boundingBox();
  summary.touchTarget = [Math.round(box.width), Math.round(box.height)];
  // The 5-point scale is one row in reading order on a phone, a portrait tablet and here.
  const oneRow = async (label) => {
    const boxes = [];
    for (const l of await page.locator('fieldset[data-item="staff_attitude"] label.face-opt').all()) boxes.push(await l.boundingBox());
    if (boxes.length !== 5) throw new Error(`${label}: ${boxes.length} faces`);
    for (let i = 1; i < 5; i++) {
      if (Math.abs(boxes[i].y - boxes[0].y) > 1 || boxes[i].x <= boxes[i - 1].x) throw new Error(`${label}: the scale breaks into rows`);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    if (overflow) throw new Error(`${label}: the page scrolls sideways`);
  };
  for (const [w, h, label] of [[360, 740, 'phone'], [800, 1280, 'tablet-portrait'], [1180, 820, 'tablet-landscape'], [1280, 800, 'desktop']]) {
    await page.setViewportSize({ width: w, height: h });
    await oneRow(label);
    await page.locator('fieldset[data-item="staff_attitude"]').screenshot({ path: join(artifacts, `kiosk-scale-${label}.png`) });
  }
  summary.scaleOneRow = true;
  // Submitting with nothing answered names each missing question, in words, at
  // the question and in a list; focus goes to the first; the marks follow the answers.
  await page.click('#submit');
  if (!(await page.locator('#form-error').isVisible())) throw new Error('missing answers not flagged');
  if (!(await page.locator('#miss-staff_attitude').innerText()).includes('此題必答')) throw new Error('the missing question does not say so in words');
  if (!(await page.locator('#missing-list').innerText()).includes('櫃檯人員服務態度')) throw new Error('the list does not name the missing question');
  const [focusedMissing, firstMissing] = await page.evaluate(() => [
    document.activeElement && document.activeElement.name,
    document.querySelector('[data-item].missing').getAttribute('data-item')]);
  if (focusedMissing !== firstMissing) throw new Error(`focus after a refused send is on ${focusedMissing}, not ${firstMissing}`);
  await shot('1b-missing-named');
  await page.locator('fieldset[data-item="staff_attitude"] label:has(input[value="4"])').click();
  if (await page.locator('#miss-staff_attitude').isVisible()) throw new Error('the message stays after the answer');
  if (await page.locator('.missing-msg:visible').count() === 0) throw new Error('the unanswered questions lost their messages');
  await answerAll(5, '服務親切，辦理快速');
  await shot('2-answered-zh');
  await page.click('#submit');
  await page.waitForSelector('#thanks:not([hidden])');
  await shot('3-thanks-zh');
  await waitQueueEmpty(10);
  await page.waitForSelector('#welcome:not([hidden])', { timeout: 10000 });

  // In English, with low scores.
  await page.click('#start');
  await page.click('#lang-toggle');
  await page.waitForSelector('text=Courtesy of the counter staff');
  await axeCheck('questionnaire en');
  const lang = await page.getAttribute('html', 'lang');
  if (lang !== 'en') throw new Error(`html lang ${lang}`);
  await answerAll(2, 'Waited too long');
  await shot('4-answered-en');
  await page.click('#submit');
  await page.waitForSelector('text=Thank you for your feedback!');
  await shot('5-thanks-en');
  await waitQueueEmpty(10);
  await page.waitForSelector('#welcome:not([hidden])', { timeout: 10000 });
  if (await page.getAttribute('html', 'data-lang') !== 'zh-TW') throw new Error('language not reset for the next citizen');

  // Idle reset: a half-answered questionnaire is wiped after the idle time.
  await page.click('#start');
  await page.locator('fieldset[data-item="staff_attitude"] label:has(input[value="4"])').click();
  await shot('6-half-answered');
  // Before the reset: "Still there?" with a countdown; continuing keeps the answers.
  await page.waitForSelector('#still-there:not([hidden])', { timeout: (idle + 5) * 1000 });
  if (!(await page.locator('#still-there').innerText()).includes('還在嗎')) throw new Error('the idle prompt does not ask');
  await shot('6b-still-there');
  await axeCheck('idle prompt');
  await page.click('#still-continue');
  if (await page.locator('#still-there').isVisible()) throw new Error('the prompt stays after continue');
  if (await page.locator('input:checked').count() !== 1) throw new Error('continuing lost the answers');
  summary.idlePrompt = true;
  const t0 = Date.now();
  await page.waitForSelector('#welcome:not([hidden])', { timeout: (idle + 10) * 1000 });
  summary.idleResetAfterSeconds = Math.round((Date.now() - t0) / 1000);
  await page.click('#start');
  if (await page.locator('input:checked').count() !== 0) throw new Error('the last answers survived the idle reset');
  await shot('7-after-idle-reset');

  // Offline: the server goes down, the citizen answers, the server comes back.
  await killServer();
  await answerAll(4, '斷線時填寫');
  await page.click('#submit');
  await page.waitForSelector('#thanks:not([hidden])');
  await sleep(500);
  summary.queuedWhileDown = await queueLength();
  await shot('8-offline-thanks');
  await page.waitForSelector('#welcome:not([hidden])', { timeout: 10000 });
  await shot('9-offline-pending');
  await startServer();
  await waitQueueEmpty(30);
  summary.deliveredAfterRestart = true;
  await context.close();
} catch (e) {
  problems.push(String((e && e.stack) || e));
} finally {
  await browser.close();
  if (server) await killServer();
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(JSON.stringify(summary));
