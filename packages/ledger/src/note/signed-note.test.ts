import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SigningKey } from '@parley/protocol';
import { NoteError } from '../errors.js';
import {
  EcdsaNoteVerifier,
  Ed25519NoteSigner,
  Ed25519NoteVerifier,
  MAX_SIGNATURES,
  SIGNATURE_TYPE_ED25519,
  formatEd25519Skey,
  formatKeyId,
  formatVkey,
  keyIdOf,
  openNote,
  parseEd25519Skey,
  parseNote,
  parseVkey,
  signNote,
  type NoteVerifier,
} from './signed-note.js';

interface SignedNoteVector {
  source: string;
  vkey: string;
  skey?: string;
  note: string;
}
interface Vectors {
  signedNotes: { vectors: SignedNoteVector[] };
  realWorld: { rekorCheckpoint: { publicKeySpkiBase64: string; logIdHex: string; envelope: string } };
}
const vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../test/vectors/merkle.json', import.meta.url)), 'utf8'),
) as Vectors;
const edVectors = vectors.signedNotes.vectors;
const rekor = vectors.realWorld.rekorCheckpoint;
const peter = edVectors.find((v) => v.vkey.startsWith('PeterNeumann+')) as SignedNoteVector;
const enoch = edVectors.find((v) => v.vkey.startsWith('EnochRoot+')) as SignedNoteVector;
const rekorVerifier = () => new EcdsaNoteVerifier('rekor.sigstore.dev', rekor.publicKeySpkiBase64);

const isNoteError = (field?: string | RegExp) => (error: unknown) => {
  assert.ok(error instanceof NoteError, `expected a NoteError, got ${String(error)}`);
  if (typeof field === 'string') assert.equal(error.field, field);
  else if (field) assert.match(error.field, field);
  assert.ok(error.message.startsWith(`${error.field}: `));
  return true;
};

test('the three Ed25519 signed-note vectors verify with their vkeys', () => {
  assert.equal(edVectors.length, 3);
  for (const v of edVectors) {
    const verifier = Ed25519NoteVerifier.fromVkey(v.vkey);
    assert.equal(verifier.vkey, v.vkey, 'vkey round trip');
    const opened = openNote(v.note, [verifier]);
    assert.equal(opened.text, v.note.slice(0, v.note.lastIndexOf('\n\n') + 1), v.source);
    assert.equal(opened.signatures.length, 1);
    const [signature] = opened.signatures;
    assert.equal(signature?.name, verifier.name);
    assert.equal(signature?.keyId, verifier.keyId);
    assert.equal(signature?.verified, true);
    assert.equal(signature?.signature.length, 64);
    // Also as bytes.
    assert.equal(openNote(Buffer.from(v.note, 'utf8'), [verifier]).signatures[0]?.verified, true);
  }
  assert.equal(formatKeyId(Ed25519NoteVerifier.fromVkey(peter.vkey).keyId), 'c74f20a3');
});

test('re-signing the PeterNeumann note with its skey reproduces the vector byte for byte', () => {
  assert.ok(peter.skey);
  const signer = Ed25519NoteSigner.fromSkey(peter.skey);
  assert.equal(signer.vkey, peter.vkey);
  const text = parseNote(peter.note).text;
  assert.equal(signNote(text, [signer]), peter.note);
  // The skey formats back to the same string.
  const { name, key } = parseEd25519Skey(peter.skey);
  assert.equal(formatEd25519Skey(name, key), peter.skey);
  assert.doesNotMatch(String(signer), /AYEKF/);
});

test('the Rekor production checkpoint verifies with its ECDSA P-256 key', () => {
  const verifier = rekorVerifier();
  assert.equal(
    formatKeyId(verifier.keyId),
    rekor.logIdHex.slice(0, 8),
    'key hint = first 4 bytes of the log ID',
  );
  assert.equal(createHash('sha256').update(verifier.spki).digest('hex'), rekor.logIdHex);
  const opened = openNote(rekor.envelope, [verifier]);
  assert.equal(opened.signatures[0]?.verified, true);
  assert.ok(opened.text.endsWith('Timestamp: 1688058656037355364\n'));
  // The same key from PEM.
  const pem = `-----BEGIN PUBLIC KEY-----\n${rekor.publicKeySpkiBase64}\n-----END PUBLIC KEY-----\n`;
  assert.equal(new EcdsaNoteVerifier('rekor.sigstore.dev', pem).keyId, verifier.keyId);
});

