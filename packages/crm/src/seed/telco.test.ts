import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { migrate, type Database } from '@parley/store';
import {
  ACCOUNT_MEMBER,
  BILLING_ACCOUNT,
  CUSTOMER,
  INDIVIDUAL,
  PARTY_INTERACTION,
  QOE_MEASUREMENT,
  SERVICE,
  SLA,
  TROUBLE_TICKET,
  USER_GROUP,
} from '../resources.js';
import { INSIGHT_MIGRATIONS } from '../insight/migrations.js';
import { selfcareGuestsOutsideBilling, supervisedSecondariesWithOpenTickets } from '../insight/queries.js';
import { CLOSED_STATUSES } from '../ticket/ticket.js';
import type { ResourceSpec } from '../tmf/resource.js';
import { tmfBasePath, tmfSchemaId, tmfSharedSchemas } from '../tmf/schemas.js';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { Random } from './random.js';
import { seedTelco, SEED_TABLES } from './telco.js';

const SPECS: ResourceSpec[] = [
  INDIVIDUAL,
  CUSTOMER,
  BILLING_ACCOUNT,
  ACCOUNT_MEMBER,
  USER_GROUP,
  SERVICE,
  SLA,
  QOE_MEASUREMENT,
  TROUBLE_TICKET,
  PARTY_INTERACTION,
];
const NOW = new Date('2026-02-01T09:00:00.000Z');
const ACCOUNTS = 300;

const parse = (doc: unknown) => (typeof doc === 'string' ? JSON.parse(doc) : doc) as Record<string, unknown>;
const plain = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : v);

async function rows(db: Database, table: string, tenantId: string, where: Record<string, string> = {}) {
  let q = db.kysely.selectFrom(table).selectAll().where('tenant_id', '=', tenantId);
  for (const [k, v] of Object.entries(where)) q = q.where(k, '=', v);
  return (await q.orderBy('id').execute()) as Record<string, unknown>[];
}

test('the PRNG is deterministic and roughly uniform', () => {
  const a = new Random('x');
  const b = new Random('x');
  const xs = Array.from({ length: 10_000 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 10_000 }, () => b.next()),
  );
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  assert.notDeepEqual(new Random('y').next(), new Random('x').next());
});

