// The person's dashboard in a real browser (Debian's Chromium through playwright-core), against the real agent
// server and three real CRMs on loopback ports. She opens the link the agent printed, fills in her details,
// connects to three vendors by URL, changes her postal address once and sees each vendor acknowledge it.
// Screenshots of every step go to test-artifacts/dashboard/ at the repository's root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Party } from '@parley/protocol';
import { openDatabase } from '@parley/store';
import { buildCrmServer, createTenant } from '@parley/crm';
import { startAgent } from '@parley/agent';
import { agentDashboardDir } from '@parley/web';

const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/dashboard/', import.meta.url));
const VENDORS = ['Acme Telco', 'Bright Energy', 'Corner Bank'];
const ADDRESS = { street1: '3 New Street', city: 'Springfield', postCode: 'SP2 2BB', country: 'GB' };

/**
 * A vendor's CRM on a loopback port, with its own database, key and ledger file, and one tenant; its vendor
 * URL is the tenant's Parley endpoint. It can stop and start again on the same port, keeping everything.
 */
async function startCrm(dir, name, index) {
  const db = openDatabase({ url: join(dir, `crm-${index}.db`), synchronous: 'normal' });
  const options = {
    db,
    vendorKey: Party.generate(`crm-${index}`),
    ledger: { url: join(dir, `ledger-${index}.db`), origin: `crm-${index}.test/ledger` },
    escalationIntervalMs: 0,
  };
  let app = await buildCrmServer(options);
  const crmUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(crmUrl).port);
  const tenantId = await createTenant(db, name);
  return {
    name,
    url: `${crmUrl}/parley/v1/vendors/${tenantId}`,
    async stop() {
      await app?.close();
      app = undefined;
    },
    async start() {
      if (app) return;
      app = await buildCrmServer(options);
      await app.listen({ host: '127.0.0.1', port });
    },
    async close() {
      await this.stop();
      await db.close();
    },
  };
}

