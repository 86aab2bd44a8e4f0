import { canonicalize } from '../json/canonical.js';
import { sha256 } from '../crypto/hash.js';
import { SigningKey, verifyEd25519, SIGNATURE_BYTES } from '../crypto/ed25519.js';
import { decodeMultibaseBase58, encodeMultibaseBase58 } from '../encoding/multibase.js';
import { publicKeyFromDid } from '../identity/did.js';
import { ProofError, ProtocolError } from '../errors.js';

/**
 * W3C Data Integrity proofs with the eddsa-jcs-2022 cryptosuite: Ed25519 over
 * SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof)). A detached signature over RFC 8785
 * canonical bytes, so any JSON library can produce the same bytes to check.
 */
export const CRYPTOSUITE = 'eddsa-jcs-2022';

export interface DataIntegrityProof {
  type: 'DataIntegrityProof';
  cryptosuite: typeof CRYPTOSUITE;
  created?: string;
  verificationMethod: string;
  proofPurpose: string;
  '@context'?: unknown;
  proofValue: string;
}

export type Signed<T> = T & { proof: DataIntegrityProof };

export interface ProofOptions {
  verificationMethod: string;
  proofPurpose?: string;
  /** XML Schema dateTime; defaults to now, to the second. */
  created?: string;
}

function hashData(proofConfig: object, document: object): Buffer {
  return Buffer.concat([
    sha256(canonicalize(proofConfig, 'proof')),
    sha256(canonicalize(document, 'document')),
  ]);
}

export function signDocument<T extends object>(
  document: T,
  key: SigningKey,
  options: ProofOptions,
): Signed<T> {
  if ('proof' in document) throw new ProofError('proof', 'the document is already signed', 'signed');
  const proofConfig: Omit<DataIntegrityProof, 'proofValue'> = {
    type: 'DataIntegrityProof',
    cryptosuite: CRYPTOSUITE,
    created: options.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    verificationMethod: options.verificationMethod,
    proofPurpose: options.proofPurpose ?? 'assertionMethod',
  };
  const context = (document as Record<string, unknown>)['@context'];
  if (context !== undefined) proofConfig['@context'] = context;
  const proofValue = encodeMultibaseBase58(key.sign(hashData(proofConfig, document)));
  return { ...document, proof: { ...proofConfig, proofValue } };
}

export interface VerifyProofOptions {
  /** The key for verification methods that are not a did:key or did:jlinc (which carry their own key). */
  publicKey?: Uint8Array;
  expectedProofPurpose?: string;
}

/** Verifies the proof and returns the verification method's controller DID (the part before `#`). */
export function verifyDocument(document: unknown, options: VerifyProofOptions = {}): string {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ProofError('document', 'expected a JSON object', 'type');
  }
  const { proof, ...unsigned } = document as Record<string, unknown>;
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof)) {
    throw new ProofError('proof', 'is missing or not an object', 'missing');
  }
  const p = proof as Record<string, unknown>;
  const allowed = [
    'type',
    'cryptosuite',
    'created',
    'verificationMethod',
    'proofPurpose',
    '@context',
    'proofValue',
  ];
  for (const key of Object.keys(p)) {
    if (!allowed.includes(key)) throw new ProofError(`proof.${key}`, 'is not allowed here', 'unknown');
  }
  if (p.type !== 'DataIntegrityProof')
    throw new ProofError('proof.type', 'expected "DataIntegrityProof"', 'type');
  if (p.cryptosuite !== CRYPTOSUITE)
    throw new ProofError('proof.cryptosuite', `expected "${CRYPTOSUITE}"`, 'suite');
  if (typeof p.verificationMethod !== 'string') {
    throw new ProofError('proof.verificationMethod', 'expected a string', 'type');
  }
  if (typeof p.proofPurpose !== 'string')
    throw new ProofError('proof.proofPurpose', 'expected a string', 'type');
  if (options.expectedProofPurpose && p.proofPurpose !== options.expectedProofPurpose) {
    throw new ProofError('proof.proofPurpose', `expected "${options.expectedProofPurpose}"`, 'purpose');
  }
  if (p.created !== undefined && (typeof p.created !== 'string' || Number.isNaN(Date.parse(p.created)))) {
    throw new ProofError('proof.created', 'expected an XML Schema dateTime', 'created');
  }
  if (
    p['@context'] !== undefined &&
    canonicalize(p['@context']) !== canonicalize(unsigned['@context'] ?? null)
  ) {
    throw new ProofError('proof.@context', "does not equal the document's @context", 'context');
  }
  const controller = p.verificationMethod.split('#')[0] as string;
  let publicKey = options.publicKey;
  try {
    if (!publicKey) publicKey = publicKeyFromDid(controller, 'proof.verificationMethod');
  } catch (error) {
    if (error instanceof ProtocolError) {
      throw new ProofError('proof.verificationMethod', `cannot resolve a key: ${error.message}`, 'resolve');
    }
    throw error;
  }
  let signature: Uint8Array;
  try {
    signature = decodeMultibaseBase58(p.proofValue, 'proof.proofValue');
  } catch (error) {
    if (error instanceof ProtocolError) throw new ProofError('proof.proofValue', error.message, 'encoding');
    throw error;
  }
  if (signature.length !== SIGNATURE_BYTES) {
    throw new ProofError('proof.proofValue', `expected a ${SIGNATURE_BYTES}-byte signature`, 'length');
  }
  const { proofValue: _proofValue, ...proofConfig } = p;
  let data: Buffer;
  try {
    data = hashData(proofConfig, unsigned);
  } catch (error) {
    if (error instanceof ProtocolError) throw new ProofError(error.field, error.message, 'canonical');
    throw error;
  }
  if (!verifyEd25519(data, signature, publicKey)) {
    throw new ProofError('proof.proofValue', 'signature does not verify', 'signature');
  }
  return controller;
}
