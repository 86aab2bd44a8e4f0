import { decodeBase64url, encodeBase64url } from '../encoding/base64url.js';
import { IdentityError } from '../errors.js';
import { SigningKey } from '../crypto/ed25519.js';
import { parseStrictJson } from '../json/strict-parse.js';
import { didJlincFromPublicKey, didKeyFromPublicKey } from './did.js';
import { Party } from './party.js';

export const KEY_FILE_TYPE = 'parley-identity';

/**
 * The text of a key file: the public facts first (so `cat` shows who this is), then the secret key in
 * libsodium layout and the JLINC HMAC secret. The caller writes it with owner-only permissions.
 */
export function serializeKeyFile(party: Party, createdAt = new Date()): string {
  const file = {
    type: KEY_FILE_TYPE,
    version: 1,
    label: party.label,
    did: party.did,
    didKey: didKeyFromPublicKey(party.key.publicKey),
    publicKey: encodeBase64url(party.key.publicKey),
    createdAt: createdAt.toISOString(),
    secretKey: encodeBase64url(party.key.exportSecretKey()),
    jlincSecret: party.exportSecret(),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

/** Reads a key file and checks that its public facts match its secret key. Errors never echo secret values. */
export function parseKeyFile(text: string): Party {
  const file = parseStrictJson(text, { field: 'keyFile', maxLength: 64 * 1024 });
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw new IdentityError('keyFile', 'expected a JSON object', 'type');
  }
  const f = file as Record<string, unknown>;
  if (f.type !== KEY_FILE_TYPE)
    throw new IdentityError('keyFile.type', `expected "${KEY_FILE_TYPE}"`, 'type');
  if (f.version !== 1) throw new IdentityError('keyFile.version', 'expected 1', 'version');
  let secretKey: Buffer;
  try {
    secretKey = decodeBase64url(f.secretKey, 'keyFile.secretKey', 64);
  } catch {
    throw new IdentityError('keyFile.secretKey', 'expected 64 bytes of unpadded base64url', 'encoding');
  }
  const key = SigningKey.fromSecretKey(secretKey);
  if (f.did !== didJlincFromPublicKey(key.publicKey)) {
    throw new IdentityError('keyFile.did', 'does not match the secret key', 'mismatch');
  }
  if (f.publicKey !== undefined && f.publicKey !== encodeBase64url(key.publicKey)) {
    throw new IdentityError('keyFile.publicKey', 'does not match the secret key', 'mismatch');
  }
  if (f.didKey !== undefined && f.didKey !== didKeyFromPublicKey(key.publicKey)) {
    throw new IdentityError('keyFile.didKey', 'does not match the secret key', 'mismatch');
  }
  if (typeof f.jlincSecret !== 'string' || f.jlincSecret.length < 16) {
    throw new IdentityError('keyFile.jlincSecret', 'expected a string of at least 16 characters', 'type');
  }
  const label = typeof f.label === 'string' ? f.label : undefined;
  return new Party(key, f.jlincSecret, label);
}
