import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SigningKey } from '@parley/protocol';
import { EMPTY_ROOT, leafHash, rootOf, splitPoint } from '../rfc6962.js';
import { signCheckpoint, type CheckpointInput } from '../note/checkpoint.js';
import { CosignatureVerifier } from '../note/cosignature.js';
import { Ed25519NoteSigner, openNote } from '../note/signed-note.js';
import {
  MemoryWitnessStateStore,
  TLOG_SIZE_CONTENT_TYPE,
  Witness,
  WitnessRequestError,
  formatAddCheckpointRequest,
  parseAddCheckpointRequest,
  type TreeState,
  type WitnessStateStore,
} from './witness.js';

/** RFC 6962 section 2.1.2, by the definition: PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
function subproof(m: number, leaves: readonly Buffer[], complete: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [rootOf(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), complete), rootOf(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), rootOf(leaves.slice(0, k))];
}
const consistencyProof = (m: number, leaves: readonly Buffer[]) => (m === 0 ? [] : subproof(m, leaves, true));

const ORIGIN = 'example.com/log';
const WITNESS = 'witness.example/w1';
const leaves = Array.from({ length: 20 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
const otherLeaves = Array.from({ length: 20 }, (_, i) => leafHash(Buffer.from(`other ${i}`)));

function setup(options: { store?: WitnessStateStore } = {}) {
  const logSigner = new Ed25519NoteSigner(ORIGIN, SigningKey.generate());
  const key = SigningKey.generate();
  let now = 1_700_000_000_000;
  const witness = new Witness({
    name: WITNESS,
    key,
    logs: new Map([[ORIGIN, logSigner.verifier]]),
    store: options.store ?? new MemoryWitnessStateStore(),
    clock: () => (now += 1000),
  });
  const checkpointOf = (tree: readonly Buffer[], origin = ORIGIN): CheckpointInput => ({
    origin,
    size: tree.length,
    root: rootOf(tree),
  });
  const note = (tree: readonly Buffer[], signer = logSigner) => signCheckpoint(checkpointOf(tree), signer);
  /** A request moving from size `old` to `tree`, with the proof computed from `tree`. */
  const request = (old: number, tree: readonly Buffer[], signer = logSigner) =>
    formatAddCheckpointRequest(old, consistencyProof(old, tree), note(tree, signer));
  const cosignatureVerifier = new CosignatureVerifier(WITNESS, key.publicKey);
  return { witness, logSigner, note, request, cosignatureVerifier, clock: () => now };
}

test('the reference SUBPROOF proofs verify with verifyConsistency (sanity of the test helper)', async () => {
  const { verifyConsistency } = await import('../proof/verify.js');
  for (let n = 1; n <= 12; n++) {
    for (let m = 1; m <= n; m++) {
      const tree = leaves.slice(0, n);
      verifyConsistency(m, n, consistencyProof(m, tree), rootOf(tree.slice(0, m)), rootOf(tree));
    }
  }
});

test('first checkpoint (old 0), extensions, a replay: 200 with a verifying cosignature, state persisted', async () => {
  const { witness, request, note, cosignatureVerifier, logSigner } = setup();
  assert.equal(witness.vkey, cosignatureVerifier.vkey);

  const first = await witness.addCheckpoint(request(0, leaves.slice(0, 3)));
  assert.equal(first.status, 200, first.body);
  assert.ok(first.body.startsWith(`\u2014 ${WITNESS} `) && first.body.endsWith('\n'));
  const t1 = cosignatureVerifier.verifyCosignature(note(leaves.slice(0, 3)), first.body);
  assert.equal(t1, 1_700_000_001);
  assert.deepEqual(await witness.latest(ORIGIN), { size: 3, root: rootOf(leaves.slice(0, 3)) });
  // The client concatenates the response to the checkpoint and opens it with both keys.
  const cosigned = openNote(note(leaves.slice(0, 3)) + first.body, [logSigner.verifier, cosignatureVerifier]);
  assert.ok(cosigned.signatures.every((s) => s.verified));

  // Valid extensions: 3 -> 8 (power of two), 8 -> 13, 13 -> 20.
  let old = 3;
  for (const size of [8, 13, 20]) {
    const response = await witness.addCheckpoint(request(old, leaves.slice(0, size)));
    assert.equal(response.status, 200, `${old} -> ${size}: ${response.body}`);
    assert.ok(cosignatureVerifier.verifyCosignature(note(leaves.slice(0, size)), response.body) > t1);
    assert.equal((await witness.latest(ORIGIN))?.size, size);
    old = size;
  }

  // Replaying the latest checkpoint (old = size, same root, empty proof): cosigned again.
  const replay = await witness.addCheckpoint(request(20, leaves));
  assert.equal(replay.status, 200, replay.body);
  cosignatureVerifier.verifyCosignature(note(leaves), replay.body);
  assert.equal((await witness.latest(ORIGIN))?.size, 20);
});

