import { JlincError } from '../errors.js';
import { createHs256Jwt } from '../jwt/jws.js';
import type { Party } from '../identity/party.js';
import {
  checkTimestamp,
  createHash,
  JLINC_CONTEXT,
  publicKeyOf,
  SIG_TYPE,
  signHash,
  timestamp,
  verifyHash,
  type Clock,
} from './primitives.js';
import { checkContext, checkSigType, exactObject, join, stringField, type Json } from './shape.js';
import { decodeJlincJwt } from './sisa.js';

/**
 * SISA events and BISA events are one construction with different names: the agreement id field, the prefix
 * of the signer's fields, the prefix of the acknowledger's fields and the allowed event types.
 */
export interface EventFamily {
  name: 'sisaEvent' | 'bisaEvent';
  agreementIdKey: 'sisaId' | 'bisaId';
  signer: 'rightsHolder' | 'initiator';
  acknowledger: 'dataCustodian' | 'acceptor';
  eventTypes: readonly string[];
}

export const SISA_EVENTS: EventFamily = {
  name: 'sisaEvent',
  agreementIdKey: 'sisaId',
  signer: 'rightsHolder',
  acknowledger: 'dataCustodian',
  eventTypes: ['dataEvent', 'permissionEvent', 'statusEvent'],
};

export const BISA_EVENTS: EventFamily = {
  name: 'bisaEvent',
  agreementIdKey: 'bisaId',
  signer: 'initiator',
  acknowledger: 'acceptor',
  eventTypes: ['permissionEvent'],
};

/** A JLINC event: `audit` is what goes to the ledger, `eventJwt` the payload under the signer's HMAC. */
export interface JlincEvent {
  '@context': string;
  audit: Record<string, string | null>;
  eventJwt: string;
}

export interface ValidatedEvent {
  eventType: string;
  agreementId: string;
  eventId: string;
  previousId: string | null;
  createdAt: string;
  signerDid: string;
  payload: Json;
}

function auditKeys(f: EventFamily): string[] {
  return [
    'eventType',
    f.agreementIdKey,
    'eventId',
    'createdAt',
    'previousId',
    `${f.signer}Did`,
    `${f.signer}PublicKey`,
    `${f.signer}SigType`,
    `${f.signer}Sig`,
  ];
}

function ackKeys(f: EventFamily): string[] {
  return [
    `${f.acknowledger}SigType`,
    `${f.acknowledger}Did`,
    `${f.acknowledger}PublicKey`,
    `${f.acknowledger}Sig`,
  ];
}

/** eventId = createHash(agreementId + "." + eventJwt + "." + previousId + "." + createdAt); null prints as `null`. */
export function computeEventId(
  agreementId: string,
  eventJwt: string,
  previousId: string | null,
  createdAt: string,
) {
  return createHash(`${agreementId}.${eventJwt}.${previousId}.${createdAt}`);
}

export interface CreateEventInput {
  family: EventFamily;
  agreementId: string;
  signer: Party;
  eventType: string;
  payload: object;
  previousId: string | null;
  clock?: Clock;
}

export function createEvent(input: CreateEventInput): JlincEvent {
  const { family: f, agreementId, signer, eventType, payload, previousId } = input;
  if (!f.eventTypes.includes(eventType)) {
    throw new JlincError('audit.eventType', `expected one of ${f.eventTypes.join(', ')}`, 'event-type');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new JlincError('eventJwt.payload', 'expected a plain object', 'type');
  }
  const createdAt = timestamp(input.clock);
  const eventJwt = createHs256Jwt(payload, signer.exportSecret());
  const eventId = computeEventId(agreementId, eventJwt, previousId, createdAt);
  return {
    '@context': JLINC_CONTEXT,
    audit: {
      eventType,
      [f.agreementIdKey]: agreementId,
      eventId,
      createdAt,
      previousId,
      [`${f.signer}Did`]: signer.did,
      [`${f.signer}PublicKey`]: signer.publicKey,
      [`${f.signer}SigType`]: SIG_TYPE,
      [`${f.signer}Sig`]: signHash(eventId, signer.key),
    },
    eventJwt,
  };
}

