#!/usr/bin/env node
// Connect every app of a tool pack the way a person does, in Debian's headless Chromium:
// open the pack page, click the highlighted "Connect <App>" (#next), click "Continue to <App>"
// (#continue) on the connect page, click "Allow" on the provider's consent page, come back to
// the pack page, and repeat until it says "All set" (#result).
//
//   node connect_pack.mjs <pack-url> <out-dir>
//
// Writes one PNG screenshot per step into <out-dir> and prints one JSON line on stdout:
//   {"ok": true, "all_set": true, "connected": ["jira", …], "steps": [{"n", "action", "url",
//    "status", "title", "heading", "screenshot"}, …], "screenshots": "<out-dir>"}
// URLs are shown without query strings or fragments, and the link tokens in connect paths are
// replaced by "<token>": nothing printed opens a session. Anything unexpected (an error page,
// an HTTP error, a missing button, a timeout, an app that stays unconnected) ends the run with
// a screenshot, {"ok": false, "error": …} and exit code 1.
//
// Environment: CHROMIUM (default /usr/bin/chromium), STEP_TIMEOUT_MS (default 30000).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT_MS = Number(process.env.STEP_TIMEOUT_MS || 30000);
// Chromium as this machine's closed network needs it: no background connections at all.
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

/** A URL fit to print: no query, no fragment, no link token. */
function shown(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return String(raw);
  }
  const parts = url.pathname.split('/');
  // /connect/pack/{id}/{token}[/…] and /connect/{id}/{token}[/…]
  if (parts[1] === 'connect') {
    const at = parts[2] === 'pack' ? 4 : 3;
    if (parts.length > at && parts[at]) parts[at] = '<token>';
  }
  return `${url.protocol}//${url.host}${parts.join('/')}`;
}

