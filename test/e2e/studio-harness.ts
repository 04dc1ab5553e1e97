import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startHarness, type Harness, type HarnessOptions } from '../helpers/harness.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of every run land here (and one more for a failing test). */
export const OUTPUT_DIR = path.resolve(process.env.TEST_OUTPUT_DIR ?? 'test-output', 'e2e');

// Without the background-networking flags Chromium keeps calling home on a closed network.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Studio {
  harness: Harness;
  baseUrl: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors, and uncaught exceptions: a test fails on any. */
  pageErrors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** The real app (with a worker) on a port of its own, and Chromium on the studio page. */
export async function startStudio(opts: HarnessOptions = {}): Promise<Studio> {
  const harness = await startHarness(opts);
  const server: Server = await new Promise((resolve) => {
    const s = harness.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, baseURL: baseUrl });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A refused request is logged by Chromium as a console error; the tests check those on the page itself.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  await mkdir(OUTPUT_DIR, { recursive: true });
  return {
    harness,
    baseUrl,
    browser,
    context,
    page,
    pageErrors,
    async screenshot(name) {
      const file = path.join(OUTPUT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await browser.close().catch(() => {});
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await harness.close();
    },
  };
}
