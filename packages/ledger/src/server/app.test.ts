import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SigningKey } from '@parley/protocol';
import { MerkleLog } from '../log.js';
import { openLogStorage } from '../storage/open.js';
import { noteCheckpointSigner } from '../checkpoint-signer.js';
import { Ed25519NoteSigner } from '../note/signed-note.js';
import { openCheckpoint } from '../note/checkpoint.js';
import { CosignatureVerifier } from '../note/cosignature.js';
import { MemoryWitnessStateStore, Witness, formatAddCheckpointRequest } from '../witness/witness.js';
import { verifyConsistency, verifyInclusion } from '../proof/verify.js';
import { verifyLedgerReceipt } from '../client/receipt.js';
import { CheckpointTracker } from '../client/tracker.js';
import { CheckpointError } from '../errors.js';
import { buildLedgerServer } from './app.js';

const ORIGIN = 'ledger.test.example/log';

async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ledger-http-'));
  const logSigner = new Ed25519NoteSigner(ORIGIN, SigningKey.generate());
  const log = await MerkleLog.open(
    await openLogStorage({ url: join(dir, 'ledger.db') }),
    noteCheckpointSigner(ORIGIN, logSigner),
  );
  const witnessKey = SigningKey.generate();
  const witness = new Witness({
    name: 'witness.test.example',
    key: witnessKey,
    logs: { [ORIGIN]: logSigner.verifier },
    store: new MemoryWitnessStateStore(),
  });
  const app = buildLedgerServer({
    log,
    logVkey: logSigner.vkey,
    appendToken: 'secret-token',
    witness: { witness, vkey: 'unused' },
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const close = async () => {
    await app.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { address, log, logSigner, witnessKey, close };
}

const record = (i: number) => ({
  type: 'agreement',
  agreementId: `urn:parley:agreement:${i.toString(16).padStart(64, '0')}`,
  createdAt: '2026-11-23T08:00:00.000Z',
});

test('HTTP: checkpoint, append, proofs by index and hash, leaves and receipts all verify as a client would', async (t) => {
  const s = await start();
  t.after(() => s.close());
  const get = async (path: string) => {
    const r = await fetch(s.address + path);
    return {
      status: r.status,
      type: r.headers.get('content-type') ?? '',
      body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text(),
    };
  };
  const first = await get('/checkpoint');
  assert.equal(first.status, 200);
  const tracker = new CheckpointTracker(ORIGIN, s.logSigner.verifier);
  tracker.update(first.body as string, []);
  assert.equal(tracker.trusted?.size, 0);

  const unauthorised = await fetch(s.address + '/entries', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records: [record(0)] }),
  });
  assert.equal(unauthorised.status, 401);
  const append = async (records: unknown[]) =>
    fetch(s.address + '/entries', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token' },
      body: JSON.stringify({ records }),
    });
  const created = await append(Array.from({ length: 13 }, (_, i) => record(i)));
  assert.equal(created.status, 201);
  assert.equal(((await created.json()) as { treeSize: number }).treeSize, 13);
  const personal = await append([{ type: 'profile', email: 'alice@example.org' }]);
  assert.equal(personal.status, 422);
  assert.equal(personal.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.match(((await personal.json()) as { detail: string }).detail, /records\[0\]\.email/);

  const latest = (await get('/checkpoint')).body as string;
  const { checkpoint } = openCheckpoint(latest, s.logSigner.verifier);
  assert.equal(checkpoint.size, 13);
  const consistency = await get('/proof/consistency?from=13');
  assert.deepEqual((consistency.body as { proof: string[] }).proof, []);
  tracker.update(latest, []);

  const byIndex = (await get('/proof/inclusion?index=7')).body as {
    leafHash: string;
    proof: string[];
    treeSize: number;
  };
  verifyInclusion(
    7,
    byIndex.treeSize,
    Buffer.from(byIndex.leafHash, 'base64'),
    byIndex.proof.map((p) => Buffer.from(p, 'base64')),
    checkpoint.root,
  );
  const hex = Buffer.from(byIndex.leafHash, 'base64').toString('hex');
  const byHash = (await get(`/proof/inclusion?hash=${hex}`)).body as { index: number };
  assert.equal(byHash.index, 7);
  assert.equal((await get('/proof/inclusion?index=99')).status, 400);
  assert.equal((await get(`/proof/inclusion?hash=${'0'.repeat(64)}`)).status, 404);
  assert.equal((await get('/proof/inclusion?index=1&hash=' + hex)).status, 400);
  const badQuery = await get('/proof/consistency?from=-1');
  assert.equal(badQuery.status, 400);
  assert.match((badQuery.body as { detail: string }).detail, /querystring/);

  const leaf = (await get('/leaves/3')).body as { record: unknown };
  assert.deepEqual(leaf.record, record(3));
  const receipt = (await get('/receipts/3')).body;
  assert.equal(verifyLedgerReceipt(receipt, s.logSigner.verifier).index, 3);
  assert.throws(() => verifyLedgerReceipt({ ...(receipt as object), index: 4 }, s.logSigner.verifier));

  // Growth is accepted with its consistency proof; a forged checkpoint for the same size is a fork.
  await append([record(13), record(14)]);
  const grown = (await get('/checkpoint')).body as string;
  const proof = ((await get('/proof/consistency?from=13&to=15')).body as { proof: string[] }).proof.map((p) =>
    Buffer.from(p, 'base64'),
  );
  tracker.update(grown, proof);
  assert.equal(tracker.trusted?.size, 15);
  const forger = new Ed25519NoteSigner(ORIGIN, SigningKey.generate());
  assert.throws(() => tracker.update(grown.replace(/\n\n.*$/s, '\n\n') + 'x', []), Error);
  const impostor = new CheckpointTracker(ORIGIN, forger.verifier);
  assert.throws(() => impostor.update(grown, []), Error);
  verifyConsistency(
    13,
    15,
    proof,
    checkpoint.root,
    openCheckpoint(grown, s.logSigner.verifier).checkpoint.root,
  );
});