for (const database of testDatabases()) {
  test(`${database.name}: the synthetic telco: proportions, determinism, documents the API serves and accepts`, async (t) => {
    const api = await startTestApi(database);
    t.after(api.close);
    const { db, tenants, keys, call } = api;
    await migrate(db, INSIGHT_MIGRATIONS);
    const progress: number[] = [];
    const result = await seedTelco(db, tenants.a, {
      accounts: ACCOUNTS,
      seed: 42,
      now: NOW,
      cdrsPerUser: 5,
      batchAccounts: 70,
      onProgress: (p) => {
        if (p.phase === 'accounts') progress.push(p.accountsDone);
      },
    });
    // The same seed in tenant B, in one thread and other batches: the same data.
    await seedTelco(db, tenants.b, { accounts: ACCOUNTS, seed: 42, now: NOW, cdrsPerUser: 5, threads: 1 });

    await t.test('counts and proportions', async () => {
      assert.equal(progress.length, Math.ceil(ACCOUNTS / 70));
      assert.equal(Math.max(...progress), ACCOUNTS);
      for (const table of SEED_TABLES) {
        const [{ n }] = (await db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('tenant_id', '=', tenants.a)
          .execute()) as [{ n: unknown }];
        assert.equal(Number(n), result.rows[table], `${table} count`);
      }
      const r = result.rows;
      assert.equal(r.crm_accounts, ACCOUNTS);
      assert.equal(r.crm_customers, ACCOUNTS);
      assert.equal(r.crm_slas, 3);
      assert.equal(r.crm_parties, r.crm_account_members, 'one member row per person');
      const members = await rows(db, 'crm_account_members', tenants.a);
      const count = (f: (m: Record<string, unknown>) => boolean) => members.filter(f).length;
      const holders = count((m) => m.role === 'holder');
      const secondaries = count((m) => m.role === 'secondary');
      const guests = count((m) => m.role === 'guest');
      const supervised = count((m) => m.role === 'secondary' && Number(m.parental_controls) === 1);
      assert.equal(holders, ACCOUNTS);
      assert.ok(secondaries > 0.9 * ACCOUNTS && secondaries < 1.6 * ACCOUNTS, `secondaries ${secondaries}`);
      assert.ok(
        supervised > 0.2 * secondaries && supervised < 0.45 * secondaries,
        `supervised ${supervised}`,
      );
      assert.ok(guests > 0.04 * ACCOUNTS && guests < 0.18 * ACCOUNTS, `guests ${guests}`);
      assert.equal(
        count((m) => m.role === 'guest' && Number(m.in_billing) !== 0),
        0,
      );
      assert.ok(count((m) => m.group_id !== null) > 0, 'some members are in a Family group');
      assert.equal(r.crm_usage, (holders + secondaries) * 5, 'CDRs per user');
      assert.equal(r.crm_qoe_measurements, (r.crm_services ?? 0) * 4, 'QoE per service');
      const services = r.crm_services as number;
      assert.ok(services >= holders + secondaries && services <= 3 * (holders + secondaries));
      const tickets = await rows(db, 'crm_tickets', tenants.a);
      const open = tickets.filter((x) => !CLOSED_STATUSES.includes(String(x.status)));
      const openAccounts = new Set(open.map((x) => x.account_id)).size;
      assert.ok(openAccounts > 0.01 * ACCOUNTS && openAccounts < 0.1 * ACCOUNTS, `open ${openAccounts}`);
      assert.ok(tickets.length - open.length > open.length, 'more closed tickets than open ones');
      const channels = new Set((await rows(db, 'crm_interactions', tenants.a)).map((i) => i.channel));
      assert.deepEqual([...channels].sort(), ['chat', 'email', 'phone', 'selfcare', 'social']);
    });

    await t.test(
      'deterministic: the same seed gives the same data, whatever the threads and batches',
      async () => {
        for (const table of SEED_TABLES.filter((x) => x !== 'crm_usage')) {
          const a = (await rows(db, table, tenants.a)).map((x) => [x.id, parse(x.doc)]);
          const b = (await rows(db, table, tenants.b)).map((x) => [x.id, parse(x.doc)]);
          assert.deepEqual(a, b, table);
        }
        const usage = async (tenant: string) =>
          (
            (await db.kysely
              .selectFrom('crm_usage')
              .select([
                'account_id',
                'party_id',
                'service_id',
                'usage_type',
                'started_at',
                'volume_bytes',
                'charge',
              ])
              .where('tenant_id', '=', tenant)
              .orderBy('account_id')
              .orderBy('started_at')
              .orderBy('service_id')
              .execute()) as Record<string, unknown>[]
          ).map((u) => Object.values(u).map(plain));
        assert.deepEqual(await usage(tenants.a), await usage(tenants.b));
        const other = await seedTelco(db, tenants.b, { accounts: 2, seed: 43, now: NOW, cdrsPerUser: 1 });
        assert.notEqual(other.slas.Gold, result.slas.Gold, 'another seed, other identifiers');
      },
    );

    await t.test(
      'documents are valid TMF create documents, their columns are what row() derives',
      async () => {
        const ajv = new Ajv({ allErrors: false, strict: false });
        addFormats.default(ajv);
        for (const spec of SPECS) {
          for (const schema of tmfSharedSchemas(spec.api, [spec.createDefinition]))
            if (!ajv.getSchema(schema.$id as string)) ajv.addSchema(schema);
          const validate = ajv.getSchema(tmfSchemaId(spec.api, spec.createDefinition));
          assert.ok(validate);
          const stored = await rows(db, spec.table, tenants.a, spec.scope ?? {});
          assert.ok(stored.length > 0, spec.type);
          for (const row of stored) {
            const doc = parse(row.doc);
            assert.ok(validate(doc), `${spec.type} ${String(row.id)}: ${JSON.stringify(validate.errors)}`);
            assert.equal(doc['@type'], spec.type);
            for (const [column, value] of Object.entries(spec.row(doc)))
              assert.deepEqual(plain(row[column]), value, `${spec.type}.${column}`);
          }
        }
      },
    );

    await t.test('seeded resources read and patch through the API like created ones', async () => {
      for (const spec of SPECS) {
        const url = `${tmfBasePath(spec.api)}${spec.path}`;
        const stored = (await rows(db, spec.table, tenants.a, spec.scope ?? {})).slice(0, 3);
        for (const row of stored) {
          const got = await call(keys.a, 'GET', `${url}/${String(row.id)}`);
          assert.equal(got.status, 200, `GET ${spec.type}`);
          assert.deepEqual(got.body, { id: row.id, href: `${url}/${String(row.id)}`, ...parse(row.doc) });
          const patched = await call(
            keys.a,
            'PATCH',
            `${url}/${String(row.id)}`,
            {},
            'application/merge-patch+json',
          );
          assert.equal(patched.status, 200, `PATCH ${spec.type} ${JSON.stringify(patched.body)}`);
        }
        // Tenant B's copy is not visible to tenant A's key... and B's own key sees it.
        const b = await call(keys.b, 'GET', `${url}/${String(stored[0]?.id)}`);
        assert.equal(b.status, 200);
      }
      const [cdr] = (await db.kysely
        .selectFrom('crm_usage')
        .select('id')
        .where('tenant_id', '=', tenants.a)
        .limit(1)
        .execute()) as { id: number }[];
      const usage = await call(keys.a, 'GET', `${tmfBasePath('usage')}/usage/${String(cdr?.id)}`);
      assert.equal(usage.status, 200);
      assert.ok(['voice', 'sms', 'data'].includes(String(usage.body?.usageType)));
    });

    await t.test('the paged relationship queries match a brute-force answer on the seeded data', async () => {
      const members = await rows(db, 'crm_account_members', tenants.a);
      const tickets = await rows(db, 'crm_tickets', tenants.a);
      const interactions = await rows(db, 'crm_interactions', tenants.a);
      const supervised = new Set(
        members
          .filter((m) => m.role === 'secondary' && Number(m.parental_controls) === 1)
          .map((m) => String(m.account_id)),
      );
      const expectedAccounts = [
        ...new Set(
          tickets
            .filter(
              (x) => !CLOSED_STATUSES.includes(String(x.status)) && supervised.has(String(x.account_id)),
            )
            .map((x) => String(x.account_id)),
        ),
      ].sort();
      const inBilling = new Set(members.filter((m) => Number(m.in_billing) === 1).map((m) => m.party_id));
      const selfcare = new Set(interactions.filter((i) => i.channel === 'selfcare').map((i) => i.party_id));
      const expectedGuests = [
        ...new Set(
          members
            .filter((m) => m.role === 'guest' && !inBilling.has(m.party_id) && selfcare.has(m.party_id))
            .map((m) => String(m.party_id)),
        ),
      ].sort();
      assert.ok(expectedAccounts.length > 0 && expectedGuests.length > 0);

      const all = async <T>(fetch: (offset: number) => Promise<{ items: T[]; hasMore: boolean }>) => {
        const out: T[] = [];
        for (let offset = 0; ; offset += 7) {
          const page = await fetch(offset);
          out.push(...page.items);
          if (!page.hasMore) return out;
        }
      };
      const accounts = await all((offset) =>
        supervisedSecondariesWithOpenTickets(db, tenants.a, { offset, limit: 7 }),
      );
      assert.deepEqual(
        accounts.map((a) => a.account.id),
        expectedAccounts,
      );
      // Keyset paging (after the last key) gives the same answer.
      const keyed: string[] = [];
      for (let after: string | undefined; ;) {
        const page = await supervisedSecondariesWithOpenTickets(db, tenants.a, {
          offset: 0,
          limit: 7,
          ...(after ? { after } : {}),
        });
        keyed.push(...page.items.map((a) => a.account.id));
        if (!page.hasMore) break;
        after = keyed[keyed.length - 1];
      }
      assert.deepEqual(keyed, expectedAccounts);
      for (const a of accounts) {
        assert.ok(a.supervisedMembers.length > 0 && a.openTickets.length > 0);
      }
      const guests = await all((offset) => selfcareGuestsOutsideBilling(db, tenants.a, { offset, limit: 7 }));
      assert.deepEqual(
        guests.map((g) => g.party.id),
        expectedGuests,
      );
      const after = guests[2]?.party.id as string;
      const rest = await selfcareGuestsOutsideBilling(db, tenants.a, { offset: 0, limit: 500, after });
      assert.deepEqual(
        rest.items.map((g) => g.party.id),
        expectedGuests.slice(3),
      );
      for (const g of guests) assert.ok(g.selfcare.interactions > 0 && g.accounts.length > 0);
    });
  });
}
