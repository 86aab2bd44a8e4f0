import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ed25519NoteVerifier, verifyLedgerReceipt } from '@parley/ledger';
import {
  checkAnswerToIntent,
  findTerms,
  messageHash,
  validateIntentMessage,
  type IntentDecision,
  type Offer,
} from '@parley/protocol';
import { vendorCall } from '../agreement/testing.js';
import { vendorPath } from '../agreement/vendor.js';
import { testDatabases } from '../testing/databases.js';
import { NO_MATCH_REASON } from './evaluate.js';
import {
  addCatalogue,
  BIKES,
  CATALOGUE_PATH,
  IntentPerson,
  offering,
  pushIntent,
  resign,
  setIntentPolicy,
  startIntentApi,
} from './testing.js';

const code = (terms: { id: string } | undefined) => (terms ? findTerms(terms.id)?.code : undefined);

for (const database of testDatabases()) {
  test(`${database.name}: intents: accepted by the default policy, the best match offered, receipts verify`, async (t) => {
    const api = await startIntentApi(database);
    t.after(api.close);
    const ids = await addCatalogue(api, api.keys.a, BIKES);
    const vendor = await vendorCall(api, 'GET', vendorPath(api.tenants.a));
    assert.equal(vendor.status, 200);
    assert.deepEqual(vendor.body.intentPolicy, { mode: 'auto', accepts: ['PDC-INTENT', '2P-30D'] });
    assert.deepEqual(vendor.body.categories, ['bicycles', 'phones']);

    const person = new IntentPerson();
    const { intent } = person.intentcast();
    const r = await pushIntent(api, api.tenants.a, intent);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'decided');
    const decision = validateIntentMessage<IntentDecision>(r.body.decision, { type: 'IntentDecision' });
    const offer = validateIntentMessage<Offer>(r.body.offer, { type: 'Offer' });
    assert.equal(decision.from, vendor.body.did);
    assert.equal(decision.decision, 'accept');
    assert.equal(code(decision.terms), 'PDC-INTENT');
    checkAnswerToIntent(decision, intent);
    checkAnswerToIntent(offer, intent, decision);
    // Both tags, within 1000-2500: the Gazelle (2299) beats the cheaper Cortina (one tag).
    assert.deepEqual(offer.items, [
      { sku: ids[0], name: 'Gazelle Ultimate T10', quantity: 1, unitPrice: 2299 },
    ]);
    assert.deepEqual(offer.total, { amount: 2299, currency: 'EUR' });
    const days = (Date.parse(offer.validUntil) - Date.parse(offer.createdAt)) / 86_400_000;
    assert.ok(Math.abs(days - 3) < 0.01, `an offer stands 3 days (${days})`);

    // Every receipt verifies with the log key GET {vendor} publishes, and names the message.
    const verifier = Ed25519NoteVerifier.fromVkey(vendor.body.ledger.vkey);
    for (const [name, type, id] of [
      ['intentcast', 'intentcast', intent.id],
      ['decision', 'intentDecision', decision.id],
      ['offer', 'offer', offer.id],
    ] as const) {
      const receipt = r.body.ledger[name];
      verifyLedgerReceipt(receipt, verifier);
      assert.equal(receipt.record.type, type);
      assert.ok(Object.values(receipt.record).includes(id), `${name} receipt names ${id}`);
    }
    assert.equal(r.body.ledger.offer.record.sha256, messageHash(offer));
    // Records hold ids, DIDs and hashes: nothing of what she wants.
    const records = JSON.stringify(
      Object.values(r.body.ledger).map((x) => (x as { record: unknown }).record),
    );
    for (const secret of ['bicycles', 'e-bike', 'Utrecht', '2500', 'intents/answers'])
      assert.ok(!records.includes(secret));

    // The same intentcast again: the same answer. Its id with other content: 409.
    const again = await pushIntent(api, api.tenants.a, intent);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, r.body);
    const identity = person.master.pairwise('intent:1');
    const other = resign(intent, identity, { price: { max: 3000, currency: 'EUR' } });
    const reused = await pushIntent(api, api.tenants.a, other);
    assert.equal(reused.status, 409, reused.text);
    assert.equal(reused.body.code, 'duplicate');
    assert.equal(reused.body.field, 'id');
  });

  test(`${database.name}: intents: counter and rejection by policy, no match, brands and currency`, async (t) => {
    const api = await startIntentApi(database);
    t.after(api.close);
    const ids = await addCatalogue(api, api.keys.a, [
      ...BIKES,
      offering('Gazelle Grenoble', 'Bicycles', 1999, { brand: 'gazelle', tags: ['city'] }),
      offering('Gazelle in pounds', 'bicycles', 1500, {
        brand: 'Gazelle',
        tags: ['e-bike', 'commuter'],
        currency: 'GBP',
      }),
      offering('Old Gazelle', 'bicycles', 1100, {
        brand: 'Gazelle',
        tags: ['e-bike', 'commuter'],
        lifecycleStatus: 'Retired',
      }),
    ]);
    const person = new IntentPerson();

    // Policy counters with 2P-30D; the offer is under the counter terms.
    await setIntentPolicy(api, api.keys.a, {
      mode: 'auto',
      accepts: ['SD-BASE'],
      counter: '2P-30D',
      reason: 'We keep your details for 30 days to deliver the bike.',
    });
    const { intent } = person.intentcast({
      intent: { category: 'bicycles', description: 'A Gazelle', tags: ['city'], brands: ['GAZELLE'] },
    });
    const countered = await pushIntent(api, api.tenants.a, intent);
    assert.equal(countered.status, 200, countered.text);
    assert.equal(countered.body.decision.decision, 'counter');
    assert.equal(code(countered.body.decision.terms), '2P-30D');
    assert.equal(countered.body.decision.reason, 'We keep your details for 30 days to deliver the bike.');
    assert.equal(code(countered.body.offer.terms), '2P-30D');
    // Brand and category compare case-insensitively; the tag "city" makes the Grenoble the best Gazelle.
    assert.equal(countered.body.offer.items[0].sku, ids[4]);

    // Only SD-BASE, no counter: a rejection with the policy's reason, no offer.
    await setIntentPolicy(api, api.keys.a, {
      mode: 'auto',
      accepts: ['SD-BASE'],
      reason: 'Service delivery terms only.',
    });
    const rejected = await pushIntent(api, api.tenants.a, person.intentcast().intent);
    assert.equal(rejected.status, 200);
    assert.equal(rejected.body.decision.decision, 'reject');
    assert.equal(rejected.body.decision.reason, 'Service delivery terms only.');
    assert.equal(rejected.body.offer, undefined);
    assert.equal(rejected.body.ledger.offer, undefined);
    assert.equal(rejected.body.ledger.decision.record.decision, 'reject');

    // Terms accepted but nothing in the catalogue: rejected with the reason.
    await setIntentPolicy(api, api.keys.a, { mode: 'auto', accepts: ['PDC-INTENT'] });
    for (const change of [
      { intent: { category: 'boats', description: 'A boat', tags: [] } },
      { price: { max: 900, currency: 'EUR' } },
      { price: { max: 2500, currency: 'USD' } },
      { intent: { category: 'bicycles', description: 'x', tags: [], brands: ['Stromer'] } },
    ]) {
      const r = await pushIntent(api, api.tenants.a, person.intentcast(change).intent);
      assert.equal(r.body.decision.decision, 'reject', JSON.stringify(change));
      assert.equal(r.body.decision.reason, NO_MATCH_REASON);
    }
    // In pounds, the GBP price; a retired offering is never offered.
    const pounds = await pushIntent(
      api,
      api.tenants.a,
      person.intentcast({ price: { max: 2000, currency: 'GBP' } }).intent,
    );
    assert.equal(pounds.body.offer.items[0].sku, ids[5]);
    assert.deepEqual(pounds.body.offer.total, { amount: 1500, currency: 'GBP' });
  });

  test(`${database.name}: intents: refused when forged, expired, not yet valid, oversize, malformed; unknown vendor`, async (t) => {
    const api = await startIntentApi(database);
    t.after(api.close);
    await addCatalogue(api, api.keys.a, BIKES);
    const person = new IntentPerson();
    const before = await api.db.kysely.selectFrom('crm_intents').select('intent_id').execute();

    const { intent } = person.intentcast();
    const forged = await pushIntent(api, api.tenants.a, {
      ...intent,
      price: { ...intent.price, max: 99_999 },
    });
    assert.equal(forged.status, 400, forged.text);
    assert.equal(forged.body.field, 'proof.proofValue');
    assert.match(forged.body.detail, /^proof\.proofValue: /);
    assert.equal(forged.headers['content-type'], 'application/problem+json; charset=utf-8');

    const past = Date.now() - 10 * 86_400_000;
    const expired = person.intentcast(
      { validFrom: new Date(past).toISOString(), validUntil: new Date(past + 86_400_000).toISOString() },
      { now: () => past },
    ).intent;
    const gone = await pushIntent(api, api.tenants.a, expired);
    assert.equal(gone.status, 410, gone.text);
    assert.equal(gone.body.code, 'expired');
    assert.equal(gone.body.field, 'validUntil');

    const soon = person.intentcast({
      validFrom: new Date(Date.now() + 86_400_000).toISOString(),
      validUntil: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    }).intent;
    const early = await pushIntent(api, api.tenants.a, soon);
    assert.equal(early.status, 410);
    assert.equal(early.body.code, 'not-yet-valid');

    const large = await pushIntent(api, api.tenants.a, { ...intent, padding: 'x'.repeat(20_000) });
    assert.equal(large.status, 413, large.text);
    assert.equal(large.body.code, 'too-large');
    const huge = await pushIntent(api, api.tenants.a, { ...intent, padding: 'x'.repeat(100_000) });
    assert.equal(huge.status, 413);

    const bad = await pushIntent(api, api.tenants.a, {
      ...intent,
      intent: { ...intent.intent, category: 'no spaces' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'intent.category');
    const twice = await pushIntent(api, api.tenants.a, '{"type":"Intentcast","type":"Intentcast"}');
    assert.equal(twice.status, 400, twice.text);
    const wrongType = await pushIntent(api, api.tenants.a, { ...intent, type: 'Offer' });
    assert.equal(wrongType.status, 400);

    assert.equal((await pushIntent(api, 'no-such-tenant', intent)).status, 404);
    const after = await api.db.kysely.selectFrom('crm_intents').select('intent_id').execute();
    assert.deepEqual(after, before, 'nothing refused was stored');
  });

  test(`${database.name}: intents: the catalogue (TMF620) by role, its index refreshed on change; tenants apart`, async (t) => {
    const api = await startIntentApi(database);
    t.after(api.close);
    const person = new IntentPerson();
    // Nothing yet: no match.
    const none = await pushIntent(api, api.tenants.a, person.intentcast().intent);
    assert.equal(none.body.decision.reason, NO_MATCH_REASON);

    const [id] = await addCatalogue(api, api.keys.a, [BIKES[1] as object]);
    assert.equal((await api.call(api.keys.aRead, 'POST', CATALOGUE_PATH, BIKES[0])).status, 403);
    const list = await api.call(api.keys.aRead, 'GET', `${CATALOGUE_PATH}?brand=Cortina`);
    assert.equal(list.status, 200);
    assert.equal(list.headers['x-total-count'], '1');
    const bad = await api.call(api.keys.a, 'POST', CATALOGUE_PATH, { ...BIKES[0], colour: 'red' });
    assert.equal(bad.status, 400);
    const badCurrency = await api.call(
      api.keys.a,
      'POST',
      CATALOGUE_PATH,
      offering('X', 'bicycles', 10, { currency: 'euro' }),
    );
    assert.equal(badCurrency.status, 400);

    // The change is seen at once.
    const one = await pushIntent(api, api.tenants.a, person.intentcast().intent);
    assert.equal(one.body.offer.items[0].sku, id);
    const patched = await api.call(
      api.keys.a,
      'PATCH',
      `${CATALOGUE_PATH}/${id}`,
      { productOfferingPrice: [{ price: { taxIncludedAmount: { value: 1750, unit: 'EUR' } } }] },
      'application/merge-patch+json',
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const cheaper = await pushIntent(api, api.tenants.a, person.intentcast().intent);
    assert.equal(cheaper.body.offer.items[0].unitPrice, 1750);
    assert.equal((await api.call(api.keys.a, 'DELETE', `${CATALOGUE_PATH}/${id}`)).status, 204);
    const gone = await pushIntent(api, api.tenants.a, person.intentcast().intent);
    assert.equal(gone.body.decision.reason, NO_MATCH_REASON);

    // Tenant B: its own catalogue, identity, intents and offers.
    await addCatalogue(api, api.keys.b, [BIKES[0] as object]);
    assert.equal((await api.call(api.keys.b, 'GET', CATALOGUE_PATH)).headers['x-total-count'], '1');
    assert.equal((await api.call(api.keys.a, 'GET', CATALOGUE_PATH)).headers['x-total-count'], '0');
    const { intent } = person.intentcast();
    const atA = await pushIntent(api, api.tenants.a, intent);
    const atB = await pushIntent(api, api.tenants.b, intent);
    assert.equal(atA.body.decision.decision, 'reject');
    assert.equal(atB.body.decision.decision, 'accept');
    assert.notEqual(atA.body.decision.from, atB.body.decision.from);
    const listedB = await api.call(api.keys.b, 'GET', '/crm/v1/intents');
    assert.equal(listedB.headers['x-total-count'], '1');
    const listedA = await api.call(api.keys.a, 'GET', '/crm/v1/intents');
    assert.equal(listedA.headers['x-total-count'], '5');
    assert.equal(
      (await api.call(api.keys.a, 'GET', `/crm/v1/intents/${encodeURIComponent(intent.id)}`)).body?.decision
        ? 'seen'
        : 'not',
      'seen',
    );
  });

  test(`${database.name}: intents: the intent policy is checked when the profile is set`, async (t) => {
    const api = await startIntentApi(database);
    t.after(api.close);
    const current = await api.call(api.keys.a, 'GET', '/crm/v1/vendorProfile');
    assert.deepEqual(current.body?.intentPolicy, { mode: 'auto', accepts: ['PDC-INTENT', '2P-30D'] });
    const put = (intentPolicy: unknown) =>
      api.call(api.keys.a, 'PUT', '/crm/v1/vendorProfile', { ...current.body, intentPolicy });
    const unknown = await put({ mode: 'auto', accepts: ['NOPE'] });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body?.field, 'body.intentPolicy.accepts.0');
    const counter = await put({ mode: 'auto', accepts: [], counter: 'NOPE' });
    assert.equal(counter.body?.field, 'body.intentPolicy.counter');
    assert.equal((await put({ mode: 'sometimes', accepts: [] })).status, 400);
    assert.equal((await put({ mode: 'auto', accepts: ['2p-30d', '2P-30D'] })).status, 422);
    const ok = await put({ mode: 'manual', accepts: ['intent only'], counter: '2p-30d' });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body?.intentPolicy, { mode: 'manual', accepts: ['PDC-INTENT'], counter: '2P-30D' });
    const published = await vendorCall(api, 'GET', vendorPath(api.tenants.a));
    assert.deepEqual(published.body.intentPolicy, {
      mode: 'manual',
      accepts: ['PDC-INTENT'],
      counter: '2P-30D',
    });
    // A profile PUT without intentPolicy gets the default.
    const { intentPolicy: _ip, ...rest } = current.body as Record<string, unknown>;
    const without = await api.call(api.keys.a, 'PUT', '/crm/v1/vendorProfile', rest);
    assert.deepEqual(without.body?.intentPolicy, { mode: 'auto', accepts: ['PDC-INTENT', '2P-30D'] });
  });
}
