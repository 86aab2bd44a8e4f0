// Intentcasting in the person's dashboard, in a real browser (Debian's Chromium through playwright-core), against
// the real agent and three real CRMs on loopback ports, each with a catalogue and its own intent policy set
// through the CRM's APIs (TMF620 product offerings; the vendor profile's intentPolicy). She says she wants an
// e-bike, pushes it to the three vendors, and compares a rejection, a counter-offer and an offer; she takes the
// cheapest offer still valid and sees the relationship it opened under the offer's terms; then a second intent,
// which one vendor answers later (a person there decides) and which she withdraws. Screenshots of every step go to test-artifacts/intents/ at the repository's root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Party } from '@parley/protocol';
import { openDatabase } from '@parley/store';
import { addApiKey, buildCrmServer, createTenant } from '@parley/crm';
import { startAgent } from '@parley/agent';
import { agentDashboardDir } from '@parley/web';
import { artifactsDir, checkPrerequisites, openPage, scratch } from '../testing/browser.js';

const ARTIFACTS = artifactsDir('intents', true);

const offering = (name, category, brand, tags, price, description) => ({
  name,
  description,
  category: [{ id: category, name: category }],
  brand,
  tags,
  lifecycleStatus: 'Launched',
  productOfferingPrice: [{ name: 'price', price: { taxIncludedAmount: { value: price, unit: 'EUR' } } }],
});

/** Three bike sellers that answer her terms differently (docs/intentcasting.md, `intentPolicy`). */
const VENDORS = [
  {
    // Deals under one of her terms: accepts, and offers.
    name: 'Velo Utrecht',
    intentPolicy: { mode: 'auto', accepts: ['2P-30D'] },
    catalogue: [
      offering('Gazelle Ultimate T10', 'bicycles', 'Gazelle', ['e-bike', 'commuter'], 2299, 'Belt drive'),
      offering('Cortina E-Common', 'bicycles', 'Cortina', ['e-bike', 'city'], 1899, 'Step-through'),
      offering('Batavus Finez', 'bicycles', 'Batavus', ['commuter'], 1299, 'No motor'),
    ],
  },
  {
    // Deals under none of hers: counters with service delivery only, and offers under that.
    name: 'Fietsenwinkel Noord',
    intentPolicy: {
      mode: 'auto',
      accepts: ['SD-BASE'],
      counter: 'SD-BASE',
      reason: 'We keep your details while we service the bike we sell you.',
    },
    catalogue: [
      offering('Gazelle Ultimate T10', 'bicycles', 'Gazelle', ['e-bike', 'commuter'], 2199, 'Belt drive'),
      offering('Stromer ST1', 'bicycles', 'Stromer', ['e-bike', 'speed'], 3490, 'Speed pedelec'),
    ],
  },
  {
    // Deals only under terms that allow analytics, with no counter: rejects, though it sells e-bikes.
    name: 'MegaStore',
    intentPolicy: {
      mode: 'auto',
      accepts: ['SD-BASE-A-DP'],
      reason: 'We only sell under terms that let us analyse our sales.',
    },
    catalogue: [
      offering('Urban e-bike 3000', 'bicycles', 'Generic', ['e-bike'], 999, 'Budget e-bike'),
      offering('Phone X', 'phones', 'Generic', ['5g'], 499, 'A phone'),
    ],
  },
];