test(
  'dashboard: connect to three vendors, change the address once, see three acknowledgements',
  { timeout: 180_000 },
  async (t) => {
    assert.ok(
      existsSync(join(agentDashboardDir, 'index.html')),
      `${agentDashboardDir}index.html is missing: run \`npm run build -w @parley/web\` first`,
    );
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) or set PARLEY_CHROMIUM`,
    );
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'parley-dashboard-'));
    const cleanups = [];
    t.after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    const vendors = [];
    for (const [i, name] of VENDORS.entries()) {
      const crm = await startCrm(dir, name, i);
      cleanups.push(() => crm.close());
      vendors.push(crm);
    }
    const token = 'dashboard-test-token-0123456789';
    const agent = await startAgent({
      vaultPath: join(dir, 'alice.vault'),
      passphrase: 'correct horse battery staple',
      create: true,
      host: '127.0.0.1',
      port: 0,
      token,
      dashboardDir: agentDashboardDir,
      // Automatic retries wait ten minutes here, so that only "Retry now" resends to a vendor that was down.
      retry: { baseMs: 10 * 60_000 },
    });
    cleanups.push(() => agent.close());

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    const errors = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
    let step = 0;
    const shot = (name) =>
      page.screenshot({
        path: join(ARTIFACTS, `${String(++step).padStart(2, '0')}-${name}.png`),
        fullPage: true,
      });

    const acknowledged = page.locator('[data-status="acknowledged"]');
    try {
      // She opens the link the agent printed; the token leaves the address bar.
      await page.goto(`${agent.url}/#token=${token}`);
      await page.getByTestId('no-vendors').waitFor();
      assert.equal(new URL(page.url()).hash, '', 'the token is taken out of the address bar');
      await shot('opened');

      // Her details first: no vendor yet, so nobody to tell.
      const details = page.getByTestId('profile-form');
      await details.getByLabel('Given name').fill('Alice');
      await details.getByLabel('Family name').fill('Example');
      await details.getByLabel('Email').fill('alice@example.org');
      await details.getByTestId('save-profile').click();
      const detailsChange = await page.getByTestId('profile-change').getAttribute('data-change-id');
      await shot('details-saved');

      // Three vendors, connected by URL.
      for (const vendor of vendors) {
        await page.getByLabel('Vendor URL').fill(vendor.url);
        await page.getByTestId('connect').click();
        await page
          .getByTestId('connect-result')
          .filter({ hasText: vendor.name })
          .or(page.getByTestId('connect-error'))
          .waitFor();
        if (await page.getByTestId('connect-error').isVisible()) {
          assert.fail(`connecting to ${vendor.name}: ${await page.getByTestId('connect-error').innerText()}`);
        }
        const row = page.getByTestId(`vendor-${vendor.name}`);
        await row.waitFor();
        assert.equal(await row.getByTestId('vendor-status').getAttribute('data-status'), 'active');
        assert.match(await row.getByTestId('vendor-terms').innerText(), /SD-BASE/);
        await row.getByTestId('shared-email').filter({ hasText: 'alice@example.org' }).waitFor();
      }
      await shot('connected');

      // One address change, fanned out to the three.
      await details.getByLabel('Street', { exact: true }).fill(ADDRESS.street1);
      await details.getByLabel('City').fill(ADDRESS.city);
      await details.getByLabel('Post code').fill(ADDRESS.postCode);
      await details.getByLabel(/^Country/).fill(ADDRESS.country);
      await details.getByTestId('save-profile').click();
      const addressChange = await page
        .locator(`[data-testid="profile-change"]:not([data-change-id="${detailsChange}"])`)
        .getAttribute('data-change-id');
      const change = page.locator(`[data-testid="profile-change"][data-change-id="${addressChange}"]`);
      await change.scrollIntoViewIfNeeded();
      await shot('address-saved');

      for (const vendor of vendors) {
        await change.getByTestId(`delivery-status-${vendor.name}`).and(acknowledged).waitFor();
      }
      assert.equal(await change.getByTestId('change-unconfirmed').innerText(), 'Confirmed by every vendor.');
      assert.equal(await change.locator('[data-status="acknowledged"]').count(), VENDORS.length);

      // Each vendor row shows what it now holds, and the event's verified ledger receipt.
      for (const vendor of vendors) {
        const row = page.getByTestId(`vendor-${vendor.name}`);
        await row.getByTestId('shared-postalAddress').filter({ hasText: ADDRESS.street1 }).waitFor();
        await row.getByTestId('vendor-unconfirmed').and(page.locator('[data-count="0"]')).waitFor();
        assert.ok((await row.locator('[data-testid="receipt-verified"][data-verified="true"]').count()) >= 1);
      }
      await page.getByTestId('recent-events').waitFor();
      await shot('acknowledged');

      // A vendor that is down: the other two acknowledge at once, it stays pending and is named as not having
      // confirmed; when it is back, "Retry now" sends it the event.
      const down = vendors[2];
      await down.stop();
      await details.getByLabel('Phone').fill('+44 20 7946 0000');
      await details.getByTestId('save-profile').click();
      const phone = page.locator(`[data-testid="profile-change"]:not([data-change-id="${addressChange}"])`);
      await phone.waitFor();
      for (const vendor of vendors.slice(0, 2)) {
        await phone.getByTestId(`delivery-status-${vendor.name}`).and(acknowledged).waitFor();
      }
      await phone
        .getByTestId(`delivery-status-${down.name}`)
        .and(page.locator('[data-status="pending"]'))
        .waitFor();
      assert.equal(
        await phone.getByTestId('change-unconfirmed').innerText(),
        `Not yet confirmed by: ${down.name}.`,
      );
      await phone.scrollIntoViewIfNeeded();
      await shot('vendor-down');

      await down.start();
      await phone.getByTestId('retry-now').click();
      await phone.getByTestId(`delivery-status-${down.name}`).and(acknowledged).waitFor();
      assert.equal(await phone.getByTestId('change-unconfirmed').innerText(), 'Confirmed by every vendor.');
      await page
        .getByTestId(`vendor-${down.name}`)
        .getByTestId('shared-phone')
        .filter({ hasText: '+44 20 7946 0000' })
        .waitFor();
      await phone.scrollIntoViewIfNeeded();
      await shot('retried');
    } catch (error) {
      // What the page showed when it failed (its error messages carry the agent's problem details).
      await page.screenshot({ path: join(ARTIFACTS, 'failure.png'), fullPage: true }).catch(() => undefined);
      throw error;
    }

    assert.deepEqual(errors, [], 'no errors in the browser console');
  },
);
