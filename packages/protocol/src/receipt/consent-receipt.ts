import { randomUUID } from 'node:crypto';
import { ProtocolError, ReceiptError } from '../errors.js';
import { createEdDsaJwt, decodeJwt, verifyEdDsaJwt } from '../jwt/jws.js';
import { publicKeyFromDid, verificationMethodId } from '../identity/did.js';
import { encodeMultikey, MULTICODEC_ED25519_PUB } from '../encoding/multibase.js';
import type { Party } from '../identity/party.js';
import { messageHash, type PermissionChange, type SignedMessage } from '../parley/messages.js';
import type { InformationSharingAgreement } from '../parley/negotiation.js';
import { DPV, resolveTermsRef, type Purpose, type TermsRef } from '../parley/roster.js';

/**
 * Kantara Initiative Consent Receipt Specification v1.1.0 (KI-CR-v1.1.0): the record a PII controller gives
 * the person for every acceptance and every permission change. Parley signs it as a compact JWS (EdDSA,
 * RFC 8037) whose `kid` is the controller's DID verification method; `publicKey` repeats the key as Multikey.
 */
export const KI_CR_VERSION = 'KI-CR-v1.1.0';

export interface PiiController {
  piiController: string;
  onBehalf?: boolean;
  contact: string;
  address: string | Record<string, string>;
  email: string;
  phone: string;
  piiControllerUrl?: string;
}

export interface ReceiptPurpose {
  purpose: string;
  purposeCategory: string[];
  consentType: string;
  piiCategory: string[];
  primaryPurpose?: boolean;
  termination: string;
  thirdPartyDisclosure: boolean;
  thirdPartyName?: string;
}

export interface ConsentReceipt {
  version: typeof KI_CR_VERSION;
  jurisdiction: string;
  consentTimestamp: number;
  collectionMethod: string;
  consentReceiptID: string;
  publicKey?: string;
  language?: string;
  piiPrincipalId: string;
  piiControllers: PiiController[];
  policyUrl: string;
  services: { service: string; purposes: ReceiptPurpose[] }[];
  sensitive: boolean;
  spiCat: string[];
  /** Parley extension: which agreement and which signed message this receipt is for. */
  parley: {
    agreementId: string;
    terms: TermsRef;
    event: 'acceptance' | 'permission-change';
    messageHash: string;
  };
}

const PURPOSE_TEXT: Record<Purpose, string> = {
  ServiceDelivery: 'Delivering the service the person asked for',
  ServiceAnalytics: "Analysing the use of the organisation's own service",
  Tracking: "Tracking across the organisation's own sites and services",
  Profiling: 'Building a profile of the person',
  ThirdPartySharing: 'Sharing with third parties under the same terms',
  Marketing: 'Marketing by the organisation',
  IntentResponse: "Answering the person's intentcast with an offer",
  AITraining: 'Training and operating AI systems',
  PublicGood: 'A purpose of public good',
};

export interface ReceiptInput {
  agreement: InformationSharingAgreement;
  controller: PiiController;
  jurisdiction: string;
  service: string;
  language?: string;
  /** The permission change this receipt records; without it, the receipt records the acceptance. */
  permissionChange?: SignedMessage<PermissionChange>;
}