/** A vendor's CRM on a loopback port, with its own database, key and ledger file, and one tenant. */
async function startCrm(dir, setup, index) {
  const db = openDatabase({ url: join(dir, `crm-${index}.db`), synchronous: 'normal' });
  const app = await buildCrmServer({
    db,
    vendorKey: Party.generate(`crm-${index}`),
    ledger: { url: join(dir, `ledger-${index}.db`), origin: `crm-${index}.test/ledger` },
    escalationIntervalMs: 0,
  });
  const crmUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const tenantId = await createTenant(db, setup.name);
  const adminKey = await addApiKey(db, tenantId, 'admin', 'intents test');
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const call = async (method, path, body) => {
    const r = await fetch(crmUrl + path, { method, headers, body: body && JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, text, body: text ? JSON.parse(text) : undefined };
  };
  // Its catalogue (TMF620) and its intent policy (the vendor profile), through the CRM's own APIs.
  for (const item of setup.catalogue) {
    const r = await call('POST', '/tmf-api/productCatalogManagement/v4/productOffering', item);
    assert.equal(r.status, 201, `${setup.name}: product offering: ${r.text}`);
  }
  /** Sets the vendor profile's intent policy, the rest of the profile as it is. */
  const setIntentPolicy = async (intentPolicy) => {
    const profile = await call('GET', '/crm/v1/vendorProfile');
    assert.equal(profile.status, 200, `${setup.name}: vendor profile: ${profile.text}`);
    const put = await call('PUT', '/crm/v1/vendorProfile', { ...profile.body, intentPolicy });
    assert.equal(put.status, 200, `${setup.name}: intent policy: ${put.text}`);
  };
  await setIntentPolicy(setup.intentPolicy);
  return {
    name: setup.name,
    url: `${crmUrl}/parley/v1/vendors/${tenantId}`,
    call,
    setIntentPolicy,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/**
 * The three CRMs, the agent (its dashboard built, her details in it), Chromium and a page that records
 * console errors; `shot` saves a numbered full-page screenshot. Everything stops when the test ends.
 */
async function world(t, prefix) {
  const { dir, cleanups } = scratch(t, 'intents');

  const vendors = [];
  for (const [i, setup] of VENDORS.entries()) {
    const crm = await startCrm(dir, setup, i);
    cleanups.push(() => crm.close());
    vendors.push(crm);
  }
  const token = 'intents-test-token-0123456789';
  const agent = await startAgent({
    vaultPath: join(dir, 'alice.vault'),
    passphrase: 'correct horse battery staple',
    create: true,
    host: '127.0.0.1',
    port: 0,
    token,
    dashboardDir: agentDashboardDir,
  });
  cleanups.push(() => agent.close());
  // Her details, which only the vendor whose offer she takes will receive, under its agreement.
  const profile = await fetch(`${agent.url}/api/v1/me/profile`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ givenName: 'Alice', familyName: 'Example', email: 'alice@example.org' }),
  });
  assert.equal(profile.status, 202, await profile.text());

  const { page, shot, steps } = await openPage(cleanups, {
    artifacts: ARTIFACTS,
    prefix,
    viewport: { width: 1280, height: 900 },
  });
  return { vendors, agent, token, page, shot, steps };
}

/** Fills in the "I want…" form and sends it; answers with the card of the intent it created. */
async function intentcast(page, want, vendorUrls) {
  const form = page.getByTestId('intent-form');
  await form.getByLabel('Category').fill(want.category);
  await form.getByLabel('What you want').fill(want.description);
  await form.getByLabel('Tags').fill(want.tags);
  if (want.brands) await form.getByLabel('Brands').fill(want.brands);
  if (want.min !== undefined) await form.getByLabel('Lowest price').fill(String(want.min));
  await form.getByLabel('Highest price').fill(String(want.max));
  await form.getByLabel('Currency').fill('EUR');
  await form.getByLabel(/^Country/).fill('NL');
  await form.getByLabel(/^Region/).fill('Utrecht');
  assert.equal(await form.getByLabel('Valid for (days)').inputValue(), '14', 'valid for 14 days by default');
  assert.ok(await form.getByTestId('intent-terms-PDC-INTENT').isChecked(), 'PDC-INTENT by default');
  assert.ok(await form.getByTestId('intent-terms-2P-30D').isChecked(), '2P-30D by default');
  await form.getByLabel('More vendors, by URL').fill(vendorUrls.join('\n'));
  return form;
}

async function send(page) {
  const form = page.getByTestId('intent-form');
  const previous = form.getByTestId('intent-created');
  const before = (await previous.count()) > 0 ? await previous.getAttribute('data-intent-id') : null;
  await form.getByTestId('send-intent').click();
  const created = form
    .locator(`[data-testid="intent-created"]${before ? `:not([data-intent-id="${before}"])` : ''}`)
    .or(form.getByTestId('intent-error'));
  await created.waitFor();
  if (await form.getByTestId('intent-error').isVisible()) {
    assert.fail(`intentcast: ${await form.getByTestId('intent-error').innerText()}`);
  }
  const id = await created.getAttribute('data-intent-id');
  const card = page.getByTestId(`intent-${id}`);
  await card.waitFor();
  return { id, card };
}

checkPrerequisites(agentDashboardDir);

