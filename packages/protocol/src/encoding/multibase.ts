import { EncodingError } from '../errors.js';
import { decodeBase58btc, encodeBase58btc } from './base58.js';

/** Multicodec prefixes (unsigned varints) for the key types Parley uses. */
export const MULTICODEC_ED25519_PUB = Uint8Array.of(0xed, 0x01);
export const MULTICODEC_ED25519_PRIV = Uint8Array.of(0x80, 0x26);

/** `z` + base58btc(prefix || key): the Multikey form used by did:key and Data Integrity proofs. */
export function encodeMultikey(prefix: Uint8Array, key: Uint8Array): string {
  const bytes = new Uint8Array(prefix.length + key.length);
  bytes.set(prefix, 0);
  bytes.set(key, prefix.length);
  return 'z' + encodeBase58btc(bytes);
}

export function decodeMultikey(
  text: unknown,
  prefix: Uint8Array,
  keyBytes: number,
  field: string,
): Uint8Array {
  if (typeof text !== 'string') throw new EncodingError(field, 'expected a multibase string', 'type');
  if (!text.startsWith('z'))
    throw new EncodingError(field, 'expected multibase base58btc (leading "z")', 'multibase');
  const bytes = decodeBase58btc(text.slice(1), field);
  if (bytes.length !== prefix.length + keyBytes || prefix.some((b, i) => bytes[i] !== b)) {
    const want = [...prefix].map((b) => b.toString(16).padStart(2, '0')).join('');
    throw new EncodingError(field, `expected multicodec 0x${want} and a ${keyBytes}-byte key`, 'multicodec');
  }
  return bytes.slice(prefix.length);
}

/** Multibase base58btc of raw bytes (no multicodec): Data Integrity `proofValue`. */
export function encodeMultibaseBase58(bytes: Uint8Array): string {
  return 'z' + encodeBase58btc(bytes);
}

export function decodeMultibaseBase58(text: unknown, field: string): Uint8Array {
  if (typeof text !== 'string' || !text.startsWith('z')) {
    throw new EncodingError(field, 'expected multibase base58btc (leading "z")', 'multibase');
  }
  return decodeBase58btc(text.slice(1), field);
}
