// GET a customer by id over HTTP on loopback: the CRM's TMF629 route (API-key hook, tenant-scoped Kysely
// select, JSON parse of doc, href) against a bare Fastify route doing the same work in the same run: Bearer
// header, SHA-256 of the key looked up in crm_api_keys (both remember lookups for 5 s), select of (id, doc) by (tenant_id, id), JSON parse,
// id and href added. The bare route uses prepared better-sqlite3 statements on its own connection to the same
// file, and sits at the same path so both answer byte-identical bodies (checked before measuring).
// Both servers live in one child process (same process, same database) and the load generator (autocannon,
// 10 keep-alive connections, a random seeded id per request) runs in this parent process: on 2 cores the
// server gets one core and the generator the other, instead of the two fighting over one event loop. The
// server's CPU use during each run is printed (near 100% = the server, not the generator, is the limit), and
// its CPU time per request, which other load on the machine does not skew the way it skews requests/s.
// Runs alternate (bare, CRM, bare, CRM, ...) after a warm-up of each; the better run of each side counts.
// Usage: node bench/crm-get-customer.js [--smoke] [--customers N] [--seconds S] [--connections C] [--rounds R]
// Profile the servers: node --cpu-prof --cpu-prof-dir=prof bench/crm-get-customer.js (the child inherits it).
import { createHash, randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const smoke = args.includes('--smoke');
const PATH = '/tmf-api/customerManagement/v4/customer';

if (args[0] === '--serve') await serve(args[1], args[2]);
else await main();

/** Child: the CRM and the bare Fastify route on one database file, each on 127.0.0.1, port 0. */
async function serve(file, partyId) {
  const { default: Fastify } = await import('fastify');
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  const { buildCrmServer } = await import('@parley/crm');
  const { openDatabase } = await import('@parley/store');

  const db = await openDatabase({ url: file });
  const crm = await buildCrmServer({ db });

  const conn = new BetterSqlite3(file, { readonly: true });
  const keyStmt = conn.prepare('SELECT id, tenant_id, role FROM crm_api_keys WHERE key_hash = ?');
  const docStmt = conn.prepare('SELECT id, doc FROM crm_customers WHERE tenant_id = ? AND id = ?');
  const bare = Fastify({ logger: false });
  // Like the CRM, the bare route remembers key lookups for 5 s (same hashing, same expiry check).
  const keys = new Map();
  const lookupKey = (key) => {
    const hash = createHash('sha256').update(key).digest();
    const id = hash.toString('base64');
    const hit = keys.get(id);
    if (hit && hit.expires > Date.now()) return hit.row;
    const row = keyStmt.get(hash);
    keys.set(id, { row, expires: Date.now() + 5000 });
    return row;
  };
  bare.get(`${PATH}/:id`, async (request, reply) => {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const key = match && lookupKey(match[1]);
    if (!key) return reply.code(401).send({ status: 401 });
    const row = docStmt.get(key.tenant_id, request.params.id);
    if (!row) return reply.code(404).send({ status: 404 });
    return { id: row.id, href: `${PATH}/${row.id}`, ...JSON.parse(row.doc) };
  });

  await crm.listen({ host: '127.0.0.1', port: 0 });
  await bare.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', async (message) => {
    if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
    if (message === 'stop') {
      await crm.close();
      await bare.close();
      conn.close();
      await db.close();
      process.disconnect();
    }
  });
  process.send({ crm: crm.server.address().port, bare: bare.server.address().port, partyId });
}

