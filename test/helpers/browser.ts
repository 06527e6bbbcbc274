/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core, for the playground tests: the
 * launch flags, and a page that records console errors and waits until the playground has built
 * its forms from /ready and /openapi.json.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

export interface PlaygroundPage {
  page: Page;
  /** Console errors and uncaught exceptions so far. */
  errors: string[];
  /** Requests to anywhere but the server (and data:/blob: URLs). */
  foreign: string[];
}

/** Opens the playground at `base` in a fresh context (empty localStorage) and waits for its forms. */
export async function openPlayground(browser: Browser, base: string): Promise<PlaygroundPage> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (!r.url().startsWith(base) && !/^(data|blob):/.test(r.url())) foreign.push(r.url()); });
  await page.goto(`${base}/`);
  await page.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 });
  return { page, errors, foreign };
}

/** Ids of inputs, selects and text areas that have no label (all of them must have one). */
export function unlabeledControls(page: Page): Promise<string[]> {
  // Browser-side code is passed as a string: this project compiles without the DOM types.
  return page.evaluate("[...document.querySelectorAll('input, select, textarea')].filter((el) => !el.labels || !el.labels.length).map((el) => el.id || el.outerHTML)");
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`); // named in the test output, for a reviewer (test-artifacts/ is git-ignored)
  return path;
}

/** The natural sizes of the before and after images of the result's comparison view, once both loaded. */
export async function compareSizes(page: Page): Promise<{ before: [number, number]; after: [number, number] }> {
  await page.waitForFunction(`(() => {
    const b = document.querySelector('#result .compare img.before'), a = document.querySelector('#result .compare img.after');
    return !!b && !!a && b.complete && a.complete && b.naturalWidth > 0 && a.naturalWidth > 0;
  })()`, undefined, { timeout: 60_000 });
  return page.evaluate(`(() => {
    const b = document.querySelector('#result .compare img.before'), a = document.querySelector('#result .compare img.after');
    return { before: [b.naturalWidth, b.naturalHeight], after: [a.naturalWidth, a.naturalHeight] };
  })()`);
}