test('flipping any bit of any byte of each of the four vector notes makes verification fail', () => {
  const cases: { label: string; note: string; verifiers: NoteVerifier[] }[] = [
    ...edVectors.map((v) => ({
      label: v.vkey,
      note: v.note,
      verifiers: [Ed25519NoteVerifier.fromVkey(v.vkey)],
    })),
    { label: 'rekor', note: rekor.envelope, verifiers: [rekorVerifier()] },
  ];
  let attempts = 0;
  for (const { label, note, verifiers } of cases) {
    const bytes = Buffer.from(note, 'utf8');
    assert.doesNotThrow(() => openNote(bytes, verifiers), label);
    for (let position = 0; position < bytes.length; position++) {
      for (const mask of [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff]) {
        const flipped = Buffer.from(bytes);
        flipped[position] = (flipped[position] as number) ^ mask;
        assert.throws(
          () => openNote(flipped, verifiers),
          isNoteError(),
          `${label}: byte ${position} ^ 0x${mask.toString(16)} still verifies`,
        );
        attempts++;
      }
    }
  }
  assert.ok(attempts > 4 * 150 * 9);
});

test('signatures from unknown keys are kept but unverified; at least one known key must verify', () => {
  const enochLine = enoch.note.slice(enoch.note.lastIndexOf('\n\n') + 2);
  const both = peter.note + enochLine;
  const peterVerifier = Ed25519NoteVerifier.fromVkey(peter.vkey);
  const enochVerifier = Ed25519NoteVerifier.fromVkey(enoch.vkey);
  const opened = openNote(both, [peterVerifier]);
  assert.deepEqual(
    opened.signatures.map((s) => [s.name, s.verified]),
    [
      ['PeterNeumann', true],
      ['EnochRoot', false],
    ],
  );
  assert.equal(openNote(both, [peterVerifier, enochVerifier]).signatures.filter((s) => s.verified).length, 2);
  // Only unknown keys: rejected.
  assert.throws(() => openNote(both, [rekorVerifier()]), isNoteError('note.signatures'));
  assert.throws(() => openNote(both, []), isNoteError('note.signatures'));
  // Same name, another key: unknown, not a failure of the known key.
  const otherKey = new Ed25519NoteVerifier('PeterNeumann', SigningKey.generate().publicKey);
  assert.throws(() => openNote(peter.note, [otherKey]), isNoteError('note.signatures'));
});

test('a known key whose signature fails rejects the whole note, naming the line', () => {
  const peterVerifier = Ed25519NoteVerifier.fromVkey(peter.vkey);
  const enochVerifier = Ed25519NoteVerifier.fromVkey(enoch.vkey);
  // EnochRoot's signature moved onto another text.
  const enochLine = enoch.note.slice(enoch.note.lastIndexOf('\n\n') + 2);
  const signer = new Ed25519NoteSigner('PeterNeumann2', SigningKey.generate());
  const other = signNote('Another text.\n', [signer]) + enochLine;
  assert.throws(() => openNote(other, [signer.verifier, enochVerifier]), isNoteError('note.signature[1]'));
  assert.throws(() => openNote(other, [peterVerifier, enochVerifier]), isNoteError('note.signature[1]'));
});

test('malformed notes are rejected', () => {
  const verifier = Ed25519NoteVerifier.fromVkey(peter.vkey);
  const text = parseNote(peter.note).text;
  const line = peter.note.slice(text.length + 1, -1);
  const bad: [string, string | Uint8Array, string | RegExp][] = [
    ['no blank line', `${text}${line}\n`, 'note'],
    ['no final newline', `${text}\n${line}`, 'note'],
    ['no signatures', `${text}\n`, 'note'],
    ['control character', `\t${text}\n${line}\n`, 'note'],
    ['carriage return', `${text}\n${line}\r\n`, 'note'],
    ['lone surrogate', `\ud800${text}\n${line}\n`, 'note'],
    ['invalid UTF-8', Buffer.concat([Buffer.of(0xff), Buffer.from(peter.note)]), 'note'],
    ['hyphen instead of em dash', `${text}\n- ${line.slice(2)}\n`, 'note.signature[0]'],
    ['no space after the name', `${text}\n${line.replace(' x08', 'x08')}\n`, /^note\.signature\[0\]/],
    ['unpadded base64', `${text}\n${line.replace(/=$/, '')}\n`, 'note.signature[0]'],
    ['non-canonical base64', `${text}\n${line.replace(/M=$/, 'N=')}\n`, 'note.signature[0]'],
    ['url-safe base64', `${text}\n${line.replace('/', '_')}\n`, 'note.signature[0]'],
    ['name with +', `${text}\n${line.replace('PeterNeumann', 'Peter+Neumann')}\n`, 'note.signature[0].name'],
    ['too short', `${text}\n\u2014 PeterNeumann AAAAAA==\n`, 'note.signature[0]'],
    ['blank line among signatures', `${text}\n${line}\n\n${line}\n`, /^note/],
  ];
  for (const [label, note, field] of bad) {
    assert.throws(() => openNote(note, [verifier]), isNoteError(field), label);
  }
  const many = `${text}\n${`${line}\n`.repeat(MAX_SIGNATURES + 1)}`;
  assert.throws(() => openNote(many, [verifier]), isNoteError('note.signatures'));
  assert.equal(openNote(`${text}\n${`${line}\n`.repeat(MAX_SIGNATURES)}`, [verifier]).signatures.length, 100);
});

