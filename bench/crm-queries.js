// The CRM's relationship queries on a synthetic telco (parley crm seed's generator): QoE below SLA for an account
// this week, accounts with supervised secondaries and open tickets (paged; also only tickets raised by the
// supervised user), guests outside billing who used self-care (paged), a customer's 360. Each runs many times
// with random inputs (random accounts and customers, random pages among the first 20) through the CRM's query
// functions (Kysely); p50/p99 against the target (p99 < 50 ms). Baseline, in the same run, on the same inputs:
// the obvious single SQL statement for the same question, plain joins through the raw driver, the planner's
// choice with the same indexes; for the 360, which is a dozen lookups, the same lookups as raw prepared
// statements (the floor of that approach). Ratio = ours / baseline at p99 (below 1: ours is faster).
// Seeds 2 usage records per user by default (--cdrs-per-user): the questions read none, and at 20 per user the
// seeding of 1,000,000 accounts would take most of the time (usage ingest has its own bench).
// Paged questions: a random page among the first 20, reached by keyset (`after` the previous page's last key, as
// the API's Link rel="next" does), or by offset with --offset.
// Usage: node bench/crm-queries.js [--smoke] [--accounts N] [--runs N] [--cdrs-per-user N] [--postgres URL]
//        [--offset] [--db FILE]   (--db keeps the SQLite file and reuses it when it already holds the seeded tenant)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLOSED_STATUSES,
  CRM_MIGRATIONS,
  createTenant,
  customer360,
  INSIGHT_MIGRATIONS,
  qoeBelowSla,
  seedTelco,
  selfcareGuestsOutsideBilling,
  supervisedSecondariesWithOpenTickets,
} from '@parley/crm';
import { migrate, openDatabase } from '@parley/store';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const arg = (name, fallback) => (option(name) !== undefined ? Number(option(name)) : fallback);
const smoke = args.includes('--smoke');
const ACCOUNTS = arg('--accounts', smoke ? 2_000 : 1_000_000);
const RUNS = arg('--runs', smoke ? 200 : 2_000);
const CDRS = arg('--cdrs-per-user', 2); // the questions read no usage records; bench/crm-usage-ingest.js is about those
const PG_URL = option('--postgres');
const KEEP = option('--db');
const PAGE = 50;
const PAGES = 20;
const TARGET_MS = 50;

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const DAY = 86_400_000;

// --- the database and the seeded tenant ---------------------------------------------------------------------
let dir;
let url = PG_URL;
if (!url) {
  if (KEEP) url = KEEP;
  else {
    dir = mkdtempSync(join(tmpdir(), 'parley-bench-queries-'));
    url = join(dir, 'crm.db');
  }
}
const db = openDatabase({ url, synchronous: 'normal' });
await migrate(db, [...CRM_MIGRATIONS, ...INSIGHT_MIGRATIONS]);
const tenantName = `bench-${ACCOUNTS}`;
const existing = await db.kysely
  .selectFrom('crm_tenants')
  .select('id')
  .where('name', '=', tenantName)
  .execute();
let tenantId = existing[0]?.id;
let seeded;
if (!tenantId) {
  tenantId = await createTenant(db, tenantName);
  let last = 0;
  seeded = await seedTelco(db, tenantId, {
    accounts: ACCOUNTS,
    seed: 1,
    cdrsPerUser: CDRS,
    onProgress: (p) => {
      if (p.phase === 'accounts' && Date.now() - last < 2000 && p.accountsDone < p.accounts) return;
      last = Date.now();
      process.stderr.write(
        p.phase === 'accounts'
          ? `seeded ${fmt(p.accountsDone)} / ${fmt(p.accounts)} accounts, ${fmt(p.rows)} rows, ${p.seconds.toFixed(0)} s (${fmt(p.rows / p.seconds)} rows/s)\n`
          : `${p.phase} (${p.seconds.toFixed(0)} s)\n`,
      );
    },
  });
} else process.stderr.write(`reusing tenant ${tenantName} in ${url}\n`);
// Measure a database in its steady state: the write-ahead log copied back (a server checkpoints as it goes).
if (db.kind === 'sqlite') db.sqlite.pragma('wal_checkpoint(TRUNCATE)');

