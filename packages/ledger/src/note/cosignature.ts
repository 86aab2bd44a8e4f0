import { verifyEd25519, type SigningKey } from '@parley/protocol';
import { NoteError } from '../errors.js';
import { parseCheckpoint } from './checkpoint.js';
import {
  SIGNATURE_TYPE_COSIGNATURE_V1,
  formatKeyId,
  formatSignatureLine,
  formatVkey,
  isValidKeyName,
  keyIdOf,
  parseNote,
  parseVkey,
  type NoteVerifier,
} from './signed-note.js';

/*
 * C2SP tlog-cosignature, Ed25519 v1 (c2sp.org/tlog-cosignature): a note signature on a checkpoint whose
 * bytes are keyID[4] || u64 big-endian timestamp || Ed25519 signature[64], the signature being over
 *   cosignature/v1\ntime <unix seconds>\n<checkpoint body, final newline included>
 * and whose key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4].
 */

export const COSIGNATURE_V1_HEADER = 'cosignature/v1\n';
const TIMESTAMP_BYTES = 8;
const ED25519_SIGNATURE_BYTES = 64;
const ED25519_PUBLIC_KEY_BYTES = 32;
/** The spec caps timestamps at 2^63 - 1. */
const MAX_TIMESTAMP = (1n << 63n) - 1n;

export function cosignatureKeyId(name: string, publicKey: Uint8Array): number {
  return keyIdOf(name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey);
}

function checkName(name: string, field: string): void {
  if (!isValidKeyName(name)) throw new NoteError(field, 'is not a valid key name', 'name');
}

function checkTime(timeSeconds: number): void {
  if (!Number.isSafeInteger(timeSeconds) || timeSeconds < 0) {
    throw new NoteError('timeSeconds', 'must be a whole number of seconds >= 0', 'time');
  }
}

/** The bytes a v1 cosignature signs: header, time line, then the checkpoint body (its note text). */
export function cosignatureMessage(checkpointBody: string, timeSeconds: number | bigint): Buffer {
  return Buffer.from(`${COSIGNATURE_V1_HEADER}time ${timeSeconds.toString()}\n${checkpointBody}`, 'utf8');
}

/**
 * The checkpoint body of `checkpoint`, which may be the body alone or a whole signed note (whose signatures are
 * ignored here: verify the log's signature before cosigning or trusting). Checkpoint bodies have no empty
 * lines, so a blank line tells a signed note apart. The body must be a well-formed checkpoint.
 */
export function checkpointBodyOf(checkpoint: string): string {
  const body = checkpoint.includes('\n\n') ? parseNote(checkpoint).text : checkpoint;
  parseCheckpoint(body);
  return body;
}

/** The parts of a cosignature's bytes after the key ID. */
export function parseCosignatureBytes(signature: Uint8Array): { timestamp: bigint; signature: Buffer } {
  if (signature.length !== TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES) {
    throw new NoteError(
      'cosignature',
      'must be an 8-byte timestamp and a 64-byte Ed25519 signature',
      'length',
    );
  }
  const bytes = Buffer.from(signature);
  const timestamp = bytes.readBigUInt64BE(0);
  if (timestamp > MAX_TIMESTAMP) throw new NoteError('cosignature.timestamp', 'exceeds 2^63 - 1', 'time');
  return { timestamp, signature: bytes.subarray(TIMESTAMP_BYTES) };
}

/**
 * Checks Ed25519 v1 cosignatures of one witness key. As a NoteVerifier it plugs into `openNote`, which
 * then accepts a checkpoint cosigned by this witness; `verifyCosignature` checks one response line.
 */