/** A message fit to print: every URL in it shown as `shown` shows it. */
function scrubbed(text) {
  return String(text)
    .replace(/\u001b\[[0-9;]*m/g, '')
    .replace(/https?:\/\/[^\s"'<>`)\]]+/g, (url) => shown(url));
}

class Unexpected extends Error {}

class Run {
  constructor(packUrl, outDir) {
    this.packUrl = packUrl;
    this.packPath = new URL(packUrl).pathname;
    this.outDir = outDir;
    this.steps = [];
    this.connected = [];
    this.page = null;
    this.lastDocument = null;
  }

  /** Screenshot and record where the browser is now. */
  async step(action) {
    const n = this.steps.length + 1;
    const slug = action.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const file = `${String(n).padStart(2, '0')}-${slug}.png`;
    await this.page.screenshot({ path: join(this.outDir, file), fullPage: true });
    const heading = await this.page
      .locator('h1')
      .first()
      .innerText({ timeout: 1000 })
      .catch(() => null);
    const entry = {
      n,
      action,
      url: shown(this.page.url()),
      status: this.lastDocument ? this.lastDocument.status() : null,
      title: await this.page.title(),
      heading: heading && heading.trim(),
      screenshot: file,
    };
    this.steps.push(entry);
    return entry;
  }

  /** Fail unless the page now shown is a normal page: no HTTP error, no error page. */
  async expectNoError(what) {
    const status = this.lastDocument ? this.lastDocument.status() : 0;
    const gatewayError = await this.page.locator('#result.bad').count();
    const providerError = await this.page.locator('#error').count();
    if (status >= 400 || gatewayError || providerError) {
      const text = (await this.page.locator('body').innerText().catch(() => '')).trim();
      throw new Unexpected(
        `${what}: an error page (HTTP ${status}) at ${shown(this.page.url())}: ${text.slice(0, 500)}`,
      );
    }
  }

  /** Click `locator` and wait until the main frame has loaded the page it leads to. */
  async clickAndSettle(locator, what) {
    const navigated = this.page.waitForEvent('framenavigated', {
      predicate: (frame) => frame === this.page.mainFrame(),
      timeout: STEP_TIMEOUT_MS,
    });
    await locator.click({ timeout: STEP_TIMEOUT_MS });
    await navigated.catch((e) => {
      throw new Unexpected(`${what}: no new page after the click (${e.message.split('\n')[0]})`);
    });
    await this.page.waitForLoadState('load', { timeout: STEP_TIMEOUT_MS });
  }

  onPackPage() {
    return new URL(this.page.url()).pathname === this.packPath;
  }

  async main() {
    const userDataDir = mkdtempSync(join(tmpdir(), 'latchkey-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 800 },
      timeout: STEP_TIMEOUT_MS,
    });
    try {
      this.page = context.pages()[0] || (await context.newPage());
      this.page.setDefaultTimeout(STEP_TIMEOUT_MS);
      this.page.on('response', (response) => {
        if (response.request().isNavigationRequest() && response.frame() === this.page.mainFrame()) {
          this.lastDocument = response;
        }
      });
      try {
        await this.flow();
      } catch (e) {
        await this.step('failure').catch(() => {});
        throw e;
      }
    } finally {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    }
  }

  async flow() {
    this.lastDocument = await this.page.goto(this.packUrl, { waitUntil: 'load' });
    await this.expectNoError('opening the pack page');
    await this.step('pack page');
    // One round per app listed, and one more to see "All set": more would go in circles.
    const apps = await this.page.locator('[data-connector]').count();
    for (let round = 0; round <= apps; round++) {
      const result = this.page.locator('#result');
      if (await result.count()) {
        const text = (await result.innerText()).trim();
        if (text !== 'All set') {
          throw new Unexpected(`the pack page ends with "${text}", not "All set"`);
        }
        const left = await this.page.locator('#next').count();
        if (left) throw new Unexpected('"All set" while a "Connect" button is still shown');
        await this.step('all set');
        return;
      }
      await this.connectNext();
    }
    throw new Unexpected(`still not "All set" after connecting the ${apps} apps listed`);
  }

  /** One app: pack page → connect page → consent → back on the pack page, now connected. */
  async connectNext() {
    const next = this.page.locator('#next');
    if ((await next.count()) !== 1) {
      throw new Unexpected('the pack page is not "All set" but highlights no "Connect <App>" (#next)');
    }
    const label = (await next.innerText()).trim();
    const app = label.replace(/^Connect\s+/, '');
    if (!label.startsWith('Connect ') || !app) {
      throw new Unexpected(`the highlighted button says "${label}", not "Connect <App>"`);
    }
    const connector = await next.evaluate((a) => a.closest('[data-connector]')?.dataset.connector ?? null);
    if (!connector) throw new Unexpected(`"${label}" belongs to no app of the list`);

    await this.clickAndSettle(next, label);
    await this.expectNoError(label);
    const cont = this.page.locator('#continue');
    if ((await cont.count()) !== 1) {
      throw new Unexpected(`the connect page of ${app} has no "Continue to ${app}" (#continue)`);
    }
    const contLabel = (await cont.innerText()).trim();
    if (contLabel !== `Continue to ${app}`) {
      throw new Unexpected(`the connect page says "${contLabel}", not "Continue to ${app}"`);
    }
    await this.step(`connect page ${connector}`);

    await this.clickAndSettle(cont, contLabel);
    await this.expectNoError(contLabel);
    if (!this.onPackPage()) {
      const allow = this.page.getByRole('button', { name: 'Allow', exact: true });
      if ((await allow.count()) !== 1) {
        throw new Unexpected(
          `after "${contLabel}": neither a consent page with "Allow" nor the pack page, at ${shown(this.page.url())}`,
        );
      }
      await this.step(`consent ${connector}`);
      await this.clickAndSettle(allow, `Allow (${app})`);
      await this.expectNoError(`Allow (${app})`);
    }
    if (!this.onPackPage()) {
      throw new Unexpected(`after consenting to ${app}: at ${shown(this.page.url())}, not the pack page`);
    }
    const item = this.page.locator(`[data-connector="${connector}"]`);
    const stillNext = await item.locator('#next').count();
    const itemText = (await item.innerText().catch(() => '')).trim();
    const lower = itemText.toLowerCase();
    if (stillNext || !/\bconnected\b/.test(lower) || /\bto connect\b/.test(lower)) {
      const said = itemText.replace(/\s+/g, ' ');
      throw new Unexpected(`back on the pack page, ${app} is still not connected ("${said}")`);
    }
    this.connected.push(connector);
    await this.step(`back on the pack page after ${connector}`);
  }
}

async function run() {
  const [packUrl, outArg] = process.argv.slice(2);
  if (!packUrl || !outArg) {
    process.stderr.write('usage: node connect_pack.mjs <pack-url> <out-dir>\n');
    process.exit(2);
  }
  const outDir = resolve(outArg);
  mkdirSync(outDir, { recursive: true });
  const run = new Run(packUrl, outDir);
  try {
    await run.main();
    const report = {
      ok: true,
      all_set: true,
      connected: run.connected,
      steps: run.steps,
      screenshots: outDir,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch (e) {
    const error = scrubbed(e instanceof Unexpected ? e.message : `${e.name}: ${e.message}`);
    const report = {
      ok: false,
      all_set: false,
      error,
      connected: run.connected,
      steps: run.steps,
      screenshots: outDir,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.stderr.write(`connect_pack: ${error}\nscreenshots: ${outDir}\n`);
    process.exit(1);
  }
}

await run();
