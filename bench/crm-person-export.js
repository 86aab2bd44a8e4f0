// A person's export (GET /crm/v1/selfcare/export, JSON with her usage) through the real streaming path: a CRM
// listening on a loopback port, her self-care key, the response read as a stream whose bytes and CDRs are
// counted, process.memoryUsage() sampled every 50 ms. Baseline in the same run: the naive export (every row
// selected into an array, mapped to TMF635 and JSON.stringify'd) of a tenth of the rows, so that it cannot
// exhaust memory; compared by peak heap per row. Exits 1 if the streaming peak heap exceeds --max-heap-mib.
// Usage: node bench/crm-person-export.js [--smoke] [--rows N] [--max-heap-mib 128]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { addApiKey, buildCrmServer, createTenant, USAGE } from '@parley/crm';
import { openDatabase } from '@parley/store';

const { fetch, URL, setInterval, clearInterval, TextDecoder, Buffer } = globalThis;
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const arg = (name, fallback) => (option(name) !== undefined ? Number(option(name)) : fallback);
const smoke = args.includes('--smoke');
const ROWS = arg('--rows', smoke ? 20_000 : 1_000_000);
const NAIVE_ROWS = Math.max(1, Math.floor(ROWS / 10));
const MAX_HEAP_MIB = arg('--max-heap-mib', 128);
const SEED_BATCH = 50_000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const MiB = 1024 * 1024;
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

