/**
 * One error class per protocol layer. Every error names the field that failed (a dotted path such as
 * `audit.rightsHolderSig`) so a person reading it knows what to fix; `code` is a stable machine-readable reason.
 */
export abstract class ProtocolError extends Error {
  abstract readonly layer: string;
  readonly field: string;
  readonly code: string;

  constructor(field: string, detail: string, code = 'invalid') {
    super(`${field}: ${detail}`);
    this.field = field;
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** base64url, base58btc, multibase, hex. */
export class EncodingError extends ProtocolError {
  readonly layer = 'encoding';
}
/** Strict JSON parsing and RFC 8785 canonicalisation. */
export class JsonError extends ProtocolError {
  readonly layer = 'json';
}
/** Keys, DIDs and key files. */
export class IdentityError extends ProtocolError {
  readonly layer = 'identity';
}
/** Compact JWS / JWT (HS256, EdDSA). */
export class JwtError extends ProtocolError {
  readonly layer = 'jwt';
}
/** JLINC v7 messages: offerings, SISAs, events, acknowledgements, the BISA family. */
export class JlincError extends ProtocolError {
  readonly layer = 'jlinc';
}
/** Per-agreement event chains: forks, replays, unknown agreements. */
export class ChainError extends ProtocolError {
  readonly layer = 'chain';
}
/** Data Integrity proofs (eddsa-jcs-2022) over canonical JSON. */
export class ProofError extends ProtocolError {
  readonly layer = 'proof';
}
/** Parley agreements: terms, proposals, answers, termination, permissions, status. */
export class AgreementError extends ProtocolError {
  readonly layer = 'agreement';
}
/** Intentcasts, decisions on them, offers and their acceptance. */
export class IntentError extends ProtocolError {
  readonly layer = 'intent';
}
/** Kantara consent receipts. */
export class ReceiptError extends ProtocolError {
  readonly layer = 'receipt';
}
