// One agent intentcasting to N vendors' CRM endpoints on loopback (default 1,000, on 20 CRM servers in a child
// process): time from her one intentcast until every vendor's signed decision (and offer) is in, verified
// against the intent and the vendor's ledger receipt.
//
// Baseline, in the same run: as many bare JSON POSTs, with the same concurrency, to a bare Fastify route
// (what loopback HTTP costs, with no signatures, policies, matching, database or ledger).
// Usage: node bench/agent-intentcast.js [--smoke] [--vendors N] [--per-crm N]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { startAgent } from '@parley/agent';

const { fetch, URL } = globalThis;
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const VENDORS = arg('--vendors', smoke ? 20 : 1000);
const PER_CRM = arg('--per-crm', smoke ? 10 : 50);
const CONCURRENCY = 64;
const progress = (text) => process.stderr.write(`${text}\n`);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

progress(`starting ${VENDORS} vendors on ${Math.ceil(VENDORS / PER_CRM)} CRM servers in a child process`);
const child = fork(new URL('./lib/vendors-process.js', import.meta.url), [
  String(VENDORS),
  String(PER_CRM),
  'catalogue',
]);
const urls = await new Promise((resolve, reject) => {
  child.once('message', (m) => resolve(m.urls));
  child.once('exit', (code) => reject(new Error(`the vendors' process exited (${code})`)));
});
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-intent-'));
const running = await startAgent({
  vaultPath: join(dir, 'bench.vault'),
  passphrase: 'bench passphrase, not a secret',
  create: true,
});
try {
  progress(`${urls.length} vendors ready; intentcasting`);
  const start = process.hrtime.bigint();
  const record = await running.agent.intents.create({
    intent: { category: 'bicycles', description: 'A commuter e-bike', tags: ['e-bike', 'commuter'] },
    price: { min: 1000, max: 2500, currency: 'EUR' },
    validUntil: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    vendors: urls,
  });
  const elapsed = ms(start);
  const answered = record.pushes.filter((p) => p.status === 'answered').length;
  const offers = record.answers.filter((a) => a.offer).length;
  if (answered !== VENDORS) {
    const failed = record.pushes.find((p) => p.status !== 'answered');
    throw new Error(`${answered}/${VENDORS} answered; e.g. ${JSON.stringify(failed)}`);
  }

  const bare = Fastify();
  bare.post('/intents', async (request) => ({ ok: true, size: JSON.stringify(request.body).length }));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  const body = JSON.stringify(record.intentcast);
  const bareStart = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < VENDORS) {
        const r = await fetch(`${bareUrl}/intents`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await r.json();
      }
    }),
  );
  const bareMs = ms(bareStart);
  await bare.close();
  console.log(
    JSON.stringify({
      bench: 'agent-intentcast',
      vendors: VENDORS,
      crmServers: Math.ceil(VENDORS / PER_CRM),
      concurrency: CONCURRENCY,
      allDecisionsMs: Math.round(elapsed),
      decisionsPerSecond: Math.round((VENDORS / elapsed) * 1000),
      offers,
      bareHttpMs: Math.round(bareMs),
      ratioToBareHttp: Math.round((elapsed / bareMs) * 10) / 10,
    }),
  );
  console.log(
    `intentcast to ${VENDORS} vendors: every decision in and verified after ${elapsed.toFixed(0)} ms ` +
      `(${offers} offers), ${(elapsed / bareMs).toFixed(1)}x the bare HTTP round trips (${bareMs.toFixed(0)} ms)`,
  );
} finally {
  await running.close();
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.send('stop');
  });
  rmSync(dir, { recursive: true, force: true });
}
