import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSV_FORMATS } from '../csv/import.js';
import { addApiKey } from '../tenant/keys.js';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { household } from '../testing/fixtures.js';
import { ADA, CHILD_CDRS, customerWithHistory, HOLDER_CDRS } from './testing.js';

interface Raw {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read freely
  body: any;
}

async function get(api: TestApi, key: string, url: string): Promise<Raw> {
  const r = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  let body: unknown;
  try {
    body = JSON.parse(r.body);
  } catch {
    body = undefined;
  }
  return { status: r.statusCode, headers: r.headers, text: r.body, body };
}

for (const database of testDatabases()) {
  test(`${database.name}: a self-care customer exports everything about herself and nothing of another customer`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const ada = await customerWithHistory(api);
    const other = await customerWithHistory(api); // another household of the same tenant, its own CDRs
    const key = await addApiKey(api.db, api.tenants.a, 'selfcare', 'app', undefined, ada.holder);
    const ledgerBefore = (await get(api, key, '/crm/v1/selfcare/export?include=party')).status;
    assert.equal(ledgerBefore, 200);

    const r = await get(api, key, '/crm/v1/selfcare/export');
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(Object.keys(r.body), [
      'partyId',
      'exportedAt',
      'party',
      'agreements',
      'accounts',
      'services',
      'usage',
      'interactions',
      'tickets',
    ]);
    assert.equal(r.body.partyId, ada.holder);
    assert.equal(r.body.party.id, ada.holder);
    assert.ok(r.body.party.contactMedium.some((m: { mediumType: string }) => m.mediumType === 'phone'));
    assert.deepEqual(
      r.body.accounts.map((a: { id: string }) => a.id),
      [ada.account],
    );
    // Every CDR of the account she holds (hers, the posted one, her child's), none of the other household.
    assert.equal(r.body.usage.length, 1 + HOLDER_CDRS + CHILD_CDRS);
    for (const u of r.body.usage) {
      const account = u.usageCharacteristic.find((c: { name: string }) => c.name === 'accountId')?.value;
      assert.equal(account, ada.account);
      assert.notEqual(u.relatedParty?.[0]?.id, other.holder);
    }
    assert.equal(r.body.tickets.length, 2, 'her ticket and her agent’s error report');
    assert.equal(r.body.interactions.length, 2);
    assert.equal(r.body.agreements.length, 1);
    assert.equal(r.body.agreements[0].id, ada.agent.agreement?.id);
    assert.deepEqual(
      r.body.agreements[0].values.map((v: { field: string; value: unknown }) => [v.field, v.value]),
      [['email', ADA.agentEmail]],
    );
    assert.ok(!r.text.includes(other.holder), 'nothing names the other customer');

    // CSV: one kind, the header and one line per CDR.
    const csv = await get(api, key, '/crm/v1/selfcare/export?format=csv&include=usage');
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="usage.csv"/);
    const lines = csv.text.trim().split(/\r?\n/);
    assert.equal(lines[0], CSV_FORMATS.usage.columns.join(','));
    assert.equal(lines.length, 1 + 1 + HOLDER_CDRS + CHILD_CDRS);
    const party = await get(api, key, '/crm/v1/selfcare/export?format=csv&include=party');
    assert.equal(party.text.trim().split(/\r?\n/).length, 2);
    assert.ok(party.text.includes(ADA.agentEmail) && party.text.includes(ADA.phone), party.text);

    // Bad queries name the field.
    const two = await get(api, key, '/crm/v1/selfcare/export?format=csv&include=party,usage');
    assert.equal(two.status, 422);
    assert.equal(two.body.field, 'include');
    const tickets = await get(api, key, '/crm/v1/selfcare/export?format=csv&include=tickets');
    assert.equal(tickets.status, 422);
    const bogus = await get(api, key, '/crm/v1/selfcare/export?include=party,secrets');
    assert.equal(bogus.status, 400);
    assert.equal(bogus.body.field, 'include');
    assert.match(String(bogus.headers['content-type']), /^application\/problem\+json/);
    const format = await get(api, key, '/crm/v1/selfcare/export?format=xml');
    assert.equal(format.status, 400);
    assert.match(format.body.field, /format/);

    // A member of the account (the child) gets her own CDRs of it, not the holder's.
    const childKey = await addApiKey(api.db, api.tenants.a, 'selfcare', 'app', undefined, ada.child);
    const child = await get(api, childKey, '/crm/v1/selfcare/export?include=usage,agreements');
    assert.equal(child.status, 200);
    assert.equal(child.body.usage.length, CHILD_CDRS);
    for (const u of child.body.usage) assert.equal(u.relatedParty[0].id, ada.child);
    assert.deepEqual(child.body.agreements, []);
  });

  test(`${database.name}: staff export a person for a subject-access request; self-care keys may not`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const h = await household(api);
    const agentKey = await addApiKey(api.db, api.tenants.a, 'agent', 'desk');
    const selfcare = await addApiKey(api.db, api.tenants.a, 'selfcare', 'app', undefined, h.holder);

    const ok = await get(api, agentKey, `/crm/v1/individual/${h.holder}/export?include=party,accounts`);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(Object.keys(ok.body), ['partyId', 'exportedAt', 'party', 'accounts']);
    assert.equal(ok.body.party.givenName, 'Ada');
    assert.equal(ok.body.accounts.length, 1);
    const admin = await get(api, api.keys.a, `/crm/v1/individual/${h.child}/export?format=csv&include=party`);
    assert.equal(admin.status, 200);
    assert.ok(admin.text.includes(h.child));

    const unknown = await get(api, api.keys.a, '/crm/v1/individual/no-such-person/export');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.field, 'id');
    // Another tenant's staff do not find her.
    assert.equal((await get(api, api.keys.b, `/crm/v1/individual/${h.holder}/export`)).status, 404);
    const forbidden = await get(api, selfcare, `/crm/v1/individual/${h.holder}/export`);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.field, 'authorization');
    assert.equal((await get(api, api.keys.aRead, `/crm/v1/individual/${h.holder}/export`)).status, 403);
    // And staff keys are not self-care keys.
    assert.equal((await get(api, api.keys.a, '/crm/v1/selfcare/export')).status, 403);

    // The routes are in the OpenAPI document.
    const doc = await get(api, api.keys.a, '/openapi.json');
    assert.ok(doc.body.paths['/crm/v1/selfcare/export']);
    assert.ok(doc.body.paths['/crm/v1/individual/{id}/export']);
    assert.ok(doc.body.paths['/crm/v1/individual/{id}/erasure']);
    assert.ok(doc.body.paths['/crm/v1/selfcare/erasure']);
  });
}