export function buildConsentReceipt(input: ReceiptInput, controllerParty: Party): ConsentReceipt {
  const { agreement, permissionChange } = input;
  if (controllerParty.did !== agreement.organisation) {
    throw new ReceiptError(
      'piiControllers',
      'the receipt is issued by the organisation of the agreement',
      'wrong-party',
    );
  }
  const terms = resolveTermsRef(agreement.terms, 'agreement.terms');
  const consented = new Map<Purpose, boolean>(agreement.purposes.map((p) => [p, true]));
  for (const c of permissionChange?.consents ?? []) consented.set(c.purpose, c.granted);
  const acceptance = agreement.messages[agreement.messages.length - 1] as SignedMessage;
  const moment = permissionChange ?? acceptance;
  const retention =
    agreement.retentionDays === null
      ? 'kept while the agreement lasts'
      : `kept at most ${agreement.retentionDays} days`;
  const termination =
    `Data ${retention}; either party may end the agreement with a signed AgreementTermination, ` +
    'after which the data is returned or destroyed and the holder confirms it.';
  const sensitiveFields = agreement.schema.fields.filter(
    (f) => f.sensitivity === 'high' || f.sensitivity === 'special-category',
  );
  const onward = agreement.onwardSharing;
  const purposes: ReceiptPurpose[] = [...consented].map(([purpose, granted], i) => ({
    purpose: PURPOSE_TEXT[purpose],
    purposeCategory: [purpose === 'ServiceDelivery' ? `${DPV}ServiceProvision` : `${DPV}${purpose}`],
    consentType: granted ? 'EXPLICIT' : 'WITHDRAWN',
    piiCategory: agreement.schema.fields.map((f) => f.name),
    primaryPurpose: i === 0,
    termination,
    thirdPartyDisclosure: onward.allowed,
    ...(onward.allowed
      ? { thirdPartyName: `Onward recipients bound by ${onward.terms?.id ?? terms.id} (BISA)` }
      : {}),
  }));
  return {
    version: KI_CR_VERSION,
    jurisdiction: input.jurisdiction,
    consentTimestamp: Math.floor(Date.parse(moment.createdAt) / 1000),
    collectionMethod: "Signed Parley agreement negotiated by the person's agent (IEEE 7012 terms)",
    consentReceiptID: randomUUID(),
    publicKey: encodeMultikey(MULTICODEC_ED25519_PUB, controllerParty.key.publicKey),
    language: input.language ?? 'en',
    piiPrincipalId: agreement.person,
    piiControllers: [input.controller],
    policyUrl: terms.uri,
    services: [{ service: input.service, purposes }],
    sensitive: sensitiveFields.length > 0,
    spiCat: sensitiveFields.map((f) => f.name),
    parley: {
      agreementId: agreement.id,
      terms: agreement.terms,
      event: permissionChange ? 'permission-change' : 'acceptance',
      messageHash: messageHash(moment),
    },
  };
}

/** Builds and signs a receipt: a compact JWS the person's agent keeps and anyone can verify offline. */
export function issueConsentReceipt(input: ReceiptInput, controllerParty: Party): string {
  const receipt = buildConsentReceipt(input, controllerParty);
  validateConsentReceipt(receipt);
  return createEdDsaJwt(receipt, controllerParty.key, verificationMethodId(controllerParty.did));
}

const err = (field: string, detail: string, code?: string) => new ReceiptError(field, detail, code);

function nonEmptyString(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.trim().length === 0)
    throw err(field, 'is required: a non-empty string', 'missing');
}

function stringArray(value: unknown, field: string, min = 1): void {
  if (
    !Array.isArray(value) ||
    value.length < min ||
    value.some((v) => typeof v !== 'string' || v.length === 0)
  ) {
    throw err(
      field,
      `is required: an array of at least ${min} non-empty string${min === 1 ? '' : 's'}`,
      'missing',
    );
  }
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw err(field, 'is required: an object', 'missing');
  return value as Record<string, unknown>;
}