test(
  'intents: an e-bike intentcast to three vendors, a rejection, a counter and an offer; the cheapest taken',
  { timeout: 180_000 },
  async (t) => {
    const { vendors, agent, token, page, shot, steps } = await world(t, 'ebike');
    const [velo, noord, mega] = vendors;
    const status = (value) => page.locator(`[data-status="${value}"]`);

    await steps(async () => {
      await page.goto(`${agent.url}/#token=${token}`);
      await page.getByTestId('no-intents').waitFor();
      // Nobody is chosen in advance: she has no relationships, and no vendor is pushed to unless she names it.
      assert.equal(await page.getByTestId('intent-known-vendors').count(), 0);
      await shot('opened');

      // What she wants, her price, roughly where, for 14 days, under her two terms, to three vendors by URL.
      const form = await intentcast(
        page,
        { category: 'bicycles', description: 'An e-bike for commuting', tags: 'e-bike, commuter', max: 2500 },
        vendors.map((v) => v.url),
      );
      await form.scrollIntoViewIfNeeded();
      await shot('form-filled');

      const { id, card } = await send(page);
      assert.match(await page.getByTestId('intent-created').innerText(), /Pushed to 3 vendors: 3 answered\./);
      await card.getByTestId('intent-status').and(status('open')).waitFor();
      const did = await card.getByTestId('intent-did').getAttribute('title');
      assert.match(did ?? '', /^did:jlinc:/, 'signed with a one-off identity');
      assert.match(await card.getByTestId('intent-terms').innerText(), /PDC-INTENT[\s\S]*2P-30D/);

      // One rejection with its reason, one counter with an offer under other terms, one offer under hers.
      const megaRow = card.getByTestId(`answer-${mega.name}`);
      const noordRow = card.getByTestId(`answer-${noord.name}`);
      const veloRow = card.getByTestId(`answer-${velo.name}`);
      await megaRow.and(page.locator('[data-decision="reject"]')).waitFor();
      assert.match(await megaRow.innerText(), /let us analyse our sales/);
      assert.equal(
        await card.getByTestId(`accept-offer-${mega.name}`).count(),
        0,
        'a rejection has no offer',
      );
      await noordRow.and(page.locator('[data-decision="counter"]')).waitFor();
      assert.equal(await noordRow.getAttribute('data-terms'), 'SD-BASE');
      assert.match(await noordRow.innerText(), /service the bike we sell you/);
      await veloRow.and(page.locator('[data-decision="accept"]')).waitFor();
      assert.equal(await veloRow.getAttribute('data-terms'), '2P-30D');
      for (const vendor of vendors) {
        const verified = card.getByTestId(`answer-${vendor.name}`).getByTestId('answer-receipt');
        assert.equal(await verified.count(), 1, `${vendor.name}'s ledger receipt verified by her agent`);
      }
      for (const vendor of [velo, noord]) {
        await card.getByTestId(`offer-status-${vendor.name}`).and(status('open')).waitFor();
        assert.ok(await card.getByTestId(`accept-offer-${vendor.name}`).isEnabled());
      }
      await card.scrollIntoViewIfNeeded();
      await shot('answers');

      // Sorted by total, cheapest first: the offers' totals go up, the rejection last.
      await card.getByTestId('sort-by-total').getByRole('button').click();
      await card.getByTestId('sort-by-total').and(page.locator('[data-order="ascending"]')).waitFor();
      const rows = card.locator('tbody tr');
      const totals = [];
      for (let i = 0; i < (await rows.count()); i++) {
        const amount = await rows.nth(i).getByTestId('answer-total').getAttribute('data-amount');
        totals.push({
          vendor: (await rows.nth(i).getAttribute('data-testid')).replace(/^answer-/, ''),
          amount: amount === null ? null : Number(amount),
          state: await rows.nth(i).locator('[data-testid^="offer-status-"]').getAttribute('data-status'),
        });
      }
      const offered = totals.filter((r) => r.amount !== null).map((r) => r.amount);
      assert.deepEqual(
        offered,
        [...offered].sort((a, b) => a - b),
        'cheapest first',
      );
      assert.equal(totals.at(-1)?.vendor, mega.name, 'the rejection last');
      await shot('sorted');

      // She takes the cheapest offer still valid.
      const cheapest = totals.find((r) => r.amount !== null && r.state === 'open');
      assert.ok(cheapest, 'an offer to take');
      const other = [velo, noord].find((v) => v.name !== cheapest.vendor);
      const terms = await card.getByTestId(`answer-${cheapest.vendor}`).getAttribute('data-terms');
      await card.getByTestId(`accept-offer-${cheapest.vendor}`).click();
      await card.getByTestId('intent-status').and(status('accepted')).waitFor();
      await card.getByTestId(`offer-status-${cheapest.vendor}`).and(status('accepted')).waitFor();
      await card.getByTestId(`offer-status-${other.name}`).and(status('closed')).waitFor();
      for (const vendor of [velo, noord]) {
        assert.ok(await card.getByTestId(`accept-offer-${vendor.name}`).isDisabled(), 'no more to take');
      }
      assert.equal(await card.getByTestId('withdraw-intent').count(), 0, 'nothing to withdraw once taken');
      const opened = card.getByTestId('intent-relationship');
      await opened.waitFor();
      assert.match(await opened.getByTestId('intent-relationship-terms').innerText(), new RegExp(terms));
      await opened.scrollIntoViewIfNeeded();
      await shot('accepted');

      // The relationship, among her vendors, under the offer's terms; its link leads to its row.
      const row = page.getByTestId(`vendor-${cheapest.vendor}`);
      await row.getByTestId('vendor-status').and(status('active')).waitFor();
      assert.match(await row.getByTestId('vendor-terms').innerText(), new RegExp(terms));
      await row.getByTestId('shared-email').filter({ hasText: 'alice@example.org' }).waitFor();
      await opened.getByRole('link', { name: cheapest.vendor }).click();
      assert.match(new URL(page.url()).hash, /^#relationship-/);
      await row.scrollIntoViewIfNeeded();
      await shot('relationship');
      assert.equal(await page.getByTestId('vendor-list').locator('article').count(), 1, 'one relationship');

      // A second intent, pushed to two vendors she now knows (checked in the list). MegaStore has a person
      // decide now: its answer comes later, to her agent, and the dashboard, polling, shows it.
      await mega.setIntentPolicy({ mode: 'manual', accepts: ['2P-30D'] });
      await page.getByTestId('intent-form').scrollIntoViewIfNeeded();
      const known = page.getByTestId('intent-known-vendors');
      await known.getByLabel(new RegExp(cheapest.vendor)).check();
      await known.getByLabel(new RegExp(mega.name)).check();
      await intentcast(
        page,
        { category: 'bicycles', description: 'A second e-bike, for my partner', tags: 'e-bike', max: 3000 },
        [],
      );
      const second = await send(page);
      assert.notEqual(second.id, id);
      assert.match(
        await page.getByTestId('intent-created').innerText(),
        /Pushed to 2 vendors: 1 answered, 1 deciding/,
      );
      await second.card.getByTestId(`answer-${cheapest.vendor}`).waitFor();
      await second.card.getByTestId('intent-pushes').filter({ hasText: mega.url }).waitFor();
      assert.match(await second.card.getByTestId('intent-pushes').innerText(), /deciding/);
      assert.notEqual(
        await second.card.getByTestId('intent-did').getAttribute('title'),
        did,
        'each intent has its own one-off identity',
      );
      await second.card.scrollIntoViewIfNeeded();
      await shot('deciding');

      const decided = await mega.call('POST', `/crm/v1/intents/${encodeURIComponent(second.id)}/decision`, {
        decision: 'accept',
      });
      assert.equal(decided.status, 200, decided.text);
      const late = second.card.getByTestId(`answer-${mega.name}`);
      await late.and(page.locator('[data-decision="accept"]')).waitFor();
      await second.card.getByTestId(`offer-status-${mega.name}`).and(status('open')).waitFor();
      assert.equal(await second.card.getByTestId('intent-pushes').count(), 0, 'nobody left deciding');
      await shot('late-answer');

      // She withdraws it: its offers close and cannot be taken.
      await second.card.getByTestId('withdraw-intent').click();
      await second.card.getByTestId('confirm-withdraw').click();
      await second.card.getByTestId('intent-status').and(status('closed')).waitFor();
      for (const name of [cheapest.vendor, mega.name]) {
        await second.card.getByTestId(`offer-status-${name}`).and(status('closed')).waitFor();
        assert.ok(await second.card.getByTestId(`accept-offer-${name}`).isDisabled());
      }
      await second.card.scrollIntoViewIfNeeded();
      await shot('withdrawn');
    });
  },
);
