import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { inspect } from 'node:util';
import { IdentityError } from '../errors.js';

/** DER prefixes that wrap a raw 32-byte Ed25519 key (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const PUBLIC_KEY_BYTES = 32;
export const SEED_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/**
 * An Ed25519 signing key. The seed lives in a private field and in node's KeyObject only: printing, logging or
 * JSON-serialising a SigningKey shows its public key and nothing else. `exportSecretKey` is the single,
 * explicit way out, for key files and vaults.
 */
export class SigningKey {
  readonly publicKey: Buffer;
  readonly #privateKey: KeyObject;
  readonly #seed: Buffer;

  private constructor(seed: Buffer, privateKey: KeyObject, publicKey: Buffer) {
    this.#seed = seed;
    this.#privateKey = privateKey;
    this.publicKey = publicKey;
  }

  static generate(): SigningKey {
    const { privateKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    return SigningKey.fromSeed(der.subarray(PKCS8_PREFIX.length));
  }

  static fromSeed(seed: Uint8Array): SigningKey {
    if (seed.length !== SEED_BYTES) {
      throw new IdentityError('seed', `expected ${SEED_BYTES} bytes, got ${seed.length}`, 'length');
    }
    const seedCopy = Buffer.from(seed);
    const privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, seedCopy]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    return new SigningKey(seedCopy, privateKey, spki.subarray(SPKI_PREFIX.length));
  }

  /** libsodium layout: seed(32) || public key(32). The public half must match the seed. */
  static fromSecretKey(secretKey: Uint8Array): SigningKey {
    if (secretKey.length !== SEED_BYTES + PUBLIC_KEY_BYTES) {
      throw new IdentityError(
        'secretKey',
        `expected 64 bytes (seed || public key), got ${secretKey.length}`,
        'length',
      );
    }
    const key = SigningKey.fromSeed(secretKey.subarray(0, SEED_BYTES));
    if (!key.publicKey.equals(secretKey.subarray(SEED_BYTES))) {
      throw new IdentityError('secretKey', 'its public half does not belong to its seed', 'mismatch');
    }
    return key;
  }

  /**
   * A key derived from this one for a named relationship (HKDF-SHA256 over the seed). Different labels give
   * unlinkable keys; the same label gives the same key again, so an agent can recover every pairwise identity
   * from its master key.
   */
  derive(label: string): SigningKey {
    const seed = hkdfSync('sha256', this.#seed, 'parley/pairwise/v1', label, SEED_BYTES);
    return SigningKey.fromSeed(Buffer.from(seed));
  }

  sign(message: Uint8Array): Buffer {
    return nodeSign(null, message, this.#privateKey);
  }

  /** The 64-byte libsodium secret key. Handle with care: this is the only accessor that exposes the secret. */
  exportSecretKey(): Buffer {
    return Buffer.concat([this.#seed, this.publicKey]);
  }

  toJSON(): { publicKey: string } {
    return { publicKey: this.publicKey.toString('base64url') };
  }

  toString(): string {
    return `SigningKey(${this.publicKey.toString('base64url')})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Public KeyObjects are costly to build; protocol peers verify many messages from few keys. */
const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_LIMIT = 4096;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('base64');
  let key = publicKeyCache.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) {
      publicKeyCache.delete(publicKeyCache.keys().next().value as string);
    }
    publicKeyCache.set(id, key);
  }
  return key;
}

/** Ed25519 verification (RFC 8032). Malformed keys and signatures verify as false, never throw. */
export function verifyEd25519(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}
