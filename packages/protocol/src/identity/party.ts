import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { SigningKey } from '../crypto/ed25519.js';
import { didJlincFromPublicKey, didKeyFromPublicKey } from './did.js';

/**
 * A protocol participant: an Ed25519 signing key and the private JLINC secret whose ASCII bytes key the
 * HS256 JWTs this party issues. Like SigningKey, it never prints its secrets.
 */
export class Party {
  readonly key: SigningKey;
  readonly label: string | undefined;
  readonly #secret: string;

  constructor(key: SigningKey, secret: string, label?: string) {
    this.key = key;
    this.#secret = secret;
    this.label = label;
  }

  static generate(label?: string): Party {
    return new Party(SigningKey.generate(), generateJlincSecret(), label);
  }

  /**
   * A fresh pairwise identity for one relationship, derived from this party's key so it can be recovered,
   * and unlinkable to it or to any other relationship's identity without the master seed.
   */
  pairwise(relationshipId: string): Party {
    const key = this.key.derive(relationshipId);
    const secret = key.derive('jlinc-hmac-secret').exportSecretKey().subarray(0, 24).toString('base64url');
    return new Party(key, secret, relationshipId);
  }

  /** `did:jlinc:<base64url public key>`, the form JLINC messages carry. */
  get did(): string {
    return didJlincFromPublicKey(this.key.publicKey);
  }

  get didKey(): string {
    return didKeyFromPublicKey(this.key.publicKey);
  }

  get publicKey(): string {
    return this.key.publicKey.toString('base64url');
  }

  /** The HMAC secret, for key files and vaults only. */
  exportSecret(): string {
    return this.#secret;
  }

  toJSON(): { did: string; label?: string } {
    return { did: this.did, ...(this.label ? { label: this.label } : {}) };
  }

  toString(): string {
    return `Party(${this.did})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A JLINC HMAC secret: 24 random bytes as base64url (32 ASCII characters, like upstream's). */
export function generateJlincSecret(): string {
  return randomBytes(24).toString('base64url');
}