test('the text is separated at the last blank line and may contain blank lines itself', () => {
  const signer = new Ed25519NoteSigner('example.com/n', SigningKey.generate());
  for (const text of ['a\n\nb\n', '\n', 'x\n\n', 'Ognuno sta solo\n\ned \u00e8 subito sera.\n']) {
    const opened = openNote(signNote(text, [signer]), [signer.verifier]);
    assert.equal(opened.text, text);
  }
  assert.throws(() => signNote('no newline', [signer]), isNoteError('text'));
  assert.throws(() => signNote('', [signer]), isNoteError('text'));
  assert.throws(() => signNote('a\u0000\n', [signer]), isNoteError('text'));
  assert.throws(() => signNote('a\n', []), isNoteError('signers'));
});

test('vkeys: parse, format, and refuse a wrong key ID, type or name', () => {
  const parsed = parseVkey(peter.vkey);
  assert.equal(parsed.type, SIGNATURE_TYPE_ED25519);
  assert.equal(formatVkey(parsed.name, parsed.type, parsed.publicKey), peter.vkey);
  assert.equal(keyIdOf(parsed.name, parsed.type, parsed.publicKey), parsed.keyId);
  assert.throws(() => parseVkey(peter.vkey.replace('c74f20a3', 'c74f20a4')), isNoteError('vkey.keyId'));
  assert.throws(() => parseVkey(peter.vkey.replace('c74f20a3', 'C74F20A3')), isNoteError('vkey.keyId'));
  assert.throws(() => parseVkey('PeterNeumann+c74f20a3'), isNoteError('vkey'));
  assert.throws(
    () => parseVkey(`Peter Neumann+c74f20a3+${peter.vkey.split('+')[2]}`),
    isNoteError('vkey.name'),
  );
  const other = formatVkey('x', 0x09, Buffer.alloc(32, 1));
  assert.throws(() => Ed25519NoteVerifier.fromVkey(other), isNoteError('vkey'));
  assert.throws(() => new Ed25519NoteVerifier('x', Buffer.alloc(31)), isNoteError('publicKey'));
  assert.throws(() => new Ed25519NoteVerifier('', Buffer.alloc(32)), isNoteError('name'));
});

test('skeys: a wrong key ID, prefix or type is refused without echoing the key', () => {
  const skey = peter.skey ?? '';
  const wrongId = skey.replace('c74f20a3', '00000000');
  assert.throws(
    () => parseEd25519Skey(wrongId),
    (e: unknown) => isNoteError('skey.keyId')(e) && !String(e).includes('AYEKF'),
  );
  assert.throws(() => parseEd25519Skey(skey.replace('PRIVATE', 'PUBLIC')), isNoteError('skey'));
  assert.throws(() => parseEd25519Skey(skey.replace('+AYEK', '+AoEK')), isNoteError('skey.key'));
  assert.throws(() => parseEd25519Skey(skey.slice(0, -4)), isNoteError('skey.key'));
  assert.throws(() => parseEd25519Skey(peter.vkey), isNoteError('skey'));
});

test('Ed25519 signer and verifier round trip, several signers, ambiguous verifiers refused', () => {
  const a = new Ed25519NoteSigner('example.com/a', SigningKey.generate());
  const b = new Ed25519NoteSigner('example.com/b', SigningKey.generate());
  const note = signNote('hello\n', [a, b]);
  const opened = openNote(note, [a.verifier, b.verifier]);
  assert.deepEqual(
    opened.signatures.map((s) => [s.name, s.keyId, s.verified]),
    [
      ['example.com/a', a.keyId, true],
      ['example.com/b', b.keyId, true],
    ],
  );
  assert.throws(() => openNote(note, [a.verifier, a.verifier]), isNoteError('verifiers[1]'));
  const key = SigningKey.generate();
  const signer = new Ed25519NoteSigner('k', key);
  assert.equal(Ed25519NoteSigner.fromSkey(formatEd25519Skey('k', key)).vkey, signer.vkey);
});

test('ECDSA: a P-256 key of our own signs and verifies as Rekor does; other curves are refused', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const verifier = new EcdsaNoteVerifier('log.example', spki);
  const text = 'log.example\n1\n' + Buffer.alloc(32).toString('base64') + '\n';
  const signature = nodeSign('sha256', Buffer.from(text), { key: privateKey, dsaEncoding: 'der' });
  const signer = { name: 'log.example', keyId: verifier.keyId, sign: () => signature };
  assert.equal(openNote(signNote(text, [signer]), [verifier]).signatures[0]?.verified, true);
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({
    format: 'der',
    type: 'spki',
  });
  assert.throws(() => new EcdsaNoteVerifier('x', p384), isNoteError('publicKey'));
  assert.throws(() => new EcdsaNoteVerifier('x', 'not base64!'), isNoteError('publicKey'));
  // P1363 (r || s) signatures are not the DER encoding Rekor uses.
  const raw = nodeSign('sha256', Buffer.from(text), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  assert.equal(verifier.verify(Buffer.from(text), raw), false);
});