export class CosignatureVerifier implements NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Buffer;

  constructor(name: string, publicKey: Uint8Array) {
    checkName(name, 'name');
    if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
      throw new NoteError('publicKey', `expected ${ED25519_PUBLIC_KEY_BYTES} bytes`, 'length');
    }
    this.name = name;
    this.publicKey = Buffer.from(publicKey);
    this.keyId = cosignatureKeyId(name, this.publicKey);
  }

  /** From a vkey `<name>+<hex8 key ID>+<base64(0x04 || public key)>`. */
  static fromVkey(vkey: string): CosignatureVerifier {
    const parsed = parseVkey(vkey);
    if (parsed.type !== SIGNATURE_TYPE_COSIGNATURE_V1) {
      throw new NoteError(
        'vkey',
        `has type 0x${parsed.type.toString(16)}, not an Ed25519 cosignature (0x04)`,
        'type',
      );
    }
    return new CosignatureVerifier(parsed.name, parsed.publicKey);
  }

  get vkey(): string {
    return formatVkey(this.name, SIGNATURE_TYPE_COSIGNATURE_V1, this.publicKey);
  }

  /** `signature` = timestamp(8) || Ed25519(64), `text` = the cosigned checkpoint body. Never throws. */
  verify(text: Uint8Array, signature: Uint8Array): boolean {
    let parts: { timestamp: bigint; signature: Buffer };
    try {
      parts = parseCosignatureBytes(signature);
    } catch {
      return false;
    }
    const message = Buffer.concat([
      Buffer.from(`${COSIGNATURE_V1_HEADER}time ${parts.timestamp.toString()}\n`, 'utf8'),
      text,
    ]);
    return verifyEd25519(message, parts.signature, this.publicKey);
  }

  /**
   * Verifies one cosignature line (`— <name> <base64>`, newline optional) on `checkpoint` (its body or the
   * signed note) and returns its timestamp in Unix seconds. Throws NoteError if the line is from another key,
   * is malformed or does not verify.
   */
  verifyCosignature(checkpoint: string, line: string): number {
    const body = checkpointBodyOf(checkpoint);
    const single = line.endsWith('\n') ? line.slice(0, -1) : line;
    if (single.includes('\n')) throw new NoteError('cosignature', 'must be a single line', 'format');
    const parsed = parseNote(`${body}\n${single}\n`).signatures[0];
    if (parsed === undefined) throw new NoteError('cosignature', 'is missing', 'format');
    if (parsed.name !== this.name || parsed.keyId !== this.keyId) {
      throw new NoteError(
        'cosignature',
        `is from ${parsed.name}+${formatKeyId(parsed.keyId)}, not ${this.name}+${formatKeyId(this.keyId)}`,
        'unknown-key',
      );
    }
    const { timestamp } = parseCosignatureBytes(parsed.signature);
    if (!this.verify(Buffer.from(body, 'utf8'), parsed.signature)) {
      throw new NoteError(
        'cosignature',
        `does not verify with the key ${this.name}+${formatKeyId(this.keyId)}`,
        'signature',
      );
    }
    if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new NoteError('cosignature.timestamp', 'is beyond 2^53 - 1 seconds', 'time');
    }
    return Number(timestamp);
  }
}

/** A witness's Ed25519 v1 cosigning key. */
export class CosignatureSigner {
  readonly name: string;
  readonly keyId: number;
  readonly #key: SigningKey;

  constructor(name: string, key: SigningKey) {
    checkName(name, 'name');
    this.name = name;
    this.#key = key;
    this.keyId = cosignatureKeyId(name, key.publicKey);
  }

  get verifier(): CosignatureVerifier {
    return new CosignatureVerifier(this.name, this.#key.publicKey);
  }

  get vkey(): string {
    return this.verifier.vkey;
  }

  /** The cosignature line (newline-terminated) on `checkpoint` (its body or the signed note) at `timeSeconds`. */
  cosign(checkpoint: string, timeSeconds: number): string {
    checkTime(timeSeconds);
    const body = checkpointBodyOf(checkpoint);
    const signature = this.#key.sign(cosignatureMessage(body, timeSeconds));
    const timestamp = Buffer.alloc(TIMESTAMP_BYTES);
    timestamp.writeBigUInt64BE(BigInt(timeSeconds));
    return formatSignatureLine(this.name, this.keyId, Buffer.concat([timestamp, signature]));
  }

  toString(): string {
    return `CosignatureSigner(${this.name}+${formatKeyId(this.keyId)})`;
  }
}

/**
 * The cosignature line of witness `witnessName` with `key` on `checkpointNoteText` (the signed checkpoint note
 * or its body) at `timeSeconds`. It does not check the log's signature: the caller must have done so.
 */
export function cosign(
  checkpointNoteText: string,
  witnessName: string,
  key: SigningKey,
  timeSeconds: number,
): string {
  return new CosignatureSigner(witnessName, key).cosign(checkpointNoteText, timeSeconds);
}
