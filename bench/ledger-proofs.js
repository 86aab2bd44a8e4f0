// Inclusion and consistency proofs on a large SQLite-backed log: generation time (MerkleLog.inclusionProof and
// consistencyProof, which read the stored tiles and check each proof against the signed root before returning
// it) against verification alone (verifyInclusion / verifyConsistency on the proof returned), same run.
// The log is built through MerkleLog.append (records checked and canonicalised, one checkpoint per batch of
// 10,000) in a temp directory and kept there for the next run (--fresh rebuilds it, --clean removes it after).
// Usage: node bench/ledger-proofs.js [--smoke] [--leaves N] [--proofs N] [--fresh] [--clean]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MerkleLog, openLogStorage, verifyConsistency, verifyInclusion } from '@parley/ledger';

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const smoke = args.includes('--smoke');
const LEAVES = arg('--leaves', smoke ? 100_000 : 10_000_000);
const PROOFS = arg('--proofs', smoke ? 2_000 : 10_000);
const BATCH = 10_000;
// A smoke run builds a fresh small log and removes it; a full run keeps its log for the next run.
const dir = smoke
  ? mkdtempSync(join(tmpdir(), 'parley-proofs-'))
  : join(tmpdir(), `parley-ledger-proofs-${LEAVES}`);
const file = join(dir, 'ledger.db');
if (args.includes('--fresh')) rmSync(dir, { recursive: true, force: true });

const record = (i) => ({
  type: 'sisaEvent',
  eventType: 'dataEvent',
  sisaId: 'miikLPnBL3qQPrNBAGuAqRDyEnclrDiXjJCEb6K8tos',
  eventId: `e${i.toString(36).padStart(42, '0')}`,
  createdAt: '2026-11-23T08:04:07.122Z',
  rightsHolderDid: 'did:jlinc:779svu-UhSc6pvzWj-NCANHRTL0PcOzu2UtJhF5Hwlk',
  rightsHolderSig: 'gOLhbpncQbhjcaaooZESlItpMBrfDXVjltKrV33htzoNW3kFJhbcpbErbJYW_hl64qx1FqpsQ7PU2tMPro2bDg',
});
const signer = {
  origin: 'bench.example/log',
  sign: (size, root) => `bench.example/log\n${size}\n${root.toString('base64')}\n`,
};
const now = () => process.hrtime.bigint();
const fmt = (x) => Math.round(x).toLocaleString('en-US');

// Build (or resume, or reuse) the log.
const existed = existsSync(file);
let log = await MerkleLog.open(await openLogStorage({ url: file }), signer, { maxBatch: BATCH });
if (log.size > LEAVES) {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  log = await MerkleLog.open(await openLogStorage({ url: file }), signer, { maxBatch: BATCH });
}
const from = log.size;
let start = now();
for (let i = from; i < LEAVES; i += BATCH) {
  const n = Math.min(BATCH, LEAVES - i);
  await log.append(Array.from({ length: n }, (_, k) => record(i + k)));
  if (((i - from) / BATCH) % 20 === 0)
    process.stderr.write(`\rbuilding: ${fmt(i + n)} / ${fmt(LEAVES)} leaves`);
}
const buildSeconds = Number(now() - start) / 1e9;
if (LEAVES > from) process.stderr.write('\n');
const built =
  LEAVES > from
    ? `built ${fmt(LEAVES - from)} leaves in ${buildSeconds.toFixed(1)} s (${fmt((LEAVES - from) / buildSeconds)} leaves/s)`
    : `reused the log of ${fmt(LEAVES)} leaves in ${dir}`;

// A deterministic pseudo-random sequence, so runs compare.
let seed = 0x2545f491;
const random = (n) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const size = log.size;
const root = log.checkpoint.root;

const ms = (ns) => Number(ns) / 1e6;
function stats(times) {
  const sorted = [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const at = (q) => ms(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  const mean = ms(times.reduce((a, b) => a + b, 0n)) / times.length;
  return { p50: at(0.5), p99: at(0.99), max: ms(sorted[sorted.length - 1]), mean };
}
const show = (s) =>
  `p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms  max ${s.max.toFixed(3)} ms  mean ${s.mean.toFixed(3)} ms`;

async function inclusion(count) {
  const gen = [];
  const ver = [];
  for (let k = 0; k < count; k++) {
    const index = random(size);
    let t = now();
    const p = await log.inclusionProof(index, size);
    gen.push(now() - t);
    t = now();
    verifyInclusion(index, size, p.leafHash, p.proof, root);
    ver.push(now() - t);
  }
  return { gen, ver };
}

async function consistency(count) {
  const gen = [];
  const ver = [];
  for (let k = 0; k < count; k++) {
    // Random sizes, mostly not checkpointed ones: their roots are folded from stored nodes too.
    const a = 1 + random(size);
    const b = 1 + random(size);
    const size1 = Math.min(a, b);
    const size2 = Math.max(a, b);
    let t = now();
    const proof = await log.consistencyProof(size1, size2);
    gen.push(now() - t);
    const [r1, r2] = [(await log.rootAt(size1)).root, (await log.rootAt(size2)).root];
    t = now();
    verifyConsistency(size1, size2, proof, r1, r2);
    ver.push(now() - t);
  }
  return { gen, ver };
}

// Warm up (JIT, SQLite page cache), then measure.
await inclusion(Math.min(1000, PROOFS));
await consistency(Math.min(1000, PROOFS));
const inc = await inclusion(PROOFS);
const con = await consistency(PROOFS);
await log.close();
if (smoke || args.includes('--clean')) rmSync(dir, { recursive: true, force: true });

const report = (name, r) => {
  const g = stats(r.gen);
  const v = stats(r.ver);
  console.log(`${name} generate (read + check): ${show(g)}`);
  console.log(`${name} verify only:             ${show(v)}`);
  console.log(
    `${name} generation / verification: ${(g.p50 / v.p50).toFixed(1)}x at p50, ${(g.mean / v.mean).toFixed(1)}x mean`,
  );
  return g;
};
const resumed = existed && from > 0 && from < LEAVES ? `resumed at ${fmt(from)}, ` : '';
console.log(`log of ${fmt(size)} leaves (${resumed}${built}), ${fmt(PROOFS)} proofs of each kind`);
const gi = report('inclusion  ', inc);
const gc = report('consistency', con);
const ok = gi.p99 < 1 && gc.p99 < 1;
console.log(
  `summary: p99 inclusion ${gi.p99.toFixed(3)} ms, consistency ${gc.p99.toFixed(3)} ms at ${fmt(size)} leaves (target p99 < 1 ms: ${ok ? 'met' : 'NOT met'})${smoke ? ' [smoke size]' : ''}`,
);
