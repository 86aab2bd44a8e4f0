import { randomBytes } from 'node:crypto';
import { JlincError } from '../errors.js';
import { createHs256Jwt, decodeJwt, HS256_HEADER, verifyHs256Jwt, type DecodedJwt } from '../jwt/jws.js';
import type { Party } from '../identity/party.js';
import {
  asJlinc,
  checkTimestamp,
  createHash,
  JLINC_CONTEXT,
  publicKeyOf,
  SIG_TYPE,
  signItem,
  timestamp,
  verifyItem,
  type Clock,
} from './primitives.js';
import { checkContext, checkSigType, exactObject, join, stringField, type Json } from './shape.js';

export interface JlincAgreement {
  '@context': string;
  jlincId: string;
  agreementURI: string;
}

export interface OfferedSisa {
  '@context': string;
  agreementJwt: string;
  dataCustodianSigType: string;
  dataCustodianDid: string;
  dataCustodianPublicKey: string;
  dataCustodianSig: string;
  createdAt: string;
}

export interface SisaOffering {
  '@context': string;
  offeredSisa: OfferedSisa;
}

export interface Sisa {
  '@context': string;
  acceptedSisaJwt: string;
  sisaId: string;
}

export interface AcceptedSisa {
  '@context': string;
  offeredSisaJwt: string;
  rightsHolderSigType: string;
  rightsHolderDid: string;
  rightsHolderPublicKey: string;
  rightsHolderSig: string;
  createdAt: string;
}

const JLINC_ID = /^[0-9a-f]{64}$/;
/** Host, then optionally a path, query or fragment: two classes that cannot overlap, so matching is linear. */
const HTTP_URI = /^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/;
const MAX_URI_LENGTH = 2048;

/** A fresh 32-byte agreement id as 64 lowercase hex characters. */
export function createJlincId(): string {
  return randomBytes(32).toString('hex');
}

export function checkJwtHeader(jwt: string, field: string): void {
  if (!jwt.startsWith(HS256_HEADER + '.')) {
    throw new JlincError(join(field, 'header'), 'expected exactly {"alg":"HS256","typ":"JWT"}', 'jwt-header');
  }
}

/** Decodes a JLINC HS256 JWT (header checked, MAC not: only its issuer holds the secret). */
export function decodeJlincJwt(jwt: unknown, field: string): DecodedJwt {
  const decoded = asJlinc(() => decodeJwt(jwt, field));
  checkJwtHeader(jwt as string, field);
  return decoded;
}

export function checkAgreementPayload(payload: Json, field: string, extraKeys: readonly string[] = []): void {
  exactObject(payload, field, ['@context', 'jlincId', 'agreementURI', ...extraKeys]);
  checkContext(payload, field);
  const jlincId = stringField(payload, 'jlincId', field);
  if (!JLINC_ID.test(jlincId))
    throw new JlincError(join(field, 'jlincId'), 'expected 64 lowercase hex characters', 'jlinc-id');
  const uri = stringField(payload, 'agreementURI', field);
  if (uri.length > MAX_URI_LENGTH) {
    throw new JlincError(
      join(field, 'agreementURI'),
      `is longer than ${MAX_URI_LENGTH} characters`,
      'too-large',
    );
  }
  if (!HTTP_URI.test(uri) || !URL.canParse(uri)) {
    throw new JlincError(join(field, 'agreementURI'), 'expected an http(s) URI', 'uri');
  }
}

/** The custodian offers the agreement at `agreementURI` (a document, or a terms-roster IRI). */
export function createSisaOffering(custodian: Party, agreementURI: string, clock: Clock = {}): SisaOffering {
  const agreement: JlincAgreement = { '@context': JLINC_CONTEXT, jlincId: createJlincId(), agreementURI };
  checkAgreementPayload(agreement as unknown as Json, 'agreement');
  const agreementJwt = createHs256Jwt(agreement, custodian.exportSecret());
  return {
    '@context': JLINC_CONTEXT,
    offeredSisa: {
      '@context': JLINC_CONTEXT,
      agreementJwt,
      dataCustodianSigType: SIG_TYPE,
      dataCustodianDid: custodian.did,
      dataCustodianPublicKey: custodian.publicKey,
      dataCustodianSig: signItem(agreementJwt, custodian.key),
      createdAt: timestamp(clock),
    },
  };
}

export interface ValidatedOffering {
  offeredSisa: OfferedSisa;
  agreement: JlincAgreement;
  custodianDid: string;
}

const OFFERED_SISA_KEYS = [
  '@context',
  'agreementJwt',
  'dataCustodianSigType',
  'dataCustodianDid',
  'dataCustodianPublicKey',
  'dataCustodianSig',
  'createdAt',
] as const;