/** Peak rss and heapUsed above a baseline taken now (after a full collection), sampled every 50 ms. */
function sampler() {
  gc();
  const base = process.memoryUsage();
  const peak = { rss: 0, heapUsed: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss - base.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed - base.heapUsed);
  };
  const timer = setInterval(sample, 50);
  return {
    sample,
    stop() {
      sample();
      clearInterval(timer);
      return peak;
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'parley-bench-export-'));
const db = openDatabase({ url: join(dir, 'crm.db') });
const app = await buildCrmServer({
  db,
  escalationIntervalMs: 0,
  intentFeedPollMs: 0,
  retentionIntervalMs: 0,
});
let failed = false;
try {
  // One person holding one account, through the API; her CDRs straight into the table (columns only, as a
  // bulk import stores them), 50,000 per transaction.
  const tenant = await createTenant(db, 'bench');
  const admin = await addApiKey(db, tenant, 'admin', 'bench');
  const post = async (url, body) => {
    const r = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    if (r.statusCode !== 201) throw new Error(`POST ${url}: ${r.statusCode} ${r.body}`);
    return JSON.parse(r.body).id;
  };
  const party = await post('/tmf-api/party/v4/individual', { givenName: 'Ada', familyName: 'Bench' });
  const account = await post('/tmf-api/accountManagement/v4/billingAccount', {
    name: 'Ada Bench',
    accountType: 'residential',
    state: 'active',
    relatedParty: [{ id: party, '@referredType': 'Individual', name: 'Ada Bench', role: 'holder' }],
  });
  const key = await addApiKey(db, tenant, 'selfcare', 'bench', undefined, party);

  const now = new Date().toISOString();
  const base = Date.parse('2026-01-01T00:00:00Z');
  const types = ['voice', 'sms', 'data'];
  const insert = db.sqlite.prepare(
    `INSERT INTO crm_usage (tenant_id, account_id, party_id, service_id, usage_type, status, started_at,
       duration_s, volume_bytes, cell_id, charge, currency, agreement_id, created_at, updated_at)
     VALUES (?, ?, ?, NULL, ?, 'rated', ?, ?, ?, ?, ?, 'EUR', NULL, ?, ?)`,
  );
  const seed = db.sqlite.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const type = types[i % 3];
      insert.run(
        tenant,
        account,
        party,
        type,
        new Date(base + i * 1000).toISOString(),
        type === 'sms' ? null : (i * 7) % 3600,
        type === 'data' ? (i * 7919) % 500_000_000 : null,
        `cell-${i % 5000}`,
        (i % 500) / 100,
        now,
        now,
      );
    }
  });
  const seedStart = process.hrtime.bigint();
  for (let i = 0; i < ROWS; i += SEED_BATCH) {
    seed(i, Math.min(i + SEED_BATCH, ROWS));
    process.stderr.write(`\rseeding CDRs: ${fmt(Math.min(i + SEED_BATCH, ROWS))} / ${fmt(ROWS)}`);
  }
  process.stderr.write(`\n`);
  const seedSeconds = seconds(seedStart);

  // The streaming export, over a real socket.
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = new URL('/crm/v1/selfcare/export?format=json&include=party,accounts,usage', address);
  const marker = '"/tmf-api/usageManagement/v4/usage/';
  const memory = sampler();
  const start = process.hrtime.bigint();
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  if (response.status !== 200) throw new Error(`export: ${response.status} ${await response.text()}`);
  const contentType = response.headers.get('content-type');
  const decoder = new TextDecoder();
  let bytes = 0;
  let rows = 0;
  let carry = '';
  let last = 0;
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    const text = carry + decoder.decode(chunk, { stream: true });
    for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) rows++;
    carry = text.slice(-(marker.length - 1));
    if (rows - last >= 100_000) {
      last = rows;
      process.stderr.write(`\rexport: ${fmt(rows)} CDRs, ${mib(bytes)}`);
    }
  }
  const streamSeconds = seconds(start);
  const stream = memory.stop();
  process.stderr.write(`\n`);
  if (rows !== ROWS) throw new Error(`export: counted ${rows} CDRs of ${ROWS}`);
  if (!/^application\/json/.test(contentType ?? '')) throw new Error(`export: content-type ${contentType}`);
  await app.close();

  // The naive export of a tenth of the rows: everything in memory at once. Point samples after each step (the
  // steps are synchronous, so the 50 ms timer cannot fire inside them): a lower bound of its true peak.
  const naive = sampler();
  const naiveStart = process.hrtime.bigint();
  const all = db.sqlite
    .prepare('SELECT * FROM crm_usage WHERE tenant_id = ? AND account_id = ? ORDER BY started_at, id LIMIT ?')
    .all(tenant, account, NAIVE_ROWS);
  naive.sample();
  const docs = all.map((r) => ({
    id: String(r.id),
    href: `/tmf-api/usageManagement/v4/usage/${r.id}`,
    ...USAGE.fromColumns(r),
  }));
  naive.sample();
  const body = JSON.stringify({ partyId: party, usage: docs });
  naive.sample();
  const naiveSeconds = seconds(naiveStart);
  const naivePeak = naive.stop();
  const naiveBytes = Buffer.byteLength(body);
  if (docs.length !== NAIVE_ROWS) throw new Error(`naive: ${docs.length} rows of ${NAIVE_ROWS}`);

  const perRowStream = stream.heapUsed / ROWS;
  const perRowNaive = naivePeak.heapUsed / NAIVE_ROWS;
  console.log(
    `person export: ${fmt(ROWS)} CDRs of one person (SQLite file, seeded in ${seedSeconds.toFixed(1)} s), ` +
      'GET /crm/v1/selfcare/export?include=party,accounts,usage over a loopback socket',
  );
  console.log(
    `streaming: ${fmt(rows)} rows, ${mib(bytes)} in ${streamSeconds.toFixed(2)} s = ${fmt(rows / streamSeconds)} rows/s, ` +
      `${mib(bytes / streamSeconds)}/s; peak above baseline: heapUsed ${mib(stream.heapUsed)}, rss ${mib(stream.rss)}`,
  );
  console.log(
    `naive (select all, map, JSON.stringify): ${fmt(NAIVE_ROWS)} rows, ${mib(naiveBytes)} in ${naiveSeconds.toFixed(2)} s; ` +
      `peak above baseline (lower bound): heapUsed ${mib(naivePeak.heapUsed)}, rss ${mib(naivePeak.rss)}`,
  );
  console.log(
    `summary: streaming export ${fmt(rows / streamSeconds)} CDRs/s, peak heap ${mib(stream.heapUsed)} for ${fmt(ROWS)} rows ` +
      `(${fmt(perRowStream)} B/row) vs naive ${fmt(perRowNaive)} B/row for ${fmt(NAIVE_ROWS)} rows: ` +
      `${(perRowNaive / Math.max(perRowStream, 1e-9)).toFixed(0)}x less heap per row streaming; ` +
      `bound ${MAX_HEAP_MIB} MiB ${stream.heapUsed <= MAX_HEAP_MIB * MiB ? 'kept' : 'EXCEEDED'}${smoke ? ' [smoke size]' : ''}`,
  );
  if (stream.heapUsed > MAX_HEAP_MIB * MiB) failed = true;
} finally {
  await app.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
if (failed) process.exit(1);
