import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Party } from '@parley/protocol';
import { buildCrmServer } from '../http/app.js';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { TestPerson } from './testing.js';

test('the vendor endpoint and its staff routes are in the OpenAPI document; the vendor routes need no key', async (t) => {
  const [sqlite] = testDatabases();
  assert.ok(sqlite);
  const api = await startTestApi(sqlite, { escalationIntervalMs: 0 });
  t.after(api.close);
  const r = await api.app.inject({ method: 'GET', url: '/openapi.json' });
  const doc = r.json() as {
    paths: Record<string, Record<string, { security?: unknown[]; tags?: string[] }>>;
  };
  for (const path of [
    '',
    '/offerings',
    '/negotiations',
    '/negotiations/{proposalId}/answer',
    '/events',
    '/data',
  ]) {
    const entry = doc.paths[`/parley/v1/vendors/{tenantId}${path}`];
    const operation = entry?.post ?? entry?.get;
    assert.ok(operation, `${path} is documented`);
    assert.deepEqual(operation.security, [], `${path} needs no API key`);
  }
  assert.ok(doc.paths['/crm/v1/vendorProfile']?.put);
  assert.ok(doc.paths['/crm/v1/agreementInvitations']?.post);
});

for (const database of testDatabases()) {
  test(`${database.name}: after a restart with the same key file and ledger, the chain and the ledger go on`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-vendor-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const key = Party.generate('crm');
    const ledger = { url: join(dir, 'ledger.db'), origin: 'crm.test/ledger' };
    const api = await startTestApi(database, { escalationIntervalMs: 0, vendorKey: key, ledger });
    t.after(api.close);
    const person = new TestPerson(api, api.tenants.a);
    assert.equal((await person.proffer(['SD-BASE'])).body.status, 'agreed');
    const first = await person.data({ email: 'alice@example.org' });
    assert.equal(first.status, 200);
    const { did, vkey } = { did: person.vendorDid, vkey: person.vkey };

    // A new server on the same database, key and ledger file: same identity, same log, the chain's head kept.
    await api.app.close();
    const app = await buildCrmServer({ db: api.db, escalationIntervalMs: 0, vendorKey: key, ledger });
    api.app = app;
    try {
      await restarted(person, did, vkey, first.body.ledger.index);
    } finally {
      await app.close();
    }
  });
}

async function restarted(person: TestPerson, did: string, vkey: string, lastIndex: number) {
  await person.discover();
  assert.equal(person.vendorDid, did);
  assert.equal(person.vkey, vkey);
  const fork = await person.send(person.event('dataEvent', { email: 'b@example.org' }, null));
  assert.equal(fork.status, 409);
  const next = await person.data({ email: 'alice@new.example' });
  assert.equal(next.status, 200, next.text);
  person.verifyReceipt(next.body.ledger);
  assert.equal(next.body.ledger.index, lastIndex + 1);
}
