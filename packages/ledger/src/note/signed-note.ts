import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { SigningKey, verifyEd25519 } from '@parley/protocol';
import { NoteError } from '../errors.js';
import { decodeBase64Std, encodeBase64Std } from './base64.js';

/*
 * C2SP signed-note (c2sp.org/signed-note): a text ending in a newline, a blank line, then one or more lines
 * `— <key name> base64(key ID[4] || signature)`. The signed message is the text, final newline included.
 */

/** Signature type bytes assigned by C2SP signed-note, hashed into key IDs and carried by vkeys. */
export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_ECDSA = 0x02;
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

/** Limits (the spec asks verifiers to bound notes and to accept at least 16 signatures). */
export const MAX_NOTE_BYTES = 1 << 20;
export const MAX_SIGNATURES = 100;
/** Decoded size of one signature, key ID included: room for post-quantum signatures (ML-DSA-87 is 4,627). */
export const MAX_SIGNATURE_BYTES = 8192;
export const MAX_KEY_NAME_BYTES = 255;

const EM_DASH_PREFIX = '\u2014 ';
const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SEED_BYTES = 32;

/** A key that checks signatures on note text. `keyId` is the uint32 (big-endian) that prefixes its signatures. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** Whether `signature` (the bytes after the 4-byte key ID) is valid over `text`. Never throws. */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** A key that signs note text. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes over `text`, without the key ID. */
  sign(text: Uint8Array): Uint8Array;
}

/** One signature line of a note, as parsed (not verified). */
export interface ParsedNoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Buffer;
  /** The line as written, without its newline. */
  readonly line: string;
}

export interface ParsedNote {
  /** The note text, final newline included. Untrusted until a signature on it is verified. */
  readonly text: string;
  readonly signatures: readonly ParsedNoteSignature[];
}

export interface NoteSignature extends ParsedNoteSignature {
  /** True if one of the given verifiers checked it; false for signatures from unknown keys (kept, not trusted). */
  readonly verified: boolean;
}

export interface OpenedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

// ---------------------------------------------------------------------------------------------------------
// Names, key IDs, vkeys

/** A key name: non-empty UTF-8 without Unicode spaces or `+` (nor control characters), at most 255 bytes. */
export function isValidKeyName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.isWellFormed() &&
    Buffer.byteLength(name, 'utf8') <= MAX_KEY_NAME_BYTES &&
    !name.includes('+') &&
    !/\p{White_Space}/u.test(name) &&
    firstControlCharacter(name, false) < 0
  );
}

function checkKeyName(name: string, field: string): void {
  if (!isValidKeyName(name)) {
    throw new NoteError(
      field,
      `must be non-empty UTF-8 of at most ${MAX_KEY_NAME_BYTES} bytes without spaces, '+' or control characters`,
      'name',
    );
  }
}

/** The recommended key ID: SHA-256(name || 0x0A || type || public key)[:4], as a big-endian uint32. */
export function keyIdOf(name: string, type: number, publicKey: Uint8Array): number {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.of(0x0a, type))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

/** A key ID as the 8 lowercase hex digits of vkeys. */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function keyIdBytes(keyId: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(keyId);
  return bytes;
}

/** `text` cut at its first `count - 1` plus signs: exactly `count` fields, or [] if there are fewer. */
function splitPlus(text: string, count: number): string[] {
  const fields: string[] = [];
  let rest = text;
  while (fields.length < count - 1) {
    const plus = rest.indexOf('+');
    if (plus < 0) return [];
    fields.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  fields.push(rest);
  return fields;
}

export interface Vkey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  /** The key material after the type byte. */
  readonly publicKey: Buffer;
}

/**
 * Parses a verifier key `<name>+<hex8 key ID>+<base64(type || public key)>` and checks that the key ID is
 * SHA-256(name || 0x0A || type || public key)[:4].
 */
export function parseVkey(vkey: string): Vkey {
  if (typeof vkey !== 'string') throw new NoteError('vkey', 'must be a string', 'format');
  // The base64 key may itself contain '+': split at the first two only.
  const [name, hex, key64] = splitPlus(vkey, 3);
  if (name === undefined || hex === undefined || key64 === undefined) {
    throw new NoteError('vkey', 'must be <name>+<hex key id>+<base64 key>', 'format');
  }
  checkKeyName(name, 'vkey.name');
  if (!/^[0-9a-f]{8}$/.test(hex))
    throw new NoteError('vkey.keyId', 'must be 8 lowercase hex digits', 'format');
  const key = decodeBase64Std(key64);
  if (key === undefined || key.length < 2) {
    throw new NoteError('vkey.key', 'must be canonical base64 of a type byte and a key', 'format');
  }
  const keyId = Number.parseInt(hex, 16);
  if (keyIdOf(name, key[0] as number, key.subarray(1)) !== keyId) {
    throw new NoteError('vkey.keyId', 'is not the hash of the name and key', 'mismatch');
  }
  return { name, keyId, type: key[0] as number, publicKey: key.subarray(1) };
}

