import { EncodingError } from '../errors.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict RFC 4648 section 5 decoding without padding. Node's decoder silently skips bad characters and
 * ignores stray trailing bits; a signature or key must have exactly one spelling, so both are rejected here.
 */
export function decodeBase64url(text: unknown, field: string, expectedBytes?: number): Buffer {
  if (typeof text !== 'string') throw new EncodingError(field, 'expected a base64url string', 'type');
  if (!BASE64URL.test(text) || text.length % 4 === 1) {
    throw new EncodingError(field, 'is not unpadded base64url (RFC 4648 section 5)', 'base64url');
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) {
    throw new EncodingError(field, 'is not canonical base64url (non-zero trailing bits)', 'base64url');
  }
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
    throw new EncodingError(field, `expected ${expectedBytes} bytes, got ${bytes.length}`, 'length');
  }
  return bytes;
}
