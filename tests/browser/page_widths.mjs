#!/usr/bin/env node
// Open each page the way a phone shows it, in Debian's headless Chromium: a 390 px wide
// viewport, and report whether the page scrolls sideways (its document is wider than the
// viewport), with a screenshot of each.
//
//   node page_widths.mjs <out-dir> <url>...
//
// Prints one JSON line: {"ok": true, "pages": [{"url", "status", "width", "viewport",
// "overflows", "widest", "screenshot"}, …]} where `widest` names the element that sticks out
// farthest when the page overflows. URLs are printed without query strings and with connect
// link tokens replaced by "<token>".
//
// Environment: CHROMIUM (default /usr/bin/chromium), STEP_TIMEOUT_MS (default 30000).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT_MS = Number(process.env.STEP_TIMEOUT_MS || 30000);
const WIDTH = 390;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function shown(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return String(raw);
  }
  const parts = url.pathname.split('/');
  if (parts[1] === 'connect') {
    const at = parts[2] === 'pack' ? 4 : 3;
    if (parts.length > at && parts[at]) parts[at] = '<token>';
  }
  return `${url.protocol}//${url.host}${parts.join('/')}`;
}

async function main() {
  const [outDir, ...urls] = process.argv.slice(2);
  if (!outDir || urls.length === 0) {
    console.log(JSON.stringify({ ok: false, error: 'usage: page_widths.mjs <out-dir> <url>...' }));
    process.exit(2);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'latchkey-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: WIDTH, height: 844 },
    deviceScaleFactor: 1,
    isMobile: true,
    timeout: STEP_TIMEOUT_MS,
  });
  const pages = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    for (const [i, url] of urls.entries()) {
      const response = await page.goto(url, { waitUntil: 'load' });
      const measured = await page.evaluate(() => {
        const doc = document.documentElement;
        let widest = null;
        let right = 0;
        for (const el of document.body.querySelectorAll('*')) {
          const r = el.getBoundingClientRect().right;
          if (r > right) {
            right = r;
            widest = `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''}`;
          }
        }
        return { width: doc.scrollWidth, viewport: window.innerWidth, widest, right };
      });
      const file = `${String(i + 1).padStart(2, '0')}.png`;
      await page.screenshot({ path: join(outDir, file), fullPage: true });
      pages.push({
        url: shown(page.url()),
        status: response ? response.status() : null,
        width: measured.width,
        viewport: measured.viewport,
        overflows: measured.width > measured.viewport,
        widest: measured.width > measured.viewport ? measured.widest : null,
        screenshot: file,
      });
    }
  } finally {
    await context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ ok: true, pages }));
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String(e?.message ?? e).split('\n')[0] }));
  process.exit(1);
});
