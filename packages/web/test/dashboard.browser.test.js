// The person's dashboard in a real browser (Debian's Chromium through playwright-core), against the real agent
// server and real CRMs on loopback ports, started through their packages' APIs. First: she opens the link the
// agent printed, fills in her details, connects to three vendors by URL, changes her postal address once and
// sees each vendor acknowledge it (and a vendor that was down get it by "Retry now"). Then: a counter-offer,
// global policies, permissions, feedback, her data downloaded, and the end of a relationship.
// Screenshots of every step go to test-artifacts/dashboard/ at the repository's root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Party } from '@parley/protocol';
import { openDatabase } from '@parley/store';
import { addApiKey, buildCrmServer, createTenant } from '@parley/crm';
import { startAgent } from '@parley/agent';
import { agentDashboardDir } from '@parley/web';
import { artifactsDir, checkPrerequisites, openPage, scratch } from '../testing/browser.js';

const ARTIFACTS = artifactsDir('dashboard', true);
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
  const adminKey = await addApiKey(db, tenantId, 'admin', 'dashboard test');
  return {
    name,
    url: `${crmUrl}/parley/v1/vendors/${tenantId}`,
    /** Changes some members of the vendor's published profile (terms policy, publications). */
    async setProfile(members) {
      const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
      const current = await fetch(`${crmUrl}/crm/v1/vendorProfile`, { headers });
      assert.equal(current.status, 200);
      const put = await fetch(`${crmUrl}/crm/v1/vendorProfile`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ ...(await current.json()), ...members }),
      });
      assert.equal(put.status, 200, await put.text());
    },
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

/**
 * CRMs for `names`, the agent (its dashboard built), Chromium and a page that records console errors; `shot`
 * saves a numbered full-page screenshot under `prefix`. Everything stops when the test ends.
 */
