import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { canonicalize, sha256Hex } from '@parley/protocol';
import type { Database } from '@parley/store';
import { addApiKey } from '../tenant/keys.js';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE } from '../testing/fixtures.js';
import { AlreadyErased, eraseIndividual, RETENTION_GROUNDS, type ErasureReport } from './erasure.js';
import { ADA, CHILD_CDRS, customerWithHistory, HOLDER_CDRS } from './testing.js';

/** Every table of the database, every row, every text value (JSON documents as their text). */
async function* everyValue(db: Database): AsyncGenerator<{ table: string; value: string }> {
  const tables =
    db.kind === 'postgres'
      ? await sql<{ name: string }>`
          SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(db.kysely)
      : await sql<{ name: string }>`
          SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(
          db.kysely,
        );
  assert.ok(tables.rows.length > 20, 'the scan sees the tables');
  for (const { name } of tables.rows) {
    const rows = (await db.kysely.selectFrom(name).selectAll().execute()) as Record<string, unknown>[];
    for (const row of rows) {
      for (const value of Object.values(row)) {
        if (typeof value === 'string') yield { table: name, value };
        else if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value))
          yield { table: name, value: JSON.stringify(value) };
      }
    }
  }
}

/** What names her: her given name as a word, her emails, her phone, her birth date. */
const NEEDLES = [/\bAda\b/, ADA.email, ADA.agentEmail, ADA.phone, '1815-12-10'];

const kept = (report: ErasureReport, what: string) => report.kept.find((k) => k.what === what);
const removed = (report: ErasureReport, what: string) => report.removed.find((r) => r.what === what);