const tables = [
  'crm_parties',
  'crm_customers',
  'crm_accounts',
  'crm_account_members',
  'crm_user_groups',
  'crm_services',
  'crm_slas',
  'crm_qoe_measurements',
  'crm_tickets',
  'crm_interactions',
  'crm_usage',
];
const sizes = {};
for (const t of tables) {
  const [{ n }] = await db.kysely
    .selectFrom(t)
    .select((eb) => eb.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .execute();
  sizes[t] = Number(n);
}
const users = await db.kysely
  .selectFrom('crm_account_members')
  .select((eb) => eb.fn.countAll().as('n'))
  .where('tenant_id', '=', tenantId)
  .where('role', '!=', 'guest')
  .execute();

// --- raw access for the baselines -----------------------------------------------------------------------------
// SQL with $1, $2 ... placeholders, each used once and in order, so that SQLite can take them as `?`.
const raw =
  db.kind === 'sqlite'
    ? (() => {
        const cache = new Map();
        return async (text, params) => {
          let stmt = cache.get(text);
          if (!stmt) cache.set(text, (stmt = db.sqlite.prepare(text.replace(/\$\d+/g, '?'))));
          return stmt.all(...params);
        };
      })()
    : async (text, params) => (await db.pool.query(text, params)).rows;
const OPEN = `status NOT IN (${CLOSED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

// --- inputs -------------------------------------------------------------------------------------------------
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const pick = (list) => list[Math.floor(random() * list.length)];
const ids = async (table) =>
  (await raw(`SELECT id FROM ${table} WHERE tenant_id = $1`, [tenantId])).map((r) => r.id);
process.stderr.write('reading the ids inputs are drawn from\n');
const accountIds = await ids('crm_accounts');
const customerIds = await ids('crm_customers');
const now = Date.now();
const weekFrom = new Date(now - 7 * DAY).toISOString();
const weekTo = new Date(now).toISOString();
const count = async (text) => Number((await raw(text, [tenantId]))[0].n);
// How many answers each paged question has (once, the obvious way), to pick pages that exist.
const totals = {
  supervised: await count(
    `SELECT count(DISTINCT t.account_id) AS n FROM crm_tickets t JOIN crm_account_members m
       ON m.tenant_id = t.tenant_id AND m.account_id = t.account_id
     WHERE t.tenant_id = $1 AND t.${OPEN} AND m.role = 'secondary' AND m.parental_controls = 1`,
  ),
  supervisedOwn: await count(
    `SELECT count(DISTINCT t.account_id) AS n FROM crm_tickets t JOIN crm_account_members m
       ON m.tenant_id = t.tenant_id AND m.account_id = t.account_id AND m.party_id = t.party_id
     WHERE t.tenant_id = $1 AND t.${OPEN} AND m.role = 'secondary' AND m.parental_controls = 1`,
  ),
  guests: await count(
    `SELECT count(DISTINCT g.party_id) AS n FROM crm_account_members g JOIN crm_interactions i
       ON i.tenant_id = g.tenant_id AND i.party_id = g.party_id AND i.channel = 'selfcare'
     WHERE g.tenant_id = $1 AND g.role = 'guest' AND g.in_billing = 0 AND NOT EXISTS (SELECT 1 FROM
       crm_account_members b WHERE b.tenant_id = g.tenant_id AND b.party_id = g.party_id AND b.in_billing = 1)`,
  ),
};
// A page: with --offset, `offset` pages in (walking past the skipped results); by default, keyset paging as the
// API's Link rel="next" does: `after` the last key of the page before (keys found once, by walking the pages).
const OFFSET_PAGING = args.includes('--offset');
const pageKeys = async (fetch, keyOf) => {
  const keys = [undefined];
  for (let i = 1; i < PAGES; i++) {
    const page = await fetch({ offset: 0, limit: PAGE, ...(keys[i - 1] ? { after: keys[i - 1] } : {}) });
    if (!page.hasMore) break;
    keys.push(keyOf(page.items[page.items.length - 1]));
  }
  return keys;
};
const pageInput = (keys) => () => {
  const i = Math.floor(random() * keys.length);
  return OFFSET_PAGING ? { offset: i * PAGE } : { offset: 0, ...(keys[i] ? { after: keys[i] } : {}) };
};
const supervised = (ticketOf) => (page) =>
  supervisedSecondariesWithOpenTickets(db, tenantId, { ...page, limit: PAGE, ticketOf });
const guests = (page) => selfcareGuestsOutsideBilling(db, tenantId, { ...page, limit: PAGE });
const keys = {
  supervised: await pageKeys(supervised('account'), (a) => a.account.id),
  supervisedOwn: await pageKeys(supervised('secondary'), (a) => a.account.id),
  guests: await pageKeys(guests, (g) => g.party.id),
};
// The obvious SQL, paged the same way.
const paged = (key, { offset, after }) => ({
  where: after ? ` AND ${key} > $2` : '',
  params: after ? [tenantId, after] : [tenantId],
  tail: `ORDER BY ${key} LIMIT ${PAGE} OFFSET ${offset}`,
});

// --- the questions: ours and the baseline on the same input ----------------------------------------------------
const QUERIES = [
  {
    name: 'qoe below SLA (account, 7 days)',
    baseline: 'one SQL: measurements by account and week joined to services, grouped',
    input: () => pick(accountIds),
    ours: (id) => qoeBelowSla(db, tenantId, id, { from: weekFrom, to: weekTo }),
    raw: (id) =>
      raw(
        `SELECT s.user_party_id, s.id, s.sla_id, count(*) AS n, avg(m.availability) AS availability,
           avg(m.throughput) AS throughput, avg(m.latency) AS latency, avg(m.packet_loss) AS packet_loss
         FROM crm_qoe_measurements m JOIN crm_services s ON s.tenant_id = m.tenant_id AND s.id = m.service_id
         WHERE m.tenant_id = $1 AND m.account_id = $2 AND m.measured_at >= $3 AND m.measured_at < $4
         GROUP BY s.user_party_id, s.id, s.sla_id`,
        [tenantId, id, weekFrom, weekTo],
      ),
  },
  {
    name: 'supervised secondaries + open tickets (page)',
    baseline: 'one SQL: accounts join members join tickets, DISTINCT, ORDER BY, paged the same way',
    input: pageInput(keys.supervised),
    ours: supervised('account'),
    raw: (page) => {
      const p = paged('a.id', page);
      return raw(
        `SELECT DISTINCT a.id FROM crm_accounts a
           JOIN crm_account_members m ON m.tenant_id = a.tenant_id AND m.account_id = a.id
           JOIN crm_tickets t ON t.tenant_id = a.tenant_id AND t.account_id = a.id
         WHERE a.tenant_id = $1 AND m.role = 'secondary' AND m.parental_controls = 1 AND t.${OPEN}${p.where}
         ${p.tail}`,
        p.params,
      );
    },
  },
  {
    name: '... tickets raised by the supervised user (page)',
    baseline: 'one SQL: as above, tickets joined on the member party',
    input: pageInput(keys.supervisedOwn),
    ours: supervised('secondary'),
    raw: (page) => {
      const p = paged('a.id', page);
      return raw(
        `SELECT DISTINCT a.id FROM crm_accounts a
           JOIN crm_account_members m ON m.tenant_id = a.tenant_id AND m.account_id = a.id
           JOIN crm_tickets t ON t.tenant_id = a.tenant_id AND t.account_id = a.id AND t.party_id = m.party_id
         WHERE a.tenant_id = $1 AND m.role = 'secondary' AND m.parental_controls = 1 AND t.${OPEN}${p.where}
         ${p.tail}`,
        p.params,
      );
    },
  },
  {
    name: 'self-care guests outside billing (page)',
    baseline: 'one SQL: guest members join self-care interactions, NOT EXISTS a billed membership, DISTINCT',
    input: pageInput(keys.guests),
    ours: guests,
    raw: (page) => {
      const p = paged('g.party_id', page);
      return raw(
        `SELECT DISTINCT g.party_id FROM crm_account_members g
           JOIN crm_interactions i ON i.tenant_id = g.tenant_id AND i.party_id = g.party_id
         WHERE g.tenant_id = $1 AND g.role = 'guest' AND g.in_billing = 0 AND i.channel = 'selfcare'
           AND NOT EXISTS (SELECT 1 FROM crm_account_members b
             WHERE b.tenant_id = g.tenant_id AND b.party_id = g.party_id AND b.in_billing = 1)${p.where}
         ${p.tail}`,
        p.params,
      );
    },
  },
  {
    name: "customer's 360",
    baseline: 'the same 12 lookups as raw prepared statements, one after the other',
    input: () => pick(customerIds),
    ours: (id) => customer360(db, tenantId, id),
    raw: async (id) => {
      const [c] = await raw('SELECT engaged_party_id FROM crm_customers WHERE tenant_id = $1 AND id = $2', [
        tenantId,
        id,
      ]);
      const party = c.engaged_party_id;
      const p = [tenantId, party];
      await raw('SELECT id, kind, name, status FROM crm_parties WHERE tenant_id = $1 AND id = $2', p);
      await raw(
        'SELECT id, name, status FROM crm_customers WHERE tenant_id = $1 AND engaged_party_id = $2',
        p,
      );
      const held = await raw('SELECT id FROM crm_accounts WHERE tenant_id = $1 AND holder_party_id = $2', p);
      const member = await raw(
        'SELECT account_id, role FROM crm_account_members WHERE tenant_id = $1 AND party_id = $2',
        p,
      );
      await raw(
        `SELECT id, channel, started_at FROM crm_interactions WHERE tenant_id = $1 AND party_id = $2
         ORDER BY started_at DESC LIMIT 10`,
        p,
      );
      await raw(`SELECT id, status FROM crm_tickets WHERE tenant_id = $1 AND party_id = $2 AND ${OPEN}`, p);
      const memberParties = new Set();
      const slas = new Set();
      for (const account of new Set([...held.map((a) => a.id), ...member.map((m) => m.account_id)])) {
        const a = [tenantId, account];
        await raw('SELECT id, name, state FROM crm_accounts WHERE tenant_id = $1 AND id = $2', a);
        for (const m of await raw(
          'SELECT id, party_id, role FROM crm_account_members WHERE tenant_id = $1 AND account_id = $2',
          a,
        ))
          memberParties.add(m.party_id);
        for (const s of await raw(
          'SELECT id, name, sla_id FROM crm_services WHERE tenant_id = $1 AND account_id = $2',
          a,
        ))
          slas.add(s.sla_id);
        await raw(
          `SELECT id, status FROM crm_tickets WHERE tenant_id = $1 AND account_id = $2 AND ${OPEN}`,
          a,
        );
      }
      for (const other of memberParties)
        await raw('SELECT id, name FROM crm_parties WHERE tenant_id = $1 AND id = $2', [tenantId, other]);
      for (const sla of slas)
        await raw('SELECT id, name FROM crm_slas WHERE tenant_id = $1 AND id = $2', [tenantId, sla]);
    },
  },
];

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const results = [];
for (const q of QUERIES) {
  const times = { ours: [], raw: [] };
  let answers = 0;
  for (let i = 0; i < Math.min(50, RUNS); i++) {
    const input = q.input();
    await q.ours(input);
    await q.raw(input);
  }
  for (let i = 0; i < RUNS; i++) {
    const input = q.input();
    // Alternate which side goes first, so neither always finds the pages the other just read.
    for (const side of i % 2 ? ['raw', 'ours'] : ['ours', 'raw']) {
      const start = performance.now();
      const answer = await q[side](input);
      times[side].push(performance.now() - start);
      if (side === 'ours') answers += answer?.items?.length ?? answer?.users?.length ?? (answer ? 1 : 0);
    }
  }
  const stats = (list) => {
    const sorted = [...list].sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  };
  const r = { name: q.name, baseline: q.baseline, ours: stats(times.ours), raw: stats(times.raw), answers };
  results.push(r);
  process.stderr.write(
    `${q.name}: p50 ${ms(r.ours.p50)} ms, p99 ${ms(r.ours.p99)} ms (baseline p99 ${ms(r.raw.p99)} ms)\n`,
  );
}

// --- report -----------------------------------------------------------------------------------------------------
const where =
  db.kind === 'sqlite' ? `SQLite ${fmt(statSync(url).size / 1e6)} MB` : `PostgreSQL ${db.location}`;
console.log(
  `data (${where}): ${fmt(sizes.crm_accounts)} accounts, ${fmt(Number(users[0].n))} users, ` +
    tables.map((t) => `${t.replace('crm_', '')} ${fmt(sizes[t])}`).join(', '),
);
if (seeded)
  console.log(
    `seeded ${fmt(seeded.totalRows)} rows in ${seeded.seconds.toFixed(0)} s (${fmt(seeded.totalRows / seeded.seconds)} rows/s)`,
  );
console.log(
  `answers: ${fmt(totals.supervised)} accounts with supervised secondaries and open tickets ` +
    `(${fmt(totals.supervisedOwn)} raised by the supervised user), ${fmt(totals.guests)} self-care guests outside billing; ` +
    `pages of ${PAGE} among the first ${PAGES}, reached by ${OFFSET_PAGING ? 'offset' : 'keyset (after the last key, as Link rel="next")'}; ${fmt(RUNS)} runs per question`,
);
console.log(
  'question                                            ours p50/p99 ms    baseline p50/p99 ms   ratio p99',
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(50)}  ${`${ms(r.ours.p50)} / ${ms(r.ours.p99)}`.padEnd(17)}  ${`${ms(r.raw.p50)} / ${ms(r.raw.p99)}`.padEnd(20)}  ${(r.ours.p99 / r.raw.p99).toFixed(2)}   baseline: ${r.baseline}`,
  );
}
const worst = Math.max(...results.map((r) => r.ours.p99));
console.log(
  `summary: relationship queries at ${fmt(sizes.crm_accounts)} accounts (${db.kind}): p99 ` +
    results.map((r) => ms(r.ours.p99)).join(' / ') +
    ` ms, worst ${ms(worst)} ms${OFFSET_PAGING ? ' (offset paging)' : ''} (target p99 < ${TARGET_MS} ms: ${worst < TARGET_MS ? 'met' : 'NOT met'}); ` +
    `ours/baseline at p99 ` +
    results.map((r) => (r.ours.p99 / r.raw.p99).toFixed(2)).join(' / ') +
    (smoke ? ' [smoke size]' : ''),
);
await db.close();
if (dir) rmSync(dir, { recursive: true, force: true });