test('HTTP: the witness cosigns a checkpoint only after checking consistency with the last one it cosigned', async (t) => {
  const s = await start();
  t.after(() => s.close());
  const post = (body: string) =>
    fetch(s.address + '/add-checkpoint', { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
  await s.log.append([record(1), record(2), record(3)]);
  const c3 = s.log.checkpoint.note;
  const first = await post(formatAddCheckpointRequest(0, [], c3));
  assert.equal(first.status, 200, await first.clone().text());
  const cosignature = await first.text();
  const verifier = new CosignatureVerifier('witness.test.example', s.witnessKey.publicKey);
  const cosigned = openCheckpoint(c3 + cosignature, [s.logSigner.verifier, verifier]);
  assert.ok(cosigned.note.signatures.some((sig) => sig.name === 'witness.test.example' && sig.verified));

  await s.log.append([record(4), record(5)]);
  const c5 = s.log.checkpoint.note;
  const stale = await post(formatAddCheckpointRequest(0, [], c5));
  assert.equal(stale.status, 409);
  assert.equal(stale.headers.get('content-type'), 'text/x.tlog.size');
  assert.equal((await stale.text()).trim(), '3');
  const proof = await s.log.consistencyProof(3, 5);
  const bad = proof.map((p, i) => (i === 0 ? Buffer.alloc(32, 9) : p));
  assert.equal((await post(formatAddCheckpointRequest(3, bad, c5))).status, 422);
  assert.equal((await post(formatAddCheckpointRequest(3, proof, c5))).status, 200);
  assert.equal((await post('garbage')).status, 400);
});

test('tracker refuses a rewind and says so', () => {
  const signer = new Ed25519NoteSigner(ORIGIN, SigningKey.generate());
  const sign = (size: number, fill: number) =>
    noteCheckpointSigner(ORIGIN, signer).sign(size, Buffer.alloc(32, fill));
  const tracker = new CheckpointTracker(ORIGIN, signer.verifier, sign(10, 1));
  assert.throws(
    () => tracker.update(sign(9, 1), []),
    (e: unknown) => e instanceof CheckpointError && e.code === 'rewind' && /rewind/.test(e.message),
  );
  assert.throws(
    () => tracker.update(sign(10, 2), []),
    (e: unknown) => e instanceof CheckpointError && e.code === 'fork',
  );
  assert.equal(tracker.trusted?.size, 10);
});