async function world(t, names, prefix) {
  const { dir, cleanups } = scratch(t, 'dashboard');

  const vendors = [];
  for (const [i, name] of names.entries()) {
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

  const { page, shot, steps } = await openPage(cleanups, {
    artifacts: ARTIFACTS,
    prefix,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  return { vendors, agent, token, page, shot, steps };
}

/** Connects to a vendor through the form; fails with the dashboard's error message if it shows one. */
async function connect(page, vendor) {
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
  return row;
}

checkPrerequisites(agentDashboardDir);

test(
  'dashboard: connect to three vendors, change the address once, see three acknowledgements',
  { timeout: 180_000 },
  async (t) => {
    const { vendors, agent, token, page, shot, steps } = await world(t, VENDORS, 'address');
    const acknowledged = page.locator('[data-status="acknowledged"]');
    await steps(async () => {
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
        const row = await connect(page, vendor);
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
    });
  },
);

test(
  'dashboard: a counter-offer, global policies, permissions, feedback, her data, the end of a relationship',
  { timeout: 180_000 },
  async (t) => {
    const names = ['Dune Telecom', 'Echo Shop'];
    const { vendors, agent, token, page, shot, steps } = await world(t, names, 'relationship');
    const [dune, echo] = vendors;
    await dune.setProfile({
      policy: {
        accepts: ['SD-BASE-A-DP'],
        counter: 'SD-BASE-A-DP',
        purposes: ['ServiceAnalytics'],
        reason: 'We study our own network.',
      },
    });
    await echo.setProfile({
      publications: [
        { id: 'newsletter:weekly', name: 'Weekly deals', kind: 'newsletter', channels: ['email', 'post'] },
      ],
    });
    // She accepts no counter-offer in advance (the agent's default accepts some), so she decides on Dune's.
    const preferences = await fetch(`${agent.url}/api/v1/me/preferences`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ terms: ['SD-BASE', 'SD-BASE-DP'], acceptCounters: [] }),
    });
    assert.equal(preferences.status, 200, await preferences.text());
    const acknowledged = page.locator('[data-status="acknowledged"]');
    const status = (value) => page.locator(`[data-status="${value}"]`);

    await steps(async () => {
      await page.goto(`${agent.url}/#token=${token}`);
      const details = page.getByTestId('profile-form');
      await details.getByLabel('Given name').fill('Alice');
      await details.getByLabel('Family name').fill('Example');
      await details.getByLabel('Email').fill('alice@example.org');
      await details.getByTestId('save-profile').click();
      await page.getByTestId('profile-change').waitFor();

      // Dune counters with other terms, for analytics too; she reads why and accepts.
      const duneRow = await connect(page, dune);
      await duneRow.getByTestId('vendor-status').and(status('countered')).waitFor();
      const counter = duneRow.getByTestId('counter-offer');
      assert.match(await counter.innerText(), /SD-BASE-A-DP/);
      assert.match(await counter.innerText(), /We study our own network\./);
      await shot('countered');
      await counter.getByTestId('accept-counter').click();
      await duneRow.getByTestId('vendor-status').and(status('active')).waitFor();
      assert.match(await duneRow.getByTestId('vendor-terms').innerText(), /SD-BASE-A-DP/);
      await duneRow.getByTestId('shared-email').filter({ hasText: 'alice@example.org' }).waitFor();
      const echoRow = await connect(page, echo);
      await shot('connected');

      // Global policies reach both.
      await page.getByTestId('policy-NoThirdPartyMail').check();
      await page.getByTestId('policy-DoNotTrack').check();
      await page.getByTestId('save-policies').click();
      const policies = page.getByTestId('policies-change');
      for (const vendor of vendors) {
        await policies.getByTestId(`delivery-status-${vendor.name}`).and(acknowledged).waitFor();
      }
      for (const row of [duneRow, echoRow]) {
        await row
          .getByTestId('permissions-summary')
          .filter({ hasText: 'No third-party mail, on any channel' })
          .waitFor();
      }
      await policies.scrollIntoViewIfNeeded();
      await shot('policies');

      // At Echo Shop: email allowed, the weekly deals by email.
      await echoRow.getByTestId('manage').click();
      const permissions = echoRow.getByTestId('permissions-form');
      await permissions.getByRole('checkbox', { name: 'Email', exact: true }).check();
      await permissions.getByRole('checkbox', { name: /Weekly deals/ }).check();
      await permissions.getByRole('checkbox', { name: 'by Email' }).check();
      await permissions.getByTestId('save-permissions').click();
      await echoRow
        .getByTestId('permissions-change')
        .getByTestId(`delivery-status-${echo.name}`)
        .and(acknowledged)
        .waitFor();
      await echoRow.getByTestId('subscriptions').filter({ hasText: 'Weekly deals by Email' }).waitFor();
      await echoRow.scrollIntoViewIfNeeded();
      await shot('permissions');

      // An error report, answered back through the agreement.
      const feedback = echoRow.getByTestId('feedback-form');
      await feedback.getByLabel('Kind').selectOption('error-report');
      await feedback.getByLabel('Subject').fill('Checkout fails');
      await feedback.getByLabel('Message').fill('The pay button does nothing on my phone.');
      await feedback.getByTestId('send-feedback').click();
      await echoRow
        .getByTestId('feedback-change')
        .getByTestId(`delivery-status-${echo.name}`)
        .and(acknowledged)
        .waitFor();

      // Her data back, as files.
      const [json] = await Promise.all([
        page.waitForEvent('download'),
        echoRow.getByTestId('download-json').click(),
      ]);
      assert.equal(json.suggestedFilename(), 'echo-shop-my-data.json');
      const data = JSON.parse(readFileSync(await json.path(), 'utf8'));
      assert.ok(data.party, 'the JSON holds what the vendor keeps about her as a party');
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        echoRow.getByTestId('download-usage-csv').click(),
      ]);
      assert.equal(csv.suggestedFilename(), 'echo-shop-usage.csv');
      assert.match(readFileSync(await csv.path(), 'utf8').split('\n')[0] ?? '', /,/, 'a CSV header line');
      await feedback.scrollIntoViewIfNeeded();
      await shot('feedback-and-data');

      // The end of the relationship with Echo Shop, its data destroyed.
      const termination = echoRow.getByTestId('termination-form');
      await termination.getByLabel('destroy it').check();
      await termination.getByTestId('end-relationship').click();
      await termination.getByTestId('confirm-end').click();
      await termination
        .getByTestId('termination-change')
        .getByTestId(`delivery-status-${echo.name}`)
        .and(acknowledged)
        .waitFor();
      await echoRow.getByTestId('vendor-status').and(status('terminated')).waitFor();
      await duneRow.getByTestId('vendor-status').and(status('active')).waitFor();
      assert.ok((await page.getByTestId('recent-events').locator('tbody tr').count()) >= 6);
      await shot('ended');
    });
  },
);