test('stale old size: 409 text/x.tlog.size with the latest size, state unchanged', async () => {
  const { witness, request } = setup();
  // Never seen: the latest size is 0.
  const unknown = await witness.addCheckpoint(request(3, leaves.slice(0, 5)));
  assert.deepEqual(unknown, { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '0\n' });
  assert.equal((await witness.addCheckpoint(request(0, leaves.slice(0, 5)))).status, 200);
  for (const old of [0, 3, 4, 6]) {
    const response = await witness.addCheckpoint(request(old, leaves.slice(0, 9)));
    assert.deepEqual(
      response,
      { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '5\n' },
      `old ${old}`,
    );
  }
  assert.equal((await witness.latest(ORIGIN))?.size, 5);
});

test('bad consistency proofs: 422, and nothing is cosigned or stored', async () => {
  const { witness, request, note } = setup();
  assert.equal((await witness.addCheckpoint(request(0, leaves.slice(0, 6)))).status, 200);
  const tree = leaves.slice(0, 11);
  const good = consistencyProof(6, tree);
  const flipped = good.map((h, i) => (i === 1 ? Buffer.from(h.map((b, j) => (j === 0 ? b ^ 1 : b))) : h));
  const bad = [
    ['corrupted hash', flipped],
    ['missing hash', good.slice(0, -1)],
    ['extra hash', [...good, good[0] as Buffer]],
    ['empty', []],
    ['proof for another old size', consistencyProof(5, tree)],
  ] as const;
  for (const [label, proof] of bad) {
    const response = await witness.addCheckpoint(formatAddCheckpointRequest(6, proof, note(tree)));
    assert.equal(response.status, 422, `${label}: ${response.body}`);
    assert.ok(!response.body.includes('\u2014'));
  }
  // A checkpoint that is not an extension of what the witness saw (another history), with its own valid proof.
  const otherHistory = [...otherLeaves.slice(0, 6), ...leaves.slice(6, 11)];
  const forked = await witness.addCheckpoint(request(6, otherHistory));
  assert.equal(forked.status, 422, forked.body);
  assert.deepEqual(await witness.latest(ORIGIN), { size: 6, root: rootOf(leaves.slice(0, 6)) });
  // The good proof still works afterwards.
  assert.equal((await witness.addCheckpoint(formatAddCheckpointRequest(6, good, note(tree)))).status, 200);
});

test('a fork (same size, another root): 409 with the latest size; a proof between equal sizes: 422', async () => {
  const { witness, request, note } = setup();
  assert.equal((await witness.addCheckpoint(request(0, leaves.slice(0, 7)))).status, 200);
  const fork = [...leaves.slice(0, 6), otherLeaves[6] as Buffer];
  const response = await witness.addCheckpoint(request(7, fork));
  assert.deepEqual(response, { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '7\n' });
  assert.deepEqual(await witness.latest(ORIGIN), { size: 7, root: rootOf(leaves.slice(0, 7)) });
  const withProof = formatAddCheckpointRequest(7, [rootOf(leaves.slice(0, 7))], note(leaves.slice(0, 7)));
  assert.equal((await witness.addCheckpoint(withProof)).status, 422);
});

