// Change of address fanned out to N vendors over loopback HTTP: time from her one edit until every vendor
// has acknowledged (signed event sent, verified, stored with provenance and logged by the CRM; its
// acknowledgement and ledger receipt verified and logged by the agent). Target: under 1 s for 100 vendors.
//
// Baseline, in the same run: the same number of plain JSON POSTs, concurrently, to a bare Fastify route on
// the same CRM processes' port range (what HTTP on loopback costs, with no protocol, database or ledger).
// Usage: node bench/agent-address-change.js [--smoke] [--vendors N] [--per-crm N] [--rounds N]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { startAgent } from '@parley/agent';
import { startVendors } from '@parley/agent/testing';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const VENDORS = arg('--vendors', smoke ? 10 : 100);
const PER_CRM = arg('--per-crm', 10);
const ROUNDS = arg('--rounds', smoke ? 2 : 5);
// Default: the vendors' CRMs run in a child process (another event loop, as in life); --in-process shares one.
const IN_PROCESS = args.includes('--in-process');

const { fetch, URL } = globalThis;
const progress = (text) => process.stderr.write(`${text}\n`);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

progress(
  `starting ${VENDORS} vendors on ${Math.ceil(VENDORS / PER_CRM)} CRM servers ` +
    (IN_PROCESS ? '(in this process)' : '(in a child process)'),
);
const { vendors, close } = IN_PROCESS ? await inProcess() : await childProcess();
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-agent-'));
const running = await startAgent({
  vaultPath: join(dir, 'bench.vault'),
  passphrase: 'bench passphrase, not a secret',
  create: true,
});
const { agent } = running;
const call = async (method, path, body) => {
  const r = await fetch(`${running.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${running.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
};

try {
  await agent.updateProfile({
    givenName: 'Alice',
    email: 'alice@example.org',
    postalAddress: { street1: '1 First Street', city: 'Springfield', postCode: 'SP1 1AA', country: 'GB' },
  });
  const connectStart = process.hrtime.bigint();
  for (const [i, vendor] of vendors.entries()) {
    await agent.connect({ url: vendor.url });
    if ((i + 1) % 25 === 0) progress(`connected ${i + 1}/${VENDORS}`);
  }
  const connectMs = ms(connectStart);

  const times = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const postalAddress = {
      street1: `${round + 1} Moving Street`,
      city: 'Springfield',
      postCode: 'SP2 2BB',
      country: 'GB',
    };
    const start = process.hrtime.bigint();
    const change = await call('PATCH', '/me/profile', { postalAddress });
    const elapsed = ms(start);
    const acked = change.deliveries.filter((d) => d.status === 'acknowledged').length;
    if (acked !== VENDORS) throw new Error(`round ${round}: ${acked}/${VENDORS} acknowledged`);
    times.push(elapsed);
    progress(`round ${round}: ${VENDORS} acknowledged in ${elapsed.toFixed(0)} ms`);
  }

  // Baseline: bare HTTP round trips on loopback, as many and as concurrent.
  const bare = Fastify();
  bare.post('/echo', async (request) => ({ ok: true, size: JSON.stringify(request.body).length }));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  const event = JSON.stringify(eventLikeBody());
  const bareTimes = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    await Promise.all(
      vendors.map(() =>
        fetch(`${bareUrl}/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: event,
        }).then((r) => r.json()),
      ),
    );
    bareTimes.push(ms(start));
  }
  await bare.close();

  const t = median(times);
  const b = median(bareTimes);
  console.log(
    JSON.stringify({
      bench: 'agent-address-change',
      vendors: VENDORS,
      crmServers: Math.ceil(VENDORS / PER_CRM),
      vendorsIn: IN_PROCESS ? 'this process' : 'a child process',
      rounds: ROUNDS,
      allAcknowledgedMs: {
        median: Math.round(t),
        best: Math.round(Math.min(...times)),
        worst: Math.round(Math.max(...times)),
      },
      bareHttpMs: Math.round(b * 10) / 10,
      ratioToBareHttp: Math.round((t / b) * 10) / 10,
      connectMsPerVendor: Math.round(connectMs / VENDORS),
      target: '< 1000 ms for 100 vendors',
    }),
  );
  console.log(
    `address change to ${VENDORS} vendors: all acknowledged in ${t.toFixed(0)} ms (median of ${ROUNDS}), ` +
      `${(t / b).toFixed(1)}x the bare HTTP round trips (${b.toFixed(1)} ms)`,
  );
} finally {
  await running.close();
  await close();
  rmSync(dir, { recursive: true, force: true });
}

async function inProcess() {
  const names = Array.from({ length: VENDORS }, (_, i) => `Vendor ${String(i + 1).padStart(3, '0')}`);
  return startVendors(names, PER_CRM);
}

async function childProcess() {
  const child = fork(new URL('./lib/vendors-process.js', import.meta.url), [
    String(VENDORS),
    String(PER_CRM),
  ]);
  const urls = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.urls));
    child.once('exit', (code) => reject(new Error(`the vendors' process exited (${code})`)));
  });
  return {
    vendors: urls.map((url) => ({ url })),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send('stop');
      }),
  };
}

/** A body the size of a real event (about 1 KB). */
function eventLikeBody() {
  return { audit: { eventId: 'x'.repeat(43), sig: 'y'.repeat(86) }, eventJwt: 'z'.repeat(600) };
}