/** Every field KI-CR-v1.1.0 requires, with its type, and the conditional ones (thirdPartyName, spiCat). */
export function validateConsentReceipt(value: unknown): ConsentReceipt {
  const r = object(value, 'receipt');
  if (r.version !== KI_CR_VERSION) throw err('version', `expected "${KI_CR_VERSION}"`, 'version');
  nonEmptyString(r.jurisdiction, 'jurisdiction');
  if (!Number.isInteger(r.consentTimestamp) || (r.consentTimestamp as number) <= 0) {
    throw err('consentTimestamp', 'is required: seconds since 1970-01-01T00:00:00Z', 'missing');
  }
  nonEmptyString(r.collectionMethod, 'collectionMethod');
  nonEmptyString(r.consentReceiptID, 'consentReceiptID');
  if (r.publicKey !== undefined) nonEmptyString(r.publicKey, 'publicKey');
  if (
    r.language !== undefined &&
    (typeof r.language !== 'string' || !/^[a-z]{2}(-[A-Za-z0-9]{1,8})*$/.test(r.language))
  ) {
    throw err('language', 'expected an ISO 639-1 language code', 'language');
  }
  nonEmptyString(r.piiPrincipalId, 'piiPrincipalId');
  if (!Array.isArray(r.piiControllers) || r.piiControllers.length === 0) {
    throw err('piiControllers', 'is required: at least one PII controller', 'missing');
  }
  r.piiControllers.forEach((c, i) => {
    const f = `piiControllers[${i}]`;
    const o = object(c, f);
    for (const key of ['piiController', 'contact', 'email', 'phone']) nonEmptyString(o[key], `${f}.${key}`);
    if (typeof o.address !== 'string' && (typeof o.address !== 'object' || o.address === null)) {
      throw err(`${f}.address`, 'is required: a postal address', 'missing');
    }
    if (o.onBehalf !== undefined && typeof o.onBehalf !== 'boolean')
      throw err(`${f}.onBehalf`, 'expected a boolean');
  });
  nonEmptyString(r.policyUrl, 'policyUrl');
  if (!Array.isArray(r.services) || r.services.length === 0)
    throw err('services', 'is required: at least one service', 'missing');
  r.services.forEach((s, i) => {
    const f = `services[${i}]`;
    const o = object(s, f);
    nonEmptyString(o.service, `${f}.service`);
    if (!Array.isArray(o.purposes) || o.purposes.length === 0)
      throw err(`${f}.purposes`, 'is required: at least one purpose', 'missing');
    o.purposes.forEach((p, j) => {
      const g = `${f}.purposes[${j}]`;
      const q = object(p, g);
      nonEmptyString(q.purpose, `${g}.purpose`);
      stringArray(q.purposeCategory, `${g}.purposeCategory`);
      nonEmptyString(q.consentType, `${g}.consentType`);
      stringArray(q.piiCategory, `${g}.piiCategory`);
      if (q.primaryPurpose !== undefined && typeof q.primaryPurpose !== 'boolean') {
        throw err(`${g}.primaryPurpose`, 'expected a boolean');
      }
      nonEmptyString(q.termination, `${g}.termination`);
      if (typeof q.thirdPartyDisclosure !== 'boolean')
        throw err(`${g}.thirdPartyDisclosure`, 'is required: a boolean', 'missing');
      if (q.thirdPartyDisclosure) nonEmptyString(q.thirdPartyName, `${g}.thirdPartyName`);
    });
  });
  if (typeof r.sensitive !== 'boolean') throw err('sensitive', 'is required: a boolean', 'missing');
  if (r.sensitive) stringArray(r.spiCat, 'spiCat');
  else if (r.spiCat !== undefined && !Array.isArray(r.spiCat)) throw err('spiCat', 'expected an array');
  return r as unknown as ConsentReceipt;
}

export interface VerifiedReceipt {
  receipt: ConsentReceipt;
  /** The DID whose key signed it (the PII controller). */
  signer: string;
}

/**
 * Verifies a receipt offline: the JWS signature with the key its `kid` DID names, the header key equal to it,
 * `publicKey` equal to it, and every required field. `expectedSigner` pins the controller's DID.
 */
export function verifyConsentReceipt(jws: unknown, expectedSigner?: string): VerifiedReceipt {
  if (typeof jws !== 'string') throw err('receipt', 'expected a compact JWS string', 'type');

  let decoded;
  try {
    decoded = decodeJwt(jws, 'receipt');
  } catch (error) {
    if (error instanceof ProtocolError)
      throw err(error.field, error.message.slice(error.field.length + 2), error.code);
    throw error;
  }
  const header = decoded.header;
  if (header.alg !== 'EdDSA') throw err('receipt.header.alg', 'expected "EdDSA"', 'alg');
  const jwk = header.jwk as Record<string, unknown> | undefined;
  const kid = typeof jwk === 'object' && jwk !== null ? jwk.kid : undefined;
  if (typeof kid !== 'string')
    throw err('receipt.header.jwk.kid', 'expected the DID verification method of the signer', 'kid');
  const signer = kid.split('#')[0] as string;
  let publicKey: Buffer;
  try {
    publicKey = publicKeyFromDid(signer, 'receipt.header.jwk.kid');
    if (kid !== verificationMethodId(signer))
      throw err('receipt.header.jwk.kid', `expected ${verificationMethodId(signer)}`, 'kid');
    if (jwk?.x !== publicKey.toString('base64url'))
      throw err('receipt.header.jwk.x', 'is not the key of the kid DID', 'kid');
    verifyEdDsaJwt(jws, 'receipt', publicKey);
  } catch (error) {
    if (error instanceof ReceiptError) throw error;
    if (error instanceof ProtocolError)
      throw err(error.field, error.message.slice(error.field.length + 2), error.code);
    throw error;
  }
  if (expectedSigner && signer !== expectedSigner)
    throw err('receipt.signer', `expected ${expectedSigner}, got ${signer}`, 'signer');
  const receipt = validateConsentReceipt(decoded.payload);
  if (
    receipt.publicKey !== undefined &&
    receipt.publicKey !== encodeMultikey(MULTICODEC_ED25519_PUB, publicKey)
  ) {
    throw err('publicKey', 'is not the key that signed the receipt', 'mismatch');
  }
  return { receipt, signer };
}