/** Validates an event on its own: structure, recomputed eventId, the signer's signature, the payload. */
export function validateEvent(
  f: EventFamily,
  value: unknown,
  clock: Clock = {},
  extraAuditKeys: string[] = [],
) {
  const event = exactObject(value, '', ['@context', 'audit', 'eventJwt']);
  checkContext(event, '');
  const audit = exactObject(event.audit, 'audit', [...auditKeys(f), ...extraAuditKeys]);
  const eventType = stringField(audit, 'eventType', 'audit');
  if (!f.eventTypes.includes(eventType)) {
    throw new JlincError('audit.eventType', `expected one of ${f.eventTypes.join(', ')}`, 'event-type');
  }
  const agreementId = stringField(audit, f.agreementIdKey, 'audit');
  if (!/^[A-Za-z0-9_-]{43}$/.test(agreementId)) {
    throw new JlincError(
      join('audit', f.agreementIdKey),
      'expected a 43-character base64url hash',
      'agreement-id',
    );
  }
  const eventId = stringField(audit, 'eventId', 'audit');
  const previousId = audit.previousId;
  if (previousId !== null && (typeof previousId !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(previousId))) {
    throw new JlincError(
      'audit.previousId',
      'expected null or a 43-character base64url eventId',
      'previous-id',
    );
  }
  checkTimestamp(audit.createdAt, 'audit.createdAt', clock);
  const jwt = decodeJlincJwt(event.eventJwt, 'eventJwt');
  const createdAt = audit.createdAt as string;
  if (eventId !== computeEventId(agreementId, event.eventJwt as string, previousId, createdAt)) {
    throw new JlincError(
      'audit.eventId',
      `does not equal createHash(${f.agreementIdKey}.eventJwt.previousId.createdAt)`,
      'event-id',
    );
  }
  checkSigType(audit, `${f.signer}SigType`, 'audit');
  const publicKey = publicKeyOf(
    audit[`${f.signer}Did`],
    audit[`${f.signer}PublicKey`],
    `audit.${f.signer}Did`,
    `audit.${f.signer}PublicKey`,
  );
  verifyHash(eventId, audit[`${f.signer}Sig`], publicKey, `audit.${f.signer}Sig`);
  const validated: ValidatedEvent = {
    eventType,
    agreementId,
    eventId,
    previousId: previousId as string | null,
    createdAt,
    signerDid: audit[`${f.signer}Did`] as string,
    payload: jwt.payload,
  };
  return validated;
}

/** The counterparty acknowledges: the same event with its own signature over eventId added to `audit`. */
export function acknowledgeEvent(
  f: EventFamily,
  event: JlincEvent,
  acknowledger: Party,
  clock: Clock = {},
  alreadyValidated?: ValidatedEvent,
) {
  const validated = alreadyValidated ?? validateEvent(f, event, clock);
  if (validated.eventId !== event.audit.eventId) {
    throw new JlincError('audit.eventId', 'is not the event that was validated', 'mismatch');
  }
  if (validated.signerDid === acknowledger.did) {
    throw new JlincError(
      `audit.${f.acknowledger}Did`,
      'an event cannot be acknowledged by its own signer',
      'self-ack',
    );
  }
  const acknowledged: JlincEvent = {
    '@context': event['@context'],
    audit: {
      ...event.audit,
      [`${f.acknowledger}SigType`]: SIG_TYPE,
      [`${f.acknowledger}Did`]: acknowledger.did,
      [`${f.acknowledger}PublicKey`]: acknowledger.publicKey,
      [`${f.acknowledger}Sig`]: signHash(validated.eventId, acknowledger.key),
    },
    eventJwt: event.eventJwt,
  };
  return acknowledged;
}

export interface ValidateAckOptions extends Clock {
  /**
   * The event as the caller sent or already validated it. When given, the acknowledgement must repeat it
   * exactly and the signer's signature is not checked a second time.
   */
  knownEvent?: JlincEvent;
}

export function validateAcknowledgedEvent(f: EventFamily, value: unknown, options: ValidateAckOptions = {}) {
  const extra = ackKeys(f);
  let validated: ValidatedEvent;
  const ack = exactObject(value, '', ['@context', 'audit', 'eventJwt']);
  const audit = exactObject(ack.audit, 'audit', [...auditKeys(f), ...extra]);
  if (options.knownEvent) {
    const known = options.knownEvent;
    if (ack['@context'] !== known['@context'])
      throw new JlincError('@context', 'does not match the event sent');
    if (ack.eventJwt !== known.eventJwt) throw new JlincError('eventJwt', 'does not match the event sent');
    for (const key of auditKeys(f)) {
      if (audit[key] !== known.audit[key])
        throw new JlincError(`audit.${key}`, 'does not match the event sent');
    }
    validated = {
      eventType: known.audit.eventType as string,
      agreementId: known.audit[f.agreementIdKey] as string,
      eventId: known.audit.eventId as string,
      previousId: known.audit.previousId as string | null,
      createdAt: known.audit.createdAt as string,
      signerDid: known.audit[`${f.signer}Did`] as string,
      payload: decodeJlincJwt(known.eventJwt, 'eventJwt').payload,
    };
  } else {
    validated = validateEvent(f, value, options, extra);
  }
  checkSigType(audit, `${f.acknowledger}SigType`, 'audit');
  const publicKey = publicKeyOf(
    audit[`${f.acknowledger}Did`],
    audit[`${f.acknowledger}PublicKey`],
    `audit.${f.acknowledger}Did`,
    `audit.${f.acknowledger}PublicKey`,
  );
  if (audit[`${f.acknowledger}Did`] === validated.signerDid) {
    throw new JlincError(
      `audit.${f.acknowledger}Did`,
      'an event cannot be acknowledged by its own signer',
      'self-ack',
    );
  }
  verifyHash(validated.eventId, audit[`${f.acknowledger}Sig`], publicKey, `audit.${f.acknowledger}Sig`);
  return { ...validated, acknowledgerDid: audit[`${f.acknowledger}Did`] as string };
}
