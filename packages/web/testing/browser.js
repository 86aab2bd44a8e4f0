// What every browser test of packages/web needs: the prerequisites checked (the app built, Debian's Chromium),
// a scratch folder whose cleanups run when the test ends, the CRM's API with a key, and Chromium with a page
// that records console errors, numbered screenshots, and steps that save the page on failure.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const { fetch, URL } = globalThis;
export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

/** test-artifacts/<name>/ at the repository's root, emptied when `fresh`. */
export function artifactsDir(name, fresh = false) {
  const dir = fileURLToPath(new URL(`../../../test-artifacts/${name}/`, import.meta.url));
  if (fresh) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The built app (its index.html) and Chromium must be there; says how to get them when not. */
export function checkPrerequisites(builtDir) {
  assert.ok(
    existsSync(join(builtDir, 'index.html')),
    `${builtDir}index.html is missing: run \`npm run build -w @parley/web\` first`,
  );
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) or set PARLEY_CHROMIUM`,
  );
}

/** A temporary folder and the cleanups to run (last first) when the test `t` ends, then the folder goes. */
export function scratch(t, prefix) {
  const dir = mkdtempSync(join(tmpdir(), `parley-${prefix}-`));
  const cleanups = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, cleanups };
}

/** An HTTP API with a bearer key: JSON in, `{status, body}` out. */
export function apiClient(baseUrl, key) {
  return async (method, path, body) => {
    const r = await fetch(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
}

/**
 * Chromium (closed with the cleanups) and a page that records console errors and page errors. `shot(name,
 * locator?)` saves a numbered screenshot `<prefix>-NN-<name>.png` (the full page, or one element);
 * `steps(work)` runs the work, saves `<prefix>-failure.png` when it throws, and then requires that the
 * browser console stayed free of errors.
 */
export async function openPage(
  cleanups,
  { artifacts, prefix, viewport = { width: 1280, height: 900 }, acceptDownloads = false, timeout = 15_000 },
) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  cleanups.push(() => browser.close());
  const page = await browser.newPage({ viewport, acceptDownloads });
  page.setDefaultTimeout(timeout);
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  let step = 0;
  const shot = async (name, locator) => {
    const path = join(artifacts, `${prefix}-${String(++step).padStart(2, '0')}-${name}.png`);
    if (locator) await locator.screenshot({ path });
    else await page.screenshot({ path, fullPage: true });
  };
  const steps = async (work) => {
    try {
      await work();
    } catch (error) {
      await page
        .screenshot({ path: join(artifacts, `${prefix}-failure.png`), fullPage: true })
        .catch(() => undefined);
      throw error;
    }
    assert.deepEqual(errors, [], 'no errors in the browser console');
  };
  return { page, errors, shot, steps };
}
