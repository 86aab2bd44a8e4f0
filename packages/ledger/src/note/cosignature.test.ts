import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SigningKey, verifyEd25519 } from '@parley/protocol';
import { NoteError } from '../errors.js';
import { leafHash, rootOf } from '../rfc6962.js';
import { formatCheckpoint, openCheckpoint, signCheckpoint } from './checkpoint.js';
import {
  CosignatureSigner,
  CosignatureVerifier,
  cosign,
  cosignatureKeyId,
  cosignatureMessage,
} from './cosignature.js';
import {
  Ed25519NoteSigner,
  Ed25519NoteVerifier,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  keyIdOf,
  openNote,
  parseVkey,
} from './signed-note.js';

const isNoteError = (field: string) => (error: unknown) => {
  assert.ok(error instanceof NoteError, `expected a NoteError, got ${String(error)}`);
  assert.equal(error.field, field);
  return true;
};

const logSigner = new Ed25519NoteSigner('example.com/log', SigningKey.generate());
const leaves = ['a', 'b', 'c', 'd', 'e'].map((l) => leafHash(Buffer.from(l)));
const checkpoint = { origin: 'example.com/log', size: 5, root: rootOf(leaves), extensions: ['ext'] };
const body = formatCheckpoint(checkpoint);
const note = signCheckpoint(checkpoint, logSigner);
const witnessKey = SigningKey.generate();
const WITNESS = 'witness.example/w1';
const TIME = 1_700_000_000;

test('a cosignature line has the C2SP layout and signs cosignature/v1, the time and the body', () => {
  const line = cosign(note, WITNESS, witnessKey, TIME);
  assert.ok(line.startsWith(`\u2014 ${WITNESS} `) && line.endsWith('\n'));
  const bytes = Buffer.from(line.slice(`\u2014 ${WITNESS} `.length, -1), 'base64');
  assert.equal(bytes.length, 4 + 8 + 64);
  const keyId = cosignatureKeyId(WITNESS, witnessKey.publicKey);
  assert.equal(keyId, keyIdOf(WITNESS, 0x04, witnessKey.publicKey));
  assert.notEqual(keyId, keyIdOf(WITNESS, 0x01, witnessKey.publicKey));
  assert.equal(bytes.readUInt32BE(0), keyId);
  assert.equal(bytes.readBigUInt64BE(4), BigInt(TIME));
  const message = Buffer.from(`cosignature/v1\ntime ${TIME}\n${body}`);
  assert.deepEqual(cosignatureMessage(body, TIME), message);
  assert.ok(verifyEd25519(message, bytes.subarray(12), witnessKey.publicKey));
  // The body alone gives the same line (Ed25519 is deterministic).
  assert.equal(cosign(body, WITNESS, witnessKey, TIME), line);
});

test('round trip: verifyCosignature returns the timestamp; openNote accepts the cosigned note', () => {
  const signer = new CosignatureSigner(WITNESS, witnessKey);
  const verifier = signer.verifier;
  for (const time of [0, 1, TIME, Number.MAX_SAFE_INTEGER]) {
    const line = signer.cosign(note, time);
    assert.equal(verifier.verifyCosignature(note, line), time);
    assert.equal(verifier.verifyCosignature(body, line.slice(0, -1)), time);
  }
  const line = signer.cosign(note, TIME);
  const cosigned = note + line;
  const opened = openNote(cosigned, [logSigner.verifier, verifier]);
  assert.deepEqual(
    opened.signatures.map((s) => [s.name, s.verified]),
    [
      ['example.com/log', true],
      [WITNESS, true],
    ],
  );
  assert.equal(Buffer.from(opened.signatures[1]?.signature ?? []).readBigUInt64BE(0), BigInt(TIME));
  // A client that only knows the log still opens it, the cosignature kept unverified.
  assert.equal(openCheckpoint(cosigned, logSigner.verifier).note.signatures[1]?.verified, false);
});

test('vkeys of cosigning keys carry type 0x04', () => {
  const signer = new CosignatureSigner(WITNESS, witnessKey);
  const parsed = parseVkey(signer.vkey);
  assert.equal(parsed.type, SIGNATURE_TYPE_COSIGNATURE_V1);
  assert.deepEqual(parsed.publicKey, witnessKey.publicKey);
  assert.equal(parsed.keyId, signer.keyId);
  const verifier = CosignatureVerifier.fromVkey(signer.vkey);
  assert.equal(verifier.vkey, signer.vkey);
  assert.throws(() => Ed25519NoteVerifier.fromVkey(signer.vkey), isNoteError('vkey'));
  assert.throws(() => CosignatureVerifier.fromVkey(logSigner.vkey), isNoteError('vkey'));
});