for (const database of testDatabases()) {
  test(`${database.name}: erasure removes her and anonymises what the law keeps; a scan of every table finds her nowhere`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const ada = await customerWithHistory(api);
    const selfcare = await addApiKey(api.db, api.tenants.a, 'selfcare', 'app', undefined, ada.holder);
    assert.equal((await api.call(selfcare, 'GET', `${BASE.party}/individual/${ada.holder}`)).status, 200);
    const agentKey = await addApiKey(api.db, api.tenants.a, 'agent', 'desk');

    // Only admins erase, with a reason, an individual of their tenant.
    const url = `/crm/v1/individual/${ada.holder}/erasure`;
    const body = { reason: 'Her letter of 2026-03-04, asking to be forgotten' };
    assert.equal((await api.call(agentKey, 'POST', url, body)).status, 403);
    assert.equal((await api.call(selfcare, 'POST', url, body)).status, 403);
    assert.equal((await api.call(api.keys.b, 'POST', url, body)).status, 403);
    const noReason = await api.call(api.keys.a, 'POST', url, {});
    assert.equal(noReason.status, 400);
    assert.match(String(noReason.body?.detail), /reason/);
    const unknown = await api.call(api.keys.a, 'POST', '/crm/v1/individual/nobody/erasure', body);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body?.field, 'id');

    // A compliance record naming her (a data-use decision), as packages/crm/src/compliance writes them.
    await api.db.kysely
      .insertInto('crm_data_use_members')
      .values({
        tenant_id: api.tenants.a,
        use_id: 'use-1',
        party_id: ada.holder,
        agreement_id: null,
        included: 1,
        reason: null,
      })
      .execute();

    // Before: the scan finds her in many places (so that finding nothing afterwards means something).
    const before = new Map<string, Set<string>>();
    for await (const { table, value } of everyValue(api.db)) {
      for (const needle of NEEDLES) {
        const found = typeof needle === 'string' ? value.includes(needle) : needle.test(value);
        if (found) before.set(String(needle), (before.get(String(needle)) ?? new Set()).add(table));
      }
    }
    assert.equal(before.size, NEEDLES.length, [...before.keys()].join(' '));
    for (const table of ['crm_parties', 'crm_usage', 'crm_tickets', 'crm_interactions', 'crm_accounts'])
      assert.ok(before.get(String(/\bAda\b/))?.has(table), table);
    assert.ok(before.get(ADA.agentEmail)?.has('crm_agreement_data'));

    const r = await api.call(api.keys.a, 'POST', url, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const report = r.body as unknown as ErasureReport;
    assert.equal(report.partyId, ada.holder);
    assert.equal(report.reason, body.reason);
    const pseudonym = report.kept[0]?.anonymisedAs as string;
    assert.match(pseudonym, /^erased:[0-9a-f]{32}$/);
    for (const k of report.kept) assert.equal(k.anonymisedAs, pseudonym);

    // The counts.
    assert.equal(kept(report, 'usage records (CDRs)')?.count, 1 + HOLDER_CDRS);
    assert.equal(kept(report, 'usage records (CDRs)')?.why, RETENTION_GROUNDS.usage);
    assert.equal(kept(report, 'billing accounts she holds')?.count, 1);
    assert.match(String(kept(report, 'billing accounts she holds')?.why), /10 years for tax law/);
    assert.equal(kept(report, 'trouble tickets and party interactions')?.count, 4);
    assert.equal(kept(report, 'signed agreements')?.count, 1);
    assert.equal(kept(report, 'account memberships and services she used')?.count, 1);
    assert.equal(kept(report, 'compliance records naming her')?.count, 1);
    assert.equal(removed(report, 'values received under her agreements')?.count, 1);
    assert.equal(removed(report, 'active agreements terminated')?.count, 1);
    assert.equal(removed(report, 'self-care API keys (revoked)')?.count, 1);
    assert.equal(removed(report, 'customer records (TMF629)')?.count, 1);
    assert.equal(removed(report, 'free text of trouble tickets about her')?.count, 2);
    assert.equal(removed(report, 'free text of party interactions with her')?.count, 2);
    assert.equal(removed(report, 'agreement invitations')?.count, 1);

    // The ledger receipt: hashes and counts, never her data.
    assert.ok(report.ledger);
    const record = report.ledger.record as Record<string, unknown>;
    assert.equal(record.type, 'erasure');
    assert.equal(record.tenant, api.tenants.a);
    assert.equal(record.partyHash, sha256Hex(ada.holder));
    const { ledger: _receipt, ...core } = report;
    assert.equal(record.reportSha256, sha256Hex(canonicalize(core)));
    assert.ok(Number.isInteger(report.ledger.index));
    assert.match(report.ledger.checkpoint, /^parley-crm\/ledger\n/);
    assert.ok(!JSON.stringify(record).includes(ada.holder));
    assert.ok(!JSON.stringify(record).includes('Ada'));

    // Stored; asked again, the same report.
    const again = await api.call(api.keys.a, 'POST', url, { reason: 'again' });
    assert.equal(again.status, 200);
    assert.equal(again.headers['parley-erasure'], 'repeated');
    assert.equal(again.body?.id, report.id);
    assert.equal(again.body?.reason, body.reason);
    const stored = (await api.db.kysely
      .selectFrom('crm_erasures')
      .select(['id', 'report_sha256'])
      .where('party_id', '=', ada.holder)
      .execute()) as { id: string; report_sha256: string }[];
    assert.deepEqual(stored, [{ id: report.id, report_sha256: record.reportSha256 }]);

    // Her self-care key is revoked at once; her agent's agreement is over.
    assert.equal((await api.call(selfcare, 'GET', '/crm/v1/selfcare/export')).status, 401);
    const pulled = await ada.agent.pull(ada.agent.dataRequest(['party']));
    assert.equal(pulled.status, 410);

    // What is kept is no longer hers: the account and CDRs answer to the pseudonym; the child's stay the child's.
    const usage = (await api.db.kysely
      .selectFrom('crm_usage')
      .select(['party_id'])
      .where('tenant_id', '=', api.tenants.a)
      .where('account_id', '=', ada.account)
      .execute()) as { party_id: string }[];
    assert.equal(usage.filter((u) => u.party_id === pseudonym).length, 1 + HOLDER_CDRS);
    assert.equal(usage.filter((u) => u.party_id === ada.child).length, CHILD_CDRS);
    const account = await api.call(api.keys.a, 'GET', `${BASE.account}/billingAccount/${ada.account}`);
    assert.equal(account.status, 200);
    assert.equal((account.body?.relatedParty as { id: string }[])[0]?.id, pseudonym);
    const ticket = await api.call(api.keys.a, 'GET', `${BASE.ticket}/troubleTicket/${ada.ticket}`);
    assert.equal(ticket.body?.description, '[erased]');
    assert.equal((ticket.body?.note as { text: string }[])[0]?.text, '[erased]');
    const individual = await api.call(api.keys.a, 'GET', `${BASE.party}/individual/${ada.holder}`);
    assert.equal(individual.body?.givenName, '');
    assert.equal(individual.body?.contactMedium, undefined);
    const exported = await api.call(api.keys.a, 'GET', `/crm/v1/individual/${ada.holder}/export`);
    assert.deepEqual([exported.body?.accounts, exported.body?.usage, exported.body?.tickets], [[], [], []]);

    // The scan: her name, email and phone are nowhere; her party id only on her blank record and the report.
    const idTables = new Set<string>();
    let values = 0;
    for await (const { table, value } of everyValue(api.db)) {
      values++;
      for (const needle of NEEDLES) {
        const found = typeof needle === 'string' ? value.includes(needle) : needle.test(value);
        assert.ok(!found, `${table} still holds ${String(needle)}: ${value.slice(0, 300)}`);
      }
      if (value.includes(ada.holder)) idTables.add(table);
    }
    assert.ok(values > 1000, `the scan read ${values} values`);
    assert.deepEqual([...idTables].sort(), ['crm_erasures', 'crm_parties']);
    // The rest of the household is untouched.
    const child = await api.call(api.keys.a, 'GET', `${BASE.party}/individual/${ada.child}`);
    assert.equal(child.body?.givenName, 'Bo');
  });

  test(`${database.name}: a self-care customer erases herself; her key stops with the answer`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const ada = await customerWithHistory(api);
    const key = await addApiKey(api.db, api.tenants.a, 'selfcare', 'app', undefined, ada.child);
    assert.equal((await api.call(api.keys.a, 'POST', '/crm/v1/selfcare/erasure', {})).status, 403);
    const r = await api.call(key, 'POST', '/crm/v1/selfcare/erasure', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const report = r.body as unknown as ErasureReport;
    assert.equal(report.partyId, ada.child);
    assert.equal(report.reason, 'the person asked through self-care');
    assert.equal(kept(report, 'usage records (CDRs)')?.count, CHILD_CDRS);
    assert.equal(kept(report, 'billing accounts she holds')?.count, 0);
    assert.equal(kept(report, 'account memberships and services she used')?.count, 2);
    assert.ok(report.ledger);
    assert.equal((await api.call(key, 'GET', '/crm/v1/selfcare/export')).status, 401);
    // The holder's account and CDRs are hers still.
    const holder = await api.call(api.keys.a, 'GET', `/crm/v1/individual/${ada.holder}/export?include=usage`);
    assert.equal((holder.body?.usage as unknown[]).length, 1 + HOLDER_CDRS + CHILD_CDRS);
  });

  test(`${database.name}: erasure tells who must know after the commit: the ledger, the key cache, onward sharing`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const ada = await customerWithHistory(api);
    const logged: object[] = [];
    const told: string[][] = [];
    let forgotten = 0;
    const ctx = {
      db: api.db,
      ledger: {
        append: async (records: readonly [object, ...object[]]) => {
          logged.push(...records);
          return { record: records[0], index: logged.length - 1, proof: [], checkpoint: 'test' };
        },
      },
      forgetKeys: () => void forgotten++,
      afterTermination: async (_tenant: string, ids: string[]) => void told.push(ids),
    };
    const options = { reason: 'test', requestedBy: 'test' };
    assert.equal(await eraseIndividual(ctx, api.tenants.a, 'nobody', options), undefined);
    assert.equal(await eraseIndividual(ctx, api.tenants.b, ada.holder, options), undefined, 'another tenant');
    assert.equal(logged.length, 0);
    const report = await eraseIndividual(ctx, api.tenants.a, ada.holder, options);
    assert.ok(report?.ledger);
    assert.deepEqual(told, [[ada.agent.agreement?.id]]);
    assert.equal(forgotten, 1);
    assert.equal(logged.length, 1);
    assert.deepEqual(Object.keys(logged[0] as object), [
      'type',
      'tenant',
      'erasureId',
      'partyHash',
      'reportSha256',
      'counts',
    ]);
    await assert.rejects(eraseIndividual(ctx, api.tenants.a, ada.holder, options), (error: unknown) => {
      assert.ok(error instanceof AlreadyErased);
      assert.equal(error.report.id, report.id);
      return true;
    });
    assert.equal(logged.length, 1, 'asked again: nothing erased or logged twice');
    assert.deepEqual(told.length, 1);
  });
}