test('a rewind (checkpoint smaller than old): 400', async () => {
  const { witness, request, note } = setup();
  assert.equal((await witness.addCheckpoint(request(0, leaves.slice(0, 10)))).status, 200);
  const rewind = await witness.addCheckpoint(formatAddCheckpointRequest(10, [], note(leaves.slice(0, 8))));
  assert.equal(rewind.status, 400, rewind.body);
  assert.equal((await witness.latest(ORIGIN))?.size, 10);
});

test('an unknown origin: 404; a bad log signature: 403', async () => {
  const { witness, logSigner, note } = setup();
  const otherOrigin = signCheckpoint(
    { origin: 'example.com/other', size: 1, root: leaves[0] as Buffer },
    logSigner,
  );
  assert.equal((await witness.addCheckpoint(formatAddCheckpointRequest(0, [], otherOrigin))).status, 404);

  const impostor = new Ed25519NoteSigner(ORIGIN, SigningKey.generate());
  const forged = await witness.addCheckpoint(
    formatAddCheckpointRequest(0, [], note(leaves.slice(0, 2), impostor)),
  );
  assert.equal(forged.status, 403, forged.body);
  // A signature line from the known key over another text.
  const genuine = note(leaves.slice(0, 2));
  const line = genuine.slice(genuine.lastIndexOf('\n\n') + 2);
  const swapped = `${ORIGIN}\n3\n${rootOf(leaves.slice(0, 3)).toString('base64')}\n\n${line}`;
  assert.equal((await witness.addCheckpoint(formatAddCheckpointRequest(0, [], swapped))).status, 403);
  assert.equal(await witness.latest(ORIGIN), undefined);
  // Signatures from unknown keys are ignored, even one with the log's name (another key, so another key ID).
  const withImpostor = genuine + note(leaves.slice(0, 2), impostor).split('\n\n')[1];
  assert.equal(withImpostor.split('\n').length, genuine.split('\n').length + 1);
  assert.equal((await witness.addCheckpoint(formatAddCheckpointRequest(0, [], withImpostor))).status, 200);
  const stranger = new Ed25519NoteSigner('example.com/stranger', SigningKey.generate());
  const withStranger = signCheckpoint({ origin: ORIGIN, size: 2, root: rootOf(leaves.slice(0, 2)) }, [
    stranger,
    logSigner,
  ]);
  assert.equal((await witness.addCheckpoint(formatAddCheckpointRequest(2, [], withStranger))).status, 200);
  // A known key's signature that fails rejects the checkpoint even next to a valid one.
  const badLine = swapped.slice(swapped.lastIndexOf('\n\n') + 2);
  const withBad = signCheckpoint({ origin: ORIGIN, size: 3, root: rootOf(leaves.slice(0, 3)) }, logSigner);
  const mixed = withBad + badLine;
  assert.equal(mixed.split('\n').length, withBad.split('\n').length + 1);
  const rejected = await witness.addCheckpoint(
    formatAddCheckpointRequest(2, consistencyProof(2, leaves.slice(0, 3)), mixed),
  );
  assert.equal(rejected.status, 403, rejected.body);
  assert.equal((await witness.latest(ORIGIN))?.size, 2);
});

test('garbage and malformed requests: 400', async () => {
  const { witness, request, note } = setup();
  const valid = request(0, leaves.slice(0, 4));
  const checkpoint = note(leaves.slice(0, 4));
  const proofLine = `${leaves[0]?.toString('base64')}\n`;
  const garbage = [
    '',
    'garbage',
    '\u0000\u0001\u0002',
    'old 0\n',
    'old 0\n\n',
    `old 0\n${checkpoint}`,
    `old 00\n\n${checkpoint}`,
    `old -1\n\n${checkpoint}`,
    `old 1 \n\n${checkpoint}`,
    `Old 0\n\n${checkpoint}`,
    `old 0\nnot base64\n\n${checkpoint}`,
    `old 0\n${leaves[0]?.subarray(1).toString('base64')}\n\n${checkpoint}`,
    `old 0\n${proofLine}\n${checkpoint}`, // a proof with old size 0
    `old 4\n${proofLine.repeat(64)}\n${checkpoint}`,
    `old 0\n\n${checkpoint.replace('\n4\n', '\n04\n')}`,
    `old 0\n\n${checkpoint.replace(/\n\n.*$/s, '\n')}`,
    `old 0\n\n${checkpoint.slice(0, -1)}`,
    `old 9007199254740993\n\n${checkpoint}`,
  ];
  for (const body of garbage) {
    const response = await witness.addCheckpoint(body);
    assert.equal(response.status, 400, `${JSON.stringify(body.slice(0, 40))}: ${response.body}`);
    assert.equal(response.contentType, 'text/plain; charset=utf-8');
  }
  assert.equal((await witness.addCheckpoint(Buffer.of(0xff, 0xfe))).status, 400);
  assert.equal(await witness.latest(ORIGIN), undefined);
  assert.equal((await witness.addCheckpoint(Buffer.from(valid))).status, 200);
});