/** Formats a verifier key `<name>+<hex8 key ID>+<base64(type || public key)>`. */
export function formatVkey(name: string, type: number, publicKey: Uint8Array): string {
  checkKeyName(name, 'name');
  const key = Buffer.concat([Buffer.of(type), publicKey]);
  return `${name}+${formatKeyId(keyIdOf(name, type, publicKey))}+${encodeBase64Std(key)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Ed25519 (type 0x01)

export class Ed25519NoteVerifier implements NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Buffer;

  constructor(name: string, publicKey: Uint8Array) {
    checkKeyName(name, 'name');
    if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
      throw new NoteError('publicKey', `expected ${ED25519_PUBLIC_KEY_BYTES} bytes`, 'length');
    }
    this.name = name;
    this.publicKey = Buffer.from(publicKey);
    this.keyId = keyIdOf(name, SIGNATURE_TYPE_ED25519, this.publicKey);
  }

  static fromVkey(vkey: string): Ed25519NoteVerifier {
    const parsed = parseVkey(vkey);
    if (parsed.type !== SIGNATURE_TYPE_ED25519) {
      throw new NoteError('vkey', `has type 0x${parsed.type.toString(16)}, not Ed25519 (0x01)`, 'type');
    }
    return new Ed25519NoteVerifier(parsed.name, parsed.publicKey);
  }

  get vkey(): string {
    return formatVkey(this.name, SIGNATURE_TYPE_ED25519, this.publicKey);
  }

  verify(text: Uint8Array, signature: Uint8Array): boolean {
    return verifyEd25519(text, signature, this.publicKey);
  }
}

export class Ed25519NoteSigner implements NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly #key: SigningKey;

  constructor(name: string, key: SigningKey) {
    checkKeyName(name, 'name');
    this.name = name;
    this.#key = key;
    this.keyId = keyIdOf(name, SIGNATURE_TYPE_ED25519, key.publicKey);
  }

  /** From a Go `PRIVATE+KEY+<name>+<hex8 key ID>+<base64(0x01 || seed)>` signer key. */
  static fromSkey(skey: string): Ed25519NoteSigner {
    const { name, key } = parseEd25519Skey(skey);
    return new Ed25519NoteSigner(name, key);
  }

  get verifier(): Ed25519NoteVerifier {
    return new Ed25519NoteVerifier(this.name, this.#key.publicKey);
  }

  get vkey(): string {
    return this.verifier.vkey;
  }

  sign(text: Uint8Array): Buffer {
    return this.#key.sign(text);
  }

  toString(): string {
    return `Ed25519NoteSigner(${this.name}+${formatKeyId(this.keyId)})`;
  }
}

/**
 * Parses a Go sumdb/note signer key `PRIVATE+KEY+<name>+<hex8 key ID>+<base64(0x01 || 32-byte seed)>`, checking
 * the key ID against the public key derived from the seed. Error messages never include the key.
 */
export function parseEd25519Skey(skey: string): { name: string; keyId: number; key: SigningKey } {
  const [private_, key_, name, hex, key64] = typeof skey === 'string' ? splitPlus(skey, 5) : [];
  if (
    private_ !== 'PRIVATE' ||
    key_ !== 'KEY' ||
    name === undefined ||
    hex === undefined ||
    key64 === undefined
  ) {
    throw new NoteError('skey', 'must be PRIVATE+KEY+<name>+<hex key id>+<base64 key>', 'format');
  }
  checkKeyName(name, 'skey.name');
  if (!/^[0-9a-f]{8}$/.test(hex))
    throw new NoteError('skey.keyId', 'must be 8 lowercase hex digits', 'format');
  const material = decodeBase64Std(key64);
  if (material === undefined || material.length !== 1 + ED25519_SEED_BYTES) {
    throw new NoteError('skey.key', 'must be canonical base64 of 0x01 and a 32-byte seed', 'format');
  }
  if (material[0] !== SIGNATURE_TYPE_ED25519) {
    throw new NoteError('skey.key', 'is not an Ed25519 (0x01) key', 'type');
  }
  const key = SigningKey.fromSeed(material.subarray(1));
  material.fill(0);
  const keyId = keyIdOf(name, SIGNATURE_TYPE_ED25519, key.publicKey);
  if (keyId !== Number.parseInt(hex, 16)) {
    throw new NoteError('skey.keyId', 'is not the hash of the name and the public key', 'mismatch');
  }
  return { name, keyId, key };
}

/** Formats a Go-compatible signer key. It holds the secret seed: for key files and vaults only. */
export function formatEd25519Skey(name: string, key: SigningKey): string {
  checkKeyName(name, 'name');
  const seed = key.exportSecretKey().subarray(0, ED25519_SEED_BYTES);
  const material = Buffer.concat([Buffer.of(SIGNATURE_TYPE_ED25519), seed]);
  const keyId = formatKeyId(keyIdOf(name, SIGNATURE_TYPE_ED25519, key.publicKey));
  const text = `PRIVATE+KEY+${name}+${keyId}+${encodeBase64Std(material)}`;
  seed.fill(0);
  material.fill(0);
  return text;
}

// ---------------------------------------------------------------------------------------------------------
// ECDSA P-256 (type 0x02, Rekor v1 checkpoints)

/**
 * ECDSA P-256 / SHA-256 signatures as Rekor v1 and transparency-dev/witness write them: the key ID is the
 * first 4 bytes of SHA-256(SPKI DER of the public key) (no name hashed in), the signature ASN.1 DER over the
 * note text.
 */
export class EcdsaNoteVerifier implements NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** The SPKI DER of the key, as re-encoded by node (what the key ID hashes). */
  readonly spki: Buffer;
  readonly #key: KeyObject;

  /** `publicKey`: SPKI DER bytes, their base64, or a PEM `PUBLIC KEY` block. */
  constructor(name: string, publicKey: Uint8Array | string) {
    checkKeyName(name, 'name');
    let key: KeyObject;
    try {
      if (typeof publicKey === 'string' && publicKey.trimStart().startsWith('-----BEGIN')) {
        key = createPublicKey({ key: publicKey, format: 'pem' });
      } else {
        const der =
          typeof publicKey === 'string' ? decodeBase64Std(publicKey.trim()) : Buffer.from(publicKey);
        if (der === undefined) throw new Error('not base64');
        key = createPublicKey({ key: der, format: 'der', type: 'spki' });
      }
    } catch {
      throw new NoteError('publicKey', 'is not an SPKI public key (DER, base64 of DER, or PEM)', 'format');
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new NoteError('publicKey', 'is not an ECDSA P-256 key', 'type');
    }
    this.name = name;
    this.#key = key;
    this.spki = key.export({ format: 'der', type: 'spki' });
    this.keyId = createHash('sha256').update(this.spki).digest().readUInt32BE(0);
  }

  verify(text: Uint8Array, signature: Uint8Array): boolean {
    try {
      return nodeVerify('sha256', text, { key: this.#key, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Notes

/** Index of the first ASCII control character (below U+0020), newline allowed if `newlineAllowed`, or -1. */
function firstControlCharacter(text: string, newlineAllowed = true): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && !(newlineAllowed && c === 0x0a)) return i;
  }
  return -1;
}

function decodeNote(note: string | Uint8Array, field: string): string {
  let text: string;
  if (typeof note === 'string') {
    if (!note.isWellFormed()) throw new NoteError(field, 'is not valid Unicode (lone surrogate)', 'encoding');
    if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) {
      throw new NoteError(field, `is larger than ${MAX_NOTE_BYTES} bytes`, 'size');
    }
    text = note;
  } else if (note instanceof Uint8Array) {
    if (note.length > MAX_NOTE_BYTES)
      throw new NoteError(field, `is larger than ${MAX_NOTE_BYTES} bytes`, 'size');
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
    } catch {
      throw new NoteError(field, 'is not valid UTF-8', 'encoding');
    }
  } else {
    throw new NoteError(field, 'must be a string or bytes', 'format');
  }
  const control = firstControlCharacter(text);
  if (control >= 0) {
    throw new NoteError(
      field,
      `has a control character (U+${text.charCodeAt(control).toString(16).padStart(4, '0')})`,
      'format',
    );
  }
  return text;
}

/**
 * Splits a signed note into its text and signature lines, checking the format but verifying nothing: never
 * act on the text of a note that was only parsed. Use `openNote` for that.
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const message = decodeNote(note, 'note');
  // The text is separated from the signatures by the last empty line.
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('note', 'has no blank line before its signatures', 'format');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block.length === 0) throw new NoteError('note', 'has no signature lines', 'format');
  if (!block.endsWith('\n')) throw new NoteError('note', 'does not end with a newline', 'format');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new NoteError('note.signatures', `are more than ${MAX_SIGNATURES}`, 'size');
  }
  const signatures = lines.map((line, i) => parseSignatureLine(line, `note.signature[${i}]`));
  return { text, signatures };
}

function parseSignatureLine(line: string, field: string): ParsedNoteSignature {
  if (!line.startsWith(EM_DASH_PREFIX)) {
    throw new NoteError(field, "must start with '\u2014 ' (em dash, space)", 'format');
  }
  const rest = line.slice(EM_DASH_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new NoteError(field, 'must be \u2014 <key name> <base64 signature>', 'format');
  const name = rest.slice(0, space);
  checkKeyName(name, `${field}.name`);
  const encoded = rest.slice(space + 1);
  const bytes = decodeBase64Std(encoded);
  if (bytes === undefined) throw new NoteError(field, 'is not canonical padded base64', 'format');
  if (bytes.length < 5) throw new NoteError(field, 'is shorter than a key ID and a signature', 'length');
  if (bytes.length > MAX_SIGNATURE_BYTES) {
    throw new NoteError(field, `is longer than ${MAX_SIGNATURE_BYTES} bytes`, 'length');
  }
  return { name, keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4), line };
}

/** A signature line `— <name> base64(keyID || signature)` followed by a newline. */
export function formatSignatureLine(name: string, keyId: number, signature: Uint8Array): string {
  checkKeyName(name, 'name');
  return `${EM_DASH_PREFIX}${name} ${encodeBase64Std(Buffer.concat([keyIdBytes(keyId), signature]))}\n`;
}

const verifierKey = (name: string, keyId: number) => `${name}\n${keyId}`;

/**
 * Parses a signed note and verifies its signatures. Signatures from keys not among `verifiers` (matched by name
 * and key ID both) are kept with `verified: false`; a signature from a known key that fails rejects the whole
 * note; and at least one signature must be verified. Throws NoteError naming the part that failed.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const known = new Map<string, NoteVerifier>();
  for (const [i, verifier] of verifiers.entries()) {
    const id = verifierKey(verifier.name, verifier.keyId);
    if (known.has(id)) {
      throw new NoteError(
        `verifiers[${i}]`,
        `has the same name and key ID as another (${verifier.name}+${formatKeyId(verifier.keyId)})`,
        'ambiguous',
      );
    }
    known.set(id, verifier);
  }
  const parsed = parseNote(note);
  const text = Buffer.from(parsed.text, 'utf8');
  const signatures = parsed.signatures.map((signature, i): NoteSignature => {
    const verifier = known.get(verifierKey(signature.name, signature.keyId));
    if (verifier === undefined) return { ...signature, verified: false };
    let ok: boolean;
    try {
      ok = verifier.verify(text, signature.signature);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new NoteError(
        `note.signature[${i}]`,
        `does not verify with the key ${signature.name}+${formatKeyId(signature.keyId)}`,
        'signature',
      );
    }
    return { ...signature, verified: true };
  });
  if (!signatures.some((s) => s.verified)) {
    const names = parsed.signatures.map((s) => `${s.name}+${formatKeyId(s.keyId)}`).join(', ');
    throw new NoteError('note.signatures', `none is from a known key (found ${names})`, 'unverified');
  }
  return { text: parsed.text, signatures };
}

/** Checks a note text: valid Unicode, no control characters but newlines, ends with a newline, bounded. */
export function checkNoteText(text: string, field = 'text'): void {
  if (typeof text !== 'string') throw new NoteError(field, 'must be a string', 'format');
  decodeNote(text, field);
  if (!text.endsWith('\n')) throw new NoteError(field, 'must end with a newline', 'format');
}

/** Signs `text` (which must end with a newline) with each signer, in order, and returns the signed note. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteText(text);
  if (signers.length === 0) throw new NoteError('signers', 'must not be empty', 'length');
  if (signers.length > MAX_SIGNATURES)
    throw new NoteError('signers', `are more than ${MAX_SIGNATURES}`, 'length');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((signer, i) => {
    checkKeyName(signer.name, `signers[${i}].name`);
    return formatSignatureLine(signer.name, signer.keyId, signer.sign(message));
  });
  const note = `${text}\n${lines.join('')}`;
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) {
    throw new NoteError('note', `would be larger than ${MAX_NOTE_BYTES} bytes`, 'size');
  }
  return note;
}
