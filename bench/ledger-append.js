// Appends into the SQLite-backed log, one checkpoint per batch, against raw SHA-256 leaf hashing of the same
// leaves in the same run (the floor: every append must at least hash its leaves).
// Usage: node bench/ledger-append.js [--smoke] [--leaves N] [--batch N]
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize } from '@parley/protocol';
import { leafHash, MerkleLog, openLogStorage } from '@parley/ledger';

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const smoke = args.includes('--smoke');
const LEAVES = arg('--leaves', smoke ? 20_000 : 1_000_000);
const BATCH = arg('--batch', 10_000);

const records = Array.from({ length: LEAVES }, (_, i) => ({
  type: 'sisaEvent',
  eventType: 'dataEvent',
  sisaId: 'miikLPnBL3qQPrNBAGuAqRDyEnclrDiXjJCEb6K8tos',
  eventId: `e${i.toString(36).padStart(42, '0')}`,
  createdAt: '2026-11-23T08:04:07.122Z',
  rightsHolderDid: 'did:jlinc:779svu-UhSc6pvzWj-NCANHRTL0PcOzu2UtJhF5Hwlk',
  rightsHolderSig: 'gOLhbpncQbhjcaaooZESlItpMBrfDXVjltKrV33htzoNW3kFJhbcpbErbJYW_hl64qx1FqpsQ7PU2tMPro2bDg',
}));

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const fmt = (x) => Math.round(x).toLocaleString('en-US');

// Baseline: SHA-256 leaf hashes of the same canonical leaves.
let leaves = records.map((r) => Buffer.from(canonicalize(r)));
let start = process.hrtime.bigint();
for (const leaf of leaves) leafHash(leaf);
const hashRate = LEAVES / seconds(start);
leaves = undefined; // not kept alive (and scanned by the GC) while the log appends

const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
const signer = {
  origin: 'bench.example/log',
  sign: (size, root) => `bench.example/log\n${size}\n${root.toString('base64')}\n`,
};
const log = await MerkleLog.open(await openLogStorage({ url: join(dir, 'ledger.db') }), signer, {
  maxBatch: BATCH,
});
start = process.hrtime.bigint();
for (let i = 0; i < LEAVES; i += BATCH) {
  await log.append(records.slice(i, i + BATCH));
  if ((i / BATCH) % 10 === 0) process.stderr.write(`\rappended ${fmt(i + BATCH)} / ${fmt(LEAVES)}`);
}
const appendRate = LEAVES / seconds(start);
process.stderr.write('\n');
await log.close();
rmSync(dir, { recursive: true, force: true });

console.log(`raw SHA-256 leaf hashing        ${fmt(hashRate)} leaves/s`);
console.log(
  `SQLite log appends (batch ${fmt(BATCH)}, one checkpoint each, fsync per commit)   ${fmt(appendRate)} leaves/s`,
);
console.log(
  `summary: ${fmt(appendRate)} leaves/s appended = ${((appendRate / hashRate) * 100).toFixed(1)}% of raw hashing (target 100,000 leaves/s)${smoke ? ' [smoke size]' : ''}`,
);
