import { decodeBase64url, encodeBase64url } from '../encoding/base64url.js';
import { decodeMultikey, encodeMultikey, MULTICODEC_ED25519_PUB } from '../encoding/multibase.js';
import { IdentityError, ProtocolError } from '../errors.js';
import { PUBLIC_KEY_BYTES } from '../crypto/ed25519.js';

export const DID_JLINC_PREFIX = 'did:jlinc:';
export const DID_KEY_PREFIX = 'did:key:';

export function didJlincFromPublicKey(publicKey: Uint8Array): string {
  return DID_JLINC_PREFIX + encodeBase64url(publicKey);
}

export function didKeyFromPublicKey(publicKey: Uint8Array): string {
  return DID_KEY_PREFIX + encodeMultikey(MULTICODEC_ED25519_PUB, publicKey);
}

/** The Ed25519 public key a did:jlinc or did:key names. Both forms are self-certifying. */
export function publicKeyFromDid(did: unknown, field = 'did'): Buffer {
  if (typeof did !== 'string') throw new IdentityError(field, 'expected a DID string', 'type');
  try {
    if (did.startsWith(DID_JLINC_PREFIX)) {
      return decodeBase64url(did.slice(DID_JLINC_PREFIX.length), field, PUBLIC_KEY_BYTES);
    }
    if (did.startsWith(DID_KEY_PREFIX)) {
      const fragment = did.indexOf('#');
      const id = did.slice(DID_KEY_PREFIX.length, fragment < 0 ? undefined : fragment);
      return Buffer.from(decodeMultikey(id, MULTICODEC_ED25519_PUB, PUBLIC_KEY_BYTES, field));
    }
  } catch (error) {
    if (error instanceof ProtocolError)
      throw new IdentityError(field, `is not a valid DID: ${error.message}`, 'did');
    throw error;
  }
  throw new IdentityError(field, 'expected a did:jlinc or did:key identifier', 'did-method');
}

export function didJlincToDidKey(did: string): string {
  if (!did.startsWith(DID_JLINC_PREFIX))
    throw new IdentityError('did', 'expected a did:jlinc identifier', 'did-method');
  return didKeyFromPublicKey(publicKeyFromDid(did));
}

export function didKeyToDidJlinc(did: string): string {
  if (!did.startsWith(DID_KEY_PREFIX))
    throw new IdentityError('did', 'expected a did:key identifier', 'did-method');
  return didJlincFromPublicKey(publicKeyFromDid(did));
}

/** The verification method id that signs for a DID: `did:key:z..#z..`, `did:jlinc:..#signing`. */
export function verificationMethodId(did: string): string {
  if (did.startsWith(DID_KEY_PREFIX)) return `${did}#${did.slice(DID_KEY_PREFIX.length)}`;
  publicKeyFromDid(did);
  return `${did}#signing`;
}

export interface DidDocument {
  '@context': string[];
  id: string;
  alsoKnownAs: string[];
  verificationMethod: { id: string; type: 'Multikey'; controller: string; publicKeyMultibase: string }[];
  authentication: string[];
  assertionMethod: string[];
  capabilityInvocation: string[];
  capabilityDelegation: string[];
}

/**
 * A W3C DID Core document for a did:key or did:jlinc, with the key as a Multikey. `alsoKnownAs` names the
 * other form of the same key, which is the mapping between the two methods.
 */
export function didDocument(did: string): DidDocument {
  const publicKey = publicKeyFromDid(did);
  const other = did.startsWith(DID_KEY_PREFIX)
    ? didJlincFromPublicKey(publicKey)
    : didKeyFromPublicKey(publicKey);
  const methodId = verificationMethodId(did);
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    alsoKnownAs: [other],
    verificationMethod: [
      {
        id: methodId,
        type: 'Multikey',
        controller: did,
        publicKeyMultibase: encodeMultikey(MULTICODEC_ED25519_PUB, publicKey),
      },
    ],
    authentication: [methodId],
    assertionMethod: [methodId],
    capabilityInvocation: [methodId],
    capabilityDelegation: [methodId],
  };
}
