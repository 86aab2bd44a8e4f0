import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SigningKey } from '@parley/protocol';
import { CheckpointError, NoteError } from '../errors.js';
import { EMPTY_ROOT, leafHash, rootOf } from '../rfc6962.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import { EcdsaNoteVerifier, Ed25519NoteSigner, parseNote } from './signed-note.js';

interface Vectors {
  realWorld: { rekorCheckpoint: { publicKeySpkiBase64: string; envelope: string } };
}
const { rekorCheckpoint: rekor } = (
  JSON.parse(
    readFileSync(fileURLToPath(new URL('../../test/vectors/merkle.json', import.meta.url)), 'utf8'),
  ) as Vectors
).realWorld;

const isCheckpointError = (field: string) => (error: unknown) => {
  assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${String(error)}`);
  assert.equal(error.field, field);
  assert.ok(error.message.startsWith(`${field}: `));
  return true;
};

const ROOT = rootOf([leafHash(Buffer.from('a')), leafHash(Buffer.from('b')), leafHash(Buffer.from('c'))]);
const ROOT64 = ROOT.toString('base64');

test('the Rekor production checkpoint opens, with its Timestamp extension line', () => {
  const verifier = new EcdsaNoteVerifier('rekor.sigstore.dev', rekor.publicKeySpkiBase64);
  const { checkpoint, note } = openCheckpoint(rekor.envelope, verifier);
  assert.equal(checkpoint.origin, 'rekor.sigstore.dev - 2605736670972794746');
  assert.equal(checkpoint.size, 21428036);
  assert.equal(
    Buffer.from(checkpoint.root).toString('base64'),
    'rxnoKyFZlJ7/R6bMh/d3lcqwKqAy5CL1LcNBJP17kgQ=',
  );
  assert.deepEqual(checkpoint.extensions, ['Timestamp: 1688058656037355364']);
  assert.equal(note.signatures[0]?.verified, true);
  assert.equal(formatCheckpoint(checkpoint), note.text, 'format(parse(body)) is the body');
  // Another key: the note does not open.
  const other = new Ed25519NoteSigner('rekor.sigstore.dev', SigningKey.generate()).verifier;
  assert.throws(() => openCheckpoint(rekor.envelope, other), NoteError);
});

test('sign and open round trips, with and without extensions', () => {
  const signer = new Ed25519NoteSigner('example.com/log', SigningKey.generate());
  const cases = [
    { origin: 'example.com/log', size: 3, root: ROOT },
    { origin: 'example.com/log', size: 0, root: EMPTY_ROOT, extensions: [] },
    { origin: 'example.com/log', size: Number.MAX_SAFE_INTEGER, root: ROOT, extensions: ['x: 1', 'y'] },
    {
      origin: 'origin with spaces \u00e9',
      size: 1,
      root: leafHash(Buffer.from('a')),
      extensions: ['\u2014 z'],
    },
  ];
  for (const input of cases) {
    const note = signCheckpoint(input, signer);
    const { checkpoint, note: opened } = openCheckpoint(note, [signer.verifier]);
    assert.equal(checkpoint.origin, input.origin);
    assert.equal(checkpoint.size, input.size);
    assert.deepEqual(Buffer.from(checkpoint.root), Buffer.from(input.root));
    assert.deepEqual(checkpoint.extensions, input.extensions ?? []);
    assert.equal(opened.text, formatCheckpoint(input));
    assert.equal(formatCheckpoint(parseCheckpoint(opened.text)), opened.text);
  }
  assert.equal(
    formatCheckpoint({ origin: 'example.com/log', size: 3, root: ROOT }),
    `example.com/log\n3\n${ROOT64}\n`,
  );
  // Several signers.
  const second = new Ed25519NoteSigner('example.com/log-2', SigningKey.generate());
  const both = signCheckpoint({ origin: 'o', size: 3, root: ROOT }, [signer, second]);
  assert.equal(parseNote(both).signatures.length, 2);
  assert.equal(openCheckpoint(both, second.verifier).note.signatures[1]?.verified, true);
});

test('parseCheckpoint is strict', () => {
  const bad: [string, string, string][] = [
    ['no final newline', `o\n3\n${ROOT64}`, 'checkpoint'],
    ['two lines', `o\n3\n`, 'checkpoint'],
    ['empty origin', `\n3\n${ROOT64}\n`, 'checkpoint.origin'],
    ['leading zero', `o\n03\n${ROOT64}\n`, 'checkpoint.size'],
    ['00', `o\n00\n${ROOT64}\n`, 'checkpoint.size'],
    ['sign', `o\n+3\n${ROOT64}\n`, 'checkpoint.size'],
    ['negative', `o\n-3\n${ROOT64}\n`, 'checkpoint.size'],
    ['space', `o\n 3\n${ROOT64}\n`, 'checkpoint.size'],
    ['hex', `o\n0x3\n${ROOT64}\n`, 'checkpoint.size'],
    ['exponent', `o\n3e2\n${ROOT64}\n`, 'checkpoint.size'],
    ['empty size', `o\n\n${ROOT64}\n`, 'checkpoint.size'],
    ['beyond 2^53', `o\n9007199254740993\n${ROOT64}\n`, 'checkpoint.size'],
    ['unpadded root', `o\n3\n${ROOT64.replace(/=$/, '')}\n`, 'checkpoint.root'],
    ['url-safe root', `o\n3\n${ROOT64.replaceAll('+', '-').replaceAll('/', '_')}x\n`, 'checkpoint.root'],
    ['31-byte root', `o\n3\n${ROOT.subarray(1).toString('base64')}\n`, 'checkpoint.root'],
    ['33-byte root', `o\n3\n${Buffer.concat([ROOT, Buffer.of(0)]).toString('base64')}\n`, 'checkpoint.root'],
    ['hex root', `o\n3\n${ROOT.toString('hex')}\n`, 'checkpoint.root'],
    ['empty extension', `o\n3\n${ROOT64}\n\nx\n`, 'checkpoint.extensions[0]'],
    ['empty last extension', `o\n3\n${ROOT64}\nx\n\n`, 'checkpoint.extensions[1]'],
    ['control character', `o\t\n3\n${ROOT64}\n`, 'checkpoint'],
  ];
  for (const [label, text, field] of bad)
    assert.throws(() => parseCheckpoint(text), isCheckpointError(field), label);
  // Non-canonical trailing bits in the root's last character.
  const last = ROOT64.at(-2) as string;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const twin = alphabet[alphabet.indexOf(last) ^ 1] as string;
  assert.throws(
    () => parseCheckpoint(`o\n3\n${ROOT64.slice(0, -2)}${twin}=\n`),
    isCheckpointError('checkpoint.root'),
  );
});

test('formatCheckpoint refuses what could not be parsed back', () => {
  const bad: [Parameters<typeof formatCheckpoint>[0], string][] = [
    [{ origin: '', size: 1, root: ROOT }, 'checkpoint.origin'],
    [{ origin: 'a\nb', size: 1, root: ROOT }, 'checkpoint.origin'],
    [{ origin: 'o', size: -1, root: ROOT }, 'checkpoint.size'],
    [{ origin: 'o', size: 1.5, root: ROOT }, 'checkpoint.size'],
    [{ origin: 'o', size: 2 ** 53, root: ROOT }, 'checkpoint.size'],
    [{ origin: 'o', size: 1, root: ROOT.subarray(1) }, 'checkpoint.root'],
    [{ origin: 'o', size: 1, root: ROOT, extensions: [''] }, 'checkpoint.extensions[0]'],
    [{ origin: 'o', size: 1, root: ROOT, extensions: ['a', 'b\nc'] }, 'checkpoint.extensions[1]'],
    [{ origin: 'o\r', size: 1, root: ROOT }, 'checkpoint'],
  ];
  for (const [input, field] of bad)
    assert.throws(() => formatCheckpoint(input), isCheckpointError(field), field);
});
