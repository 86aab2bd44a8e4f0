// Usage (CDR) ingest through the CRM's CSV import path (CSV file -> parse -> validate, references included ->
// insert in batches) against the raw driver writing the same rows to the same table and indexes of a fresh
// database in the same run: SQLite, better-sqlite3's prepared INSERT in one transaction per batch; PostgreSQL
// (with --postgres URL or PARLEY_TEST_POSTGRES_URL), COPY FROM STDIN per batch through pg-copy-streams.
// Usage: node bench/crm-usage-ingest.js [--smoke] [--rows N] [--batch N] [--accounts N] [--postgres URL]
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { CRM_MIGRATIONS, createTenant, CSV_FORMATS, importCsv } from '@parley/crm';
import { migrate, openDatabase } from '@parley/store';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const arg = (name, fallback) => (option(name) !== undefined ? Number(option(name)) : fallback);
const smoke = args.includes('--smoke');
const ROWS = arg('--rows', smoke ? 20_000 : 1_000_000);
const BATCH = arg('--batch', 10_000);
const ACCOUNTS = arg('--accounts', smoke ? 200 : 2_000);
const PG_URL = option('--postgres') ?? process.env.PARLEY_TEST_POSTGRES_URL;

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-usage-'));

// Deterministic ids and CDRs: a 36-character id per account, one to three users and services per account.
const hexId = (prefix, n) =>
  `${prefix}${n.toString(16).padStart(8, '0')}-0000-4000-8000-${'0'.repeat(12)}`.slice(0, 36);
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const accounts = Array.from({ length: ACCOUNTS }, (_, a) => ({
  id: hexId('a', a),
  users: Array.from({ length: 1 + (a % 3) }, (_, u) => ({
    party: hexId('p', a * 4 + u),
    service: hexId('s', a * 4 + u),
  })),
}));
const NOW = new Date().toISOString();
const BASE = Date.parse('2026-03-01T00:00:00Z');
const TYPES = ['voice', 'sms', 'data'];

/** The i-th CDR as the CSV line the import reads and as the values the raw insert writes (tenant filled later). */
function cdr(i) {
  const account = accounts[Math.floor(random() * ACCOUNTS)];
  const user = account.users[Math.floor(random() * account.users.length)];
  const type = TYPES[Math.floor(random() * 3)];
  const at = new Date(BASE + i * 2600 + Math.floor(random() * 2000)).toISOString();
  const duration = type === 'sms' ? null : Math.floor(random() * 3600);
  const volume = type === 'data' ? Math.floor(random() * 5e8) : null;
  const cell = `cell-${Math.floor(random() * 5000)}`;
  const charge = Math.floor(random() * 500) / 100;
  return {
    line: `${type},${at},${duration ?? ''},${volume ?? ''},${cell},${charge},EUR,${account.id},${user.party},${user.service},rated,`,
    values: [
      account.id,
      user.party,
      user.service,
      type,
      'rated',
      at,
      duration,
      volume,
      cell,
      charge,
      'EUR',
      null,
      NOW,
      NOW,
    ],
  };
}

// The file has the import's columns in its export order; cdr() writes its lines in that order.
const HEADER = CSV_FORMATS.usage.columns.join(',');
// The raw baseline writes the same columns, in the same order, as the import does.
const COLUMNS = CSV_FORMATS.usage.insertColumns;
const csvFile = join(dir, 'usage.csv');
let rawRows = [];
{
  const lines = [HEADER];
  for (let i = 0; i < ROWS; i++) {
    const { line, values } = cdr(i);
    lines.push(line);
    rawRows.push(values);
  }
  writeFileSync(csvFile, lines.join('\n') + '\n');
}

/** A fresh CRM database with one tenant and the parties, accounts and services the CDRs refer to. */
async function freshCrm(url) {
  const db = openDatabase({ url });
  await migrate(db, CRM_MIGRATIONS);
  const tenant = await createTenant(db, 'bench');
  const parties = [];
  const accountRows = [];
  const services = [];
  for (const a of accounts) {
    for (const u of a.users) {
      parties.push({
        tenant_id: tenant,
        id: u.party,
        kind: 'Individual',
        name: 'Bench User',
        created_at: NOW,
        updated_at: NOW,
        doc: JSON.stringify({ givenName: 'Bench', familyName: 'User', '@type': 'Individual' }),
      });
      services.push({
        tenant_id: tenant,
        id: u.service,
        name: 'Mobile',
        service_type: 'mobile',
        account_id: a.id,
        user_party_id: u.party,
        created_at: NOW,
        updated_at: NOW,
        doc: JSON.stringify({ name: 'Mobile' }),
      });
    }
    accountRows.push({
      tenant_id: tenant,
      id: a.id,
      kind: 'BillingAccount',
      name: 'Bench account',
      holder_party_id: a.users[0].party,
      created_at: NOW,
      updated_at: NOW,
      doc: JSON.stringify({ name: 'Bench account', '@type': 'BillingAccount' }),
    });
  }
  for (const [table, rows] of [
    ['crm_parties', parties],
    ['crm_accounts', accountRows],
    ['crm_services', services],
  ])
    for (let i = 0; i < rows.length; i += 500)
      await db.kysely
        .insertInto(table)
        .values(rows.slice(i, i + 500))
        .execute();
  return { db, tenant };
}

const count = async (db, tenant) =>
  Number(
    (
      await db.kysely
        .selectFrom('crm_usage')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenant)
        .executeTakeFirst()
    ).n,
  );

