import { decodeBase64url, encodeBase64url } from '../encoding/base64url.js';
import { JlincError, ProtocolError } from '../errors.js';
import { sha256 } from '../crypto/hash.js';
import { SigningKey, verifyEd25519, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../crypto/ed25519.js';

export const JLINC_CONTEXT = 'https://protocol.jlinc.org/context/jlinc-v7.jsonld';
export const SIG_TYPE = 'sha256:ed25519';

/** `createHash(s)` = base64url(SHA-256(utf8(s))). */
export function createHash(item: string): string {
  return encodeBase64url(sha256(item));
}

/** `signItem(s)` = base64url(Ed25519(SHA-256(utf8(s)))): Ed25519 over the 32-byte digest, not Ed25519ph. */
export function signItem(item: string, key: SigningKey): string {
  return encodeBase64url(key.sign(sha256(item)));
}

/** `signHash(h)` = base64url(Ed25519(base64url-decode(h))): signs the raw bytes of an already computed hash. */
export function signHash(hash: string, key: SigningKey): string {
  return encodeBase64url(key.sign(decodeBase64url(hash, 'hash', 32)));
}

export function verifyItem(item: string, signature: unknown, publicKey: Uint8Array, field: string): void {
  verifyDigest(sha256(item), signature, publicKey, field);
}

export function verifyHash(hash: string, signature: unknown, publicKey: Uint8Array, field: string): void {
  verifyDigest(decodeBase64url(hash, 'hash', 32), signature, publicKey, field);
}

function verifyDigest(digest: Buffer, signature: unknown, publicKey: Uint8Array, field: string): void {
  const bytes = asJlinc(() => decodeBase64url(signature, field, SIGNATURE_BYTES));
  if (!verifyEd25519(digest, bytes, publicKey)) {
    throw new JlincError(field, 'signature does not verify', 'signature');
  }
}

/** Decodes a 43-character base64url public key and checks that `did` is `did:jlinc:` + that key. */
export function publicKeyOf(did: unknown, publicKey: unknown, didField: string, keyField: string): Buffer {
  if (typeof publicKey !== 'string' || publicKey.length !== 43) {
    throw new JlincError(keyField, 'expected a 43-character base64url Ed25519 public key', 'public-key');
  }
  const bytes = asJlinc(() => decodeBase64url(publicKey, keyField, PUBLIC_KEY_BYTES));
  if (did !== `did:jlinc:${publicKey}`) {
    throw new JlincError(didField, `expected "did:jlinc:" followed by ${keyField}`, 'did');
  }
  return bytes;
}

/** Runs `fn`, turning an error from a lower layer into a JlincError that keeps its field and reason. */
export function asJlinc<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ProtocolError && !(error instanceof JlincError)) {
      throw new JlincError(error.field, error.message.slice(error.field.length + 2), error.code);
    }
    throw error;
  }
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface Clock {
  /** Milliseconds since the epoch; defaults to Date.now. Tests move it. */
  now?: () => number;
}

/** `new Date().toISOString()` form, a real date, and no more than 1 s in the future. */
export function checkTimestamp(value: unknown, field: string, clock: Clock = {}): void {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) {
    throw new JlincError(field, 'expected a timestamp of the form YYYY-MM-DDTHH:MM:SS.sssZ', 'timestamp');
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== value) {
    throw new JlincError(field, 'is not a real date and time', 'timestamp');
  }
  const now = (clock.now ?? Date.now)();
  if (ms > now + 1000) throw new JlincError(field, 'is more than 1 s in the future', 'future');
}

export function timestamp(clock: Clock = {}): string {
  return new Date((clock.now ?? Date.now)()).toISOString();
}