export function validateOfferedSisa(value: unknown, field: string, clock: Clock = {}): ValidatedOffering {
  const offered = exactObject(value, field, OFFERED_SISA_KEYS);
  checkContext(offered, field);
  const jwt = decodeJlincJwt(offered.agreementJwt, join(field, 'agreementJwt'));
  checkAgreementPayload(jwt.payload, join(field, 'agreementJwt.payload'));
  checkSigType(offered, 'dataCustodianSigType', field);
  const publicKey = publicKeyOf(
    offered.dataCustodianDid,
    offered.dataCustodianPublicKey,
    join(field, 'dataCustodianDid'),
    join(field, 'dataCustodianPublicKey'),
  );
  verifyItem(
    offered.agreementJwt as string,
    offered.dataCustodianSig,
    publicKey,
    join(field, 'dataCustodianSig'),
  );
  checkTimestamp(offered.createdAt, join(field, 'createdAt'), clock);
  return {
    offeredSisa: offered as unknown as OfferedSisa,
    agreement: jwt.payload as unknown as JlincAgreement,
    custodianDid: offered.dataCustodianDid as string,
  };
}

export function validateSisaOffering(value: unknown, clock: Clock = {}): ValidatedOffering {
  const offering = exactObject(value, '', ['@context', 'offeredSisa']);
  checkContext(offering, '');
  return validateOfferedSisa(offering.offeredSisa, 'offeredSisa', clock);
}

/**
 * What a custodian checks on top of validity when an offering comes back inside a SISA: the offer is its own
 * (its DID) and the agreement JWT carries its own HMAC.
 */
export function checkOfferIsOwn(offering: ValidatedOffering, custodian: Party, field = 'offeredSisa'): void {
  if (offering.custodianDid !== custodian.did) {
    throw new JlincError(join(field, 'dataCustodianDid'), 'is not this custodian', 'not-own');
  }
  asJlinc(() =>
    verifyHs256Jwt(offering.offeredSisa.agreementJwt, custodian.exportSecret(), join(field, 'agreementJwt')),
  );
}

/** The rights holder accepts an offering (normally with a fresh pairwise identity). */
export function acceptSisaOffering(offering: SisaOffering, rightsHolder: Party, clock: Clock = {}): Sisa {
  validateSisaOffering(offering, clock);
  const offeredSisaJwt = createHs256Jwt(offering.offeredSisa, rightsHolder.exportSecret());
  const accepted: AcceptedSisa = {
    '@context': JLINC_CONTEXT,
    offeredSisaJwt,
    rightsHolderSigType: SIG_TYPE,
    rightsHolderDid: rightsHolder.did,
    rightsHolderPublicKey: rightsHolder.publicKey,
    rightsHolderSig: signItem(offeredSisaJwt, rightsHolder.key),
    createdAt: timestamp(clock),
  };
  const acceptedSisaJwt = createHs256Jwt(accepted, rightsHolder.exportSecret());
  return { '@context': JLINC_CONTEXT, acceptedSisaJwt, sisaId: createHash(acceptedSisaJwt) };
}

export interface ValidatedSisa extends ValidatedOffering {
  sisaId: string;
  accepted: AcceptedSisa;
  rightsHolderDid: string;
}

const ACCEPTED_SISA_KEYS = [
  '@context',
  'offeredSisaJwt',
  'rightsHolderSigType',
  'rightsHolderDid',
  'rightsHolderPublicKey',
  'rightsHolderSig',
  'createdAt',
] as const;

export function validateSisa(value: unknown, clock: Clock = {}): ValidatedSisa {
  const sisa = exactObject(value, '', ['@context', 'acceptedSisaJwt', 'sisaId']);
  checkContext(sisa, '');
  const jwt = decodeJlincJwt(sisa.acceptedSisaJwt, 'acceptedSisaJwt');
  if (sisa.sisaId !== createHash(sisa.acceptedSisaJwt as string)) {
    throw new JlincError('sisaId', 'does not equal createHash(acceptedSisaJwt)', 'sisa-id');
  }
  const field = 'acceptedSisaJwt.payload';
  const accepted = exactObject(jwt.payload, field, ACCEPTED_SISA_KEYS);
  checkContext(accepted, field);
  const offeredJwt = decodeJlincJwt(accepted.offeredSisaJwt, join(field, 'offeredSisaJwt'));
  const offering = validateOfferedSisa(offeredJwt.payload, join(field, 'offeredSisaJwt.payload'), clock);
  checkSigType(accepted, 'rightsHolderSigType', field);
  const publicKey = publicKeyOf(
    accepted.rightsHolderDid,
    accepted.rightsHolderPublicKey,
    join(field, 'rightsHolderDid'),
    join(field, 'rightsHolderPublicKey'),
  );
  verifyItem(
    accepted.offeredSisaJwt as string,
    accepted.rightsHolderSig,
    publicKey,
    join(field, 'rightsHolderSig'),
  );
  checkTimestamp(accepted.createdAt, join(field, 'createdAt'), clock);
  if (accepted.rightsHolderDid === offering.custodianDid) {
    throw new JlincError(
      join(field, 'rightsHolderDid'),
      'is the same identity as the data custodian',
      'same-party',
    );
  }
  return {
    ...offering,
    sisaId: sisa.sisaId as string,
    accepted: accepted as unknown as AcceptedSisa,
    rightsHolderDid: accepted.rightsHolderDid as string,
  };
}