test('the empty tree: size 0 is accepted only with the empty root', async () => {
  const { witness, logSigner } = setup();
  const empty = (root: Buffer) => signCheckpoint({ origin: ORIGIN, size: 0, root }, logSigner);
  assert.equal(
    (await witness.addCheckpoint(formatAddCheckpointRequest(0, [], empty(rootOf([]))))).status,
    200,
  );
  assert.equal(
    (await witness.addCheckpoint(formatAddCheckpointRequest(0, [], empty(leaves[0] as Buffer)))).status,
    422,
  );
  assert.deepEqual(await witness.latest(ORIGIN), { size: 0, root: EMPTY_ROOT });
});

test('parse and format of add-checkpoint requests', () => {
  const proof = [leaves[0] as Buffer, leaves[1] as Buffer];
  const body = formatAddCheckpointRequest(7, proof, 'x\n\n\u2014 k AAAAAAA=\n');
  const parsed = parseAddCheckpointRequest(body);
  assert.equal(parsed.oldSize, 7);
  assert.deepEqual(parsed.proof, proof);
  assert.equal(parsed.checkpoint, 'x\n\n\u2014 k AAAAAAA=\n');
  assert.throws(() => parseAddCheckpointRequest('old 1\n'), WitnessRequestError);
  assert.throws(() => formatAddCheckpointRequest(-1, [], 'x'), WitnessRequestError);
});

test('compare-and-set: a concurrent update between check and persist answers 409, never rolls back', async () => {
  const inner = new MemoryWitnessStateStore();
  let race: (() => Promise<void>) | undefined;
  const store: WitnessStateStore = {
    get: (origin) => inner.get(origin),
    async compareAndSet(origin: string, old: TreeState | undefined, next: TreeState) {
      const run = race;
      race = undefined;
      if (run) await run();
      return inner.compareAndSet(origin, old, next);
    },
  };
  const { witness, request } = setup({ store });
  assert.equal((await witness.addCheckpoint(request(0, leaves.slice(0, 4)))).status, 200);
  // While request A (4 -> 6) is between its check and its write, request B (4 -> 9) completes.
  race = async () => {
    const b = await witness.addCheckpoint(request(4, leaves.slice(0, 9)));
    assert.equal(b.status, 200);
  };
  const a = await witness.addCheckpoint(request(4, leaves.slice(0, 6)));
  assert.deepEqual(a, { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '9\n' });
  assert.equal((await witness.latest(ORIGIN))?.size, 9);
});

test('the memory store compares sizes and roots and keeps copies', async () => {
  const store = new MemoryWitnessStateStore();
  const root = Buffer.from(rootOf(leaves.slice(0, 2)));
  assert.equal(await store.compareAndSet('o', { size: 1, root }, { size: 2, root }), false);
  assert.equal(await store.compareAndSet('o', undefined, { size: 2, root }), true);
  assert.equal(await store.compareAndSet('o', undefined, { size: 3, root }), false);
  assert.equal(await store.compareAndSet('o', { size: 2, root: EMPTY_ROOT }, { size: 3, root }), false);
  root.fill(0);
  const state = await store.get('o');
  assert.deepEqual(state?.root, rootOf(leaves.slice(0, 2)));
  assert.equal(
    await store.compareAndSet('o', { size: 2, root: rootOf(leaves.slice(0, 2)) }, { size: 3, root }),
    true,
  );
});
