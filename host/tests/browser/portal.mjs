// Drives the merchant portal in Debian's headless Chromium with playwright-core (never a
// downloaded browser): log in, filter the history by a means tab and a date range, download the
// CSV, block a POS, set a shop's update channel and pinned version; a full-page screenshot after
// each step. Run by till-host's `browser` test:
//
//   node portal.mjs '{"url":"http://127.0.0.1:1234","email":"...","pin":"...","pos":7,"shop":1,
//                     "tab":"cash","from":"2026-03-10","to":"2026-03-11",
//                     "channel":"beta","version":"0.4.0-beta.1","shots":"/path/dir"}'
//
// Prints one JSON object with what the pages showed; the Rust test asserts on it. Exits 1 (with
// the error on stderr) if a step fails.

import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cfg = JSON.parse(process.argv[2] ?? '{}');
for (const k of ['url', 'email', 'pin', 'pos', 'shop', 'tab', 'from', 'to', 'channel', 'version', 'shots']) {
  if (cfg[k] === undefined) throw new Error(`portal.mjs: missing "${k}" in the config`);
}
const executablePath = process.env.OPENTILL_CHROMIUM ?? '/usr/bin/chromium';
mkdirSync(cfg.shots, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'opentill-chromium-'));

const out = { steps: [] };
let n = 0;
async function shot(page, name) {
  n += 1;
  const file = join(cfg.shots, `${String(n).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  out.steps.push({ name, url: page.url(), title: await page.title(), screenshot: file });
}

// The history table's data rows, as arrays of cell texts (the refund form's cell left out).
async function historyRows(page) {
  return page.$$eval('table#history tr', (trs) =>
    trs
      .filter((tr) => tr.querySelector('td'))
      .map((tr) => [...tr.querySelectorAll('td')].slice(0, 9).map((td) => td.textContent.trim())),
  );
}

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1280, height: 800 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const failed = [];
  page.on('response', (r) => {
    if (r.status() >= 500) failed.push(`${r.status()} ${r.url()}`);
  });

  // 1. Log in with e-mail and PIN.
  await page.goto(`${cfg.url}/login`);
  await page.fill('input[name=email]', cfg.email);
  await page.fill('input[name=pin]', cfg.pin);
  await shot(page, 'login');
  await Promise.all([page.waitForURL(`${cfg.url}/`), page.click('form[action="/login"] button')]);
  out.home = (await page.textContent('body')).replace(/\s+/g, ' ').trim();
  await shot(page, 'home');

  // 2. Transaction history, through the navigation.
  await Promise.all([page.waitForURL(/\/transactions/), page.click('a[href="/transactions"]')]);
  out.all_rows = await historyRows(page);
  await shot(page, 'history');

  // 3. A means tab, then a date range in the search form.
  await Promise.all([
    page.waitForURL(new RegExp(`tab=${cfg.tab}`)),
    page.click(`p.tabs a[href$="tab=${cfg.tab}"]`),
  ]);
  out.tab_rows = await historyRows(page);
  out.tab_on = (await page.textContent('p.tabs a.on')).trim();
  await shot(page, `tab-${cfg.tab}`);
  await page.fill('input[name=from]', cfg.from);
  await page.fill('input[name=to]', cfg.to);
  await Promise.all([page.waitForURL(/from=/), page.click('form[action="/transactions"] button')]);
  out.filtered_url = page.url();
  out.filtered_rows = await historyRows(page);
  await shot(page, 'filtered');

  // 4. The CSV of what the page shows.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a#csv')]);
  out.csv_name = download.suggestedFilename();
  const csvPath = join(cfg.shots, out.csv_name);
  await download.saveAs(csvPath);
  out.csv = readFileSync(csvPath, 'utf8');

  // 5. The POS: open it from the list, block it.
  await page.goto(`${cfg.url}/pos`);
  await Promise.all([page.waitForURL(`${cfg.url}/pos/${cfg.pos}`), page.click(`a[href="/pos/${cfg.pos}"]`)]);
  out.pos_before = (await page.textContent('table#pos')).replace(/\s+/g, ' ').trim();
  await shot(page, 'pos');
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/pos/${cfg.pos}`) && r.request().method() === 'GET'),
    page.click('button#block'),
  ]);
  await page.waitForSelector('button#unblock');
  out.pos_after = (await page.textContent('table#pos')).replace(/\s+/g, ' ').trim();
  out.unblock_button = (await page.textContent('button#unblock')).trim();
  await shot(page, 'pos-blocked');

  // 6. The shop's updates: a channel and a pinned version chosen in the form, saved.
  await page.goto(`${cfg.url}/shops/${cfg.shop}`);
  await shot(page, 'shop');
  await page.selectOption('form#update-form select[name=channel]', cfg.channel);
  await page.selectOption('form#update-form select[name=pin]', cfg.version);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/shops/${cfg.shop}`) && r.request().method() === 'GET'),
    page.click('form#update-form button'),
  ]);
  out.update_policy = (await page.textContent('#update-policy')).replace(/\s+/g, ' ').trim();
  out.update_offered = (await page.textContent('#update-offered')).replace(/\s+/g, ' ').trim();
  out.till_versions = await page.$$eval('table#till-versions tr', (trs) =>
    trs
      .filter((tr) => tr.querySelector('td'))
      .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
  );
  await shot(page, 'shop-updates');

  out.server_errors = failed;
  process.stdout.write(JSON.stringify(out) + '\n');
} catch (e) {
  process.stderr.write(`portal.mjs failed: ${e?.stack ?? e}\nsteps so far: ${JSON.stringify(out.steps)}\n`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