async function main() {
  const { default: autocannon } = await import('autocannon');
  const { buildCrmServer, createTenant, addApiKey } = await import('@parley/crm');
  const { openDatabase } = await import('@parley/store');

  const CUSTOMERS = arg('--customers', smoke ? 5_000 : 100_000);
  const SECONDS = arg('--seconds', smoke ? 2 : 10);
  const CONNECTIONS = arg('--connections', 10);
  const ROUNDS = arg('--rounds', 2);
  const fmt = (x) => Math.round(x).toLocaleString('en-US');

  // Seed: one tenant, one key, one party, CUSTOMERS customers as the CRM's POST would store them.
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const file = join(dir, 'crm.db');
  const db = await openDatabase({ url: file, synchronous: 'normal' });
  await (await buildCrmServer({ db })).close(); // runs the migrations
  const tenant = await createTenant(db, 'Telco');
  const key = await addApiKey(db, tenant, 'agent', 'bench');
  const partyId = randomUUID();
  const now = new Date().toISOString();
  const ids = Array.from({ length: CUSTOMERS }, () => randomUUID());
  await db.kysely.transaction().execute(async (tx) => {
    const party = { givenName: 'Ada', familyName: 'Lovelace', '@type': 'Individual' };
    await tx
      .insertInto('crm_parties')
      .values({
        tenant_id: tenant,
        id: partyId,
        kind: 'Individual',
        status: null,
        name: 'Ada Lovelace',
        agreement_id: null,
        created_at: now,
        updated_at: now,
        doc: JSON.stringify(party),
      })
      .execute();
    const CHUNK = 500;
    for (let i = 0; i < CUSTOMERS; i += CHUNK) {
      const rows = ids.slice(i, i + CHUNK).map((id, j) => {
        const doc = {
          name: `Customer ${i + j}`,
          status: 'Approved',
          engagedParty: { id: partyId, name: 'Ada Lovelace', '@referredType': 'Individual' },
          '@type': 'Customer',
        };
        return {
          tenant_id: tenant,
          id,
          name: doc.name,
          status: doc.status,
          engaged_party_id: partyId,
          agreement_id: null,
          created_at: now,
          updated_at: now,
          doc: JSON.stringify(doc),
        };
      });
      await tx.insertInto('crm_customers').values(rows).execute();
      if ((i / CHUNK) % 20 === 0) process.stderr.write(`\rseeded ${fmt(i + CHUNK)} / ${fmt(CUSTOMERS)}`);
    }
  });
  process.stderr.write('\n');
  await db.close();

  const child = fork(fileURLToPath(import.meta.url), ['--serve', file, partyId], { stdio: 'inherit' });
  const fromChild = () => new Promise((resolve) => child.once('message', resolve));
  const ports = await fromChild();

  const headers = { authorization: `Bearer ${key}` };
  const base = (port) => `http://127.0.0.1:${port}`;
  const request = (url, headers) =>
    new Promise((resolve, reject) => {
      get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject);
    });

  // The same customer from both must be the same resource; an unknown key must be refused by both.
  for (const id of [ids[0], ids[ids.length - 1]]) {
    const [a, b] = await Promise.all(
      [ports.bare, ports.crm].map((p) =>
        request(`${base(p)}${PATH}/${id}`, headers).then((r) => JSON.parse(r.body)),
      ),
    );
    if (!isDeepStrictEqual(a, b) || a.id !== id)
      throw new Error(`bodies differ: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  for (const p of [ports.bare, ports.crm]) {
    const r = await request(`${base(p)}${PATH}/${ids[0]}`, { authorization: 'Bearer nope' });
    if (r.status !== 401) throw new Error(`unknown key answered ${r.status}`);
  }

  const BUCKETS = 100_000; // 0 to 1 s
  const percentile = (counts, q) => {
    const total = counts.reduce((a, b) => a + b, 0);
    let seen = 0;
    for (let i = 0; i < counts.length; i++) if ((seen += counts[i]) >= q * total) return (i + 1) / 100;
    return Infinity;
  };
  const cpu = async () => (child.send('cpu'), (await fromChild()).cpu);
  const load = async (name, port, seconds) => {
    const before = await cpu();
    // autocannon's own histogram has whole-millisecond buckets: count 2xx response times in 10 µs buckets.
    const times = new Uint32Array(BUCKETS);
    const instance = autocannon({
      url: base(port),
      connections: CONNECTIONS,
      duration: seconds,
      headers,
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => ({ ...req, path: `${PATH}/${ids[(Math.random() * ids.length) | 0]}` }),
        },
      ],
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status < 300) times[Math.min(BUCKETS - 1, Math.floor(ms * 100))]++;
    });
    const result = await instance;
    const after = await cpu();
    const used = (after.user - before.user + after.system - before.system) / 1e6;
    if (result.errors || result.timeouts || result.non2xx)
      throw new Error(
        `${name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
      );
    const run = {
      rps: result.requests.average,
      p50: percentile(times, 0.5),
      p99: percentile(times, 0.99),
      serverCpu: used / result.duration,
      cpuPerRequest: (used * 1e6) / result.requests.total, // µs: unlike req/s, not skewed by other load
    };
    process.stderr.write(
      `${name.padEnd(5)} ${fmt(run.rps)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  server CPU ${(run.serverCpu * 100).toFixed(0)}% = ${run.cpuPerRequest.toFixed(0)} µs/request\n`,
    );
    return run;
  };

  process.stderr.write('warm-up\n');
  await load('bare', ports.bare, smoke ? 1 : 2);
  await load('crm', ports.crm, smoke ? 1 : 2);
  const runs = { bare: [], crm: [] };
  for (let r = 0; r < ROUNDS; r++) {
    runs.bare.push(await load('bare', ports.bare, SECONDS));
    runs.crm.push(await load('crm', ports.crm, SECONDS));
  }
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });

  const best = (list) => list.reduce((a, b) => (b.rps > a.rps ? b : a));
  const bare = best(runs.bare);
  const crm = best(runs.crm);
  const line = (label, run) =>
    console.log(
      `${label.padEnd(58)} ${fmt(run.rps).padStart(7)} req/s   p50 ${run.p50} ms   p99 ${run.p99} ms   (server CPU ${(run.serverCpu * 100).toFixed(0)}%, ${run.cpuPerRequest.toFixed(0)} µs/request)`,
    );
  const shape = `${fmt(CUSTOMERS)} customers, ${CONNECTIONS} connections, ${SECONDS} s, best of ${ROUNDS}`;
  line(`bare Fastify + prepared statements (key lookup cached as the CRM does)`, bare);
  line(`CRM GET ${PATH}/:id`, crm);
  console.log(`(${shape}; load generator in the parent process, both servers in one child)`);
  console.log(
    `server CPU per request: CRM ${crm.cpuPerRequest.toFixed(0)} µs, bare ${bare.cpuPerRequest.toFixed(0)} µs (bare/CRM = ${((bare.cpuPerRequest / crm.cpuPerRequest) * 100).toFixed(1)}%)`,
  );
  console.log(
    `summary: CRM GET customer by id ${fmt(crm.rps)} req/s p99 ${crm.p99} ms = ${((crm.rps / bare.rps) * 100).toFixed(1)}% of bare Fastify (target 70%)${smoke ? ' [smoke size]' : ''}`,
  );
}