function progress(label) {
  return (p) =>
    process.stderr.write(
      `\r${label} ${p.phase}: ${fmt(p.rowsRead)} read, ${fmt(p.rowsWritten)} written, ${fmt(p.rate)} rows/s   `,
    );
}

async function importRun(url, label) {
  const { db, tenant } = await freshCrm(url);
  const start = process.hrtime.bigint();
  const report = await importCsv(
    db,
    tenant,
    'usage',
    () => createReadStream(csvFile, { highWaterMark: 1 << 20 }),
    {
      batchSize: BATCH,
      onProgress: progress(label),
    },
  );
  const rate = ROWS / seconds(start);
  process.stderr.write('\n');
  if (report.rowsFailed > 0 || report.rowsWritten !== ROWS || (await count(db, tenant)) !== ROWS)
    throw new Error(
      `${label}: import wrote ${report.rowsWritten} of ${ROWS}: ${JSON.stringify(report.errors.slice(0, 3))}`,
    );
  await db.close();
  return rate;
}

const results = [];
const pgNames = [`bench_usage_raw_${process.pid}`, `bench_usage_import_${process.pid}`];
const pgUrl = (name) => PG_URL.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
const admin = PG_URL ? new pg.Client({ connectionString: PG_URL }) : undefined;

/** SQLite: the prepared INSERT run per row, one transaction per batch. */
async function rawSqlite() {
  const { db, tenant } = await freshCrm(join(dir, 'raw.db'));
  const insert = db.sqlite.prepare(
    `INSERT INTO crm_usage (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
  );
  const tx = db.sqlite.transaction((rows) => {
    for (const r of rows) insert.run(tenant, ...r);
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < ROWS; i += BATCH) {
    tx(rawRows.slice(i, i + BATCH));
    if ((i / BATCH) % 10 === 0)
      process.stderr.write(`\rSQLite raw: ${fmt(Math.min(i + BATCH, ROWS))} / ${fmt(ROWS)}`);
  }
  const rate = ROWS / seconds(start);
  process.stderr.write('\n');
  if ((await count(db, tenant)) !== ROWS) throw new Error('raw SQLite insert lost rows');
  await db.close();
  return rate;
}

/** PostgreSQL: COPY FROM STDIN per batch, the COPY text made from the rows in the loop. */
async function rawPostgres() {
  const { db, tenant } = await freshCrm(pgUrl(pgNames[0]));
  const escape = (v) =>
    v === null
      ? '\\N'
      : typeof v === 'number'
        ? String(v)
        : /[\\\t\n\r]/.test(v)
          ? v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c])
          : v;
  const start = process.hrtime.bigint();
  const client = await db.pool.connect();
  for (let i = 0; i < ROWS; i += BATCH) {
    let text = '';
    for (const r of rawRows.slice(i, i + BATCH)) text += `${tenant}\t${r.map(escape).join('\t')}\n`;
    await pipeline(
      Readable.from([text]),
      client.query(copyStreams.from(`COPY crm_usage (${COLUMNS.join(', ')}) FROM STDIN`)),
    );
    if ((i / BATCH) % 10 === 0)
      process.stderr.write(`\rPostgreSQL raw COPY: ${fmt(Math.min(i + BATCH, ROWS))} / ${fmt(ROWS)}`);
  }
  client.release();
  const rate = ROWS / seconds(start);
  process.stderr.write('\n');
  if ((await count(db, tenant)) !== ROWS) throw new Error('raw COPY lost rows');
  await db.close();
  return rate;
}

try {
  if (admin) {
    await admin.connect();
    for (const name of pgNames) await admin.query(`CREATE DATABASE ${name}`);
  }
  // The raw runs first; then their rows are let go, so the imports do not pay for the collector scanning them.
  const sqliteRaw = await rawSqlite();
  const postgresRaw = admin ? await rawPostgres() : 0;
  rawRows = undefined;
  const sqliteImport = await importRun(join(dir, 'import.db'), 'SQLite import');
  results.push({ name: 'SQLite', baseline: 'prepared INSERT', raw: sqliteRaw, imported: sqliteImport });
  if (admin) {
    const imported = await importRun(pgUrl(pgNames[1]), 'PostgreSQL import');
    results.push({ name: 'PostgreSQL', baseline: 'COPY FROM STDIN', raw: postgresRaw, imported });
  }
} finally {
  if (admin) {
    for (const name of pgNames) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
rmSync(dir, { recursive: true, force: true });

console.log(
  `CDRs: ${fmt(ROWS)} over ${fmt(ACCOUNTS)} accounts, batches of ${fmt(BATCH)} rows (raw: one transaction per batch; ` +
    'import: SQLite stages then moves one batch per transaction, PostgreSQL one COPY per batch in one transaction)',
);
for (const r of results) {
  console.log(`${r.name} raw ${r.baseline} (same rows, table, indexes)   ${fmt(r.raw)} rows/s`);
  console.log(`${r.name} CSV import (file -> parse -> validate -> insert)   ${fmt(r.imported)} rows/s`);
}
console.log(
  `summary: ${results.map((r) => `${r.name} import ${fmt(r.imported)} CDRs/s = ${((r.imported / r.raw) * 100).toFixed(1)}% of raw ${r.baseline}`).join('; ')} (target 70%)${PG_URL ? '' : '; PostgreSQL skipped (no --postgres URL)'}${smoke ? ' [smoke size]' : ''}`,
);