test('tampering with the text, the timestamp, the signature or the key makes verification fail', () => {
  const signer = new CosignatureSigner(WITNESS, witnessKey);
  const verifier = signer.verifier;
  const line = signer.cosign(note, TIME);
  const prefix = `\u2014 ${WITNESS} `;
  const bytes = Buffer.from(line.slice(prefix.length, -1), 'base64');
  const rewrite = (mutate: (b: Buffer) => void) => {
    const copy = Buffer.from(bytes);
    mutate(copy);
    return `${prefix}${copy.toString('base64')}\n`;
  };

  // Another checkpoint body: other size, other root, other extension.
  for (const other of [
    { ...checkpoint, size: 4, root: rootOf(leaves.slice(0, 4)) },
    { ...checkpoint, root: rootOf(leaves.slice(1)) },
    { ...checkpoint, extensions: ['ext2'] },
    { ...checkpoint, extensions: [] },
  ]) {
    assert.throws(
      () => verifier.verifyCosignature(formatCheckpoint(other), line),
      isNoteError('cosignature'),
    );
  }
  // Another timestamp, each byte of it.
  for (let i = 4; i < 12; i++) {
    const tampered = rewrite((b) => {
      b[i] = (b[i] as number) ^ 0x01;
    });
    assert.throws(
      () => verifier.verifyCosignature(note, tampered),
      isNoteError('cosignature'),
      `timestamp byte ${i}`,
    );
  }
  // Beyond 2^63 - 1.
  const huge = rewrite((b) => b.writeBigUInt64BE(1n << 63n, 4));
  assert.throws(() => verifier.verifyCosignature(note, huge), isNoteError('cosignature.timestamp'));
  // The signature.
  for (let i = 12; i < bytes.length; i += 7) {
    const tampered = rewrite((b) => {
      b[i] = (b[i] as number) ^ 0x80;
    });
    assert.throws(() => verifier.verifyCosignature(note, tampered), isNoteError('cosignature'));
  }
  // The key ID (then it is another key's line).
  const otherId = rewrite((b) => {
    b[0] = (b[0] as number) ^ 0x01;
  });
  assert.throws(() => verifier.verifyCosignature(note, otherId), isNoteError('cosignature'));
  // Another witness key under the same name, and the same key under another name.
  const otherKey = new CosignatureVerifier(WITNESS, SigningKey.generate().publicKey);
  assert.throws(() => otherKey.verifyCosignature(note, line), isNoteError('cosignature'));
  const otherName = new CosignatureVerifier('witness.example/w2', witnessKey.publicKey);
  assert.throws(() => otherName.verifyCosignature(note, line), isNoteError('cosignature'));
  // A plain Ed25519 note signature by the same key is not a cosignature.
  const plain = new Ed25519NoteSigner(WITNESS, witnessKey);
  const plainLine = openNote(signCheckpoint(checkpoint, plain), [plain.verifier]).signatures[0];
  assert.ok(plainLine);
  assert.throws(() => verifier.verifyCosignature(note, `${plainLine.line}\n`), isNoteError('cosignature'));
  // In a note: a tampered cosignature from a known witness rejects the note.
  const tamperedTime = rewrite((b) => b.writeBigUInt64BE(BigInt(TIME + 1), 4));
  assert.throws(
    () => openNote(note + tamperedTime, [logSigner.verifier, verifier]),
    isNoteError('note.signature[1]'),
  );
});

test('cosign refuses bad times, names and non-checkpoints', () => {
  assert.throws(() => cosign(note, WITNESS, witnessKey, -1), isNoteError('timeSeconds'));
  assert.throws(() => cosign(note, WITNESS, witnessKey, 1.5), isNoteError('timeSeconds'));
  assert.throws(() => cosign(note, 'bad name', witnessKey, TIME), isNoteError('name'));
  assert.throws(() => cosign('not a checkpoint\n', WITNESS, witnessKey, TIME));
  const verifier = new CosignatureSigner(WITNESS, witnessKey).verifier;
  assert.throws(
    () => verifier.verifyCosignature(note, `${cosign(note, WITNESS, witnessKey, TIME)}x\n`),
    isNoteError('cosignature'),
  );
});
