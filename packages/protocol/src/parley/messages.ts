import { randomUUID } from 'node:crypto';
import { AgreementError, ProofError, ProtocolError } from '../errors.js';
import { canonicalize } from '../json/canonical.js';
import { sha256Hex } from '../crypto/hash.js';
import { publicKeyFromDid, verificationMethodId } from '../identity/did.js';
import type { Party } from '../identity/party.js';
import { signDocument, verifyDocument, type Signed } from '../proof/data-integrity.js';
import { checkTimestamp, timestamp, type Clock } from '../jlinc/primitives.js';
import { exactObject, type Json } from '../jlinc/shape.js';
import { PURPOSES, resolveTermsRef, type Purpose, type TermsEntry, type TermsRef } from './roster.js';

/**
 * Parley's own signed messages: what JLINC left open. Each is a JSON object with a Data Integrity proof
 * (eddsa-jcs-2022, a detached Ed25519 signature over RFC 8785 canonical bytes) made by the key of `from`.
 * They travel on their own or as the payload of a JLINC permissionEvent or statusEvent.
 */
export const PARLEY_CONTEXT = 'https://parley.dev/context/v1';

export type Role = 'person' | 'organisation';
export type Sensitivity = 'low' | 'normal' | 'high' | 'special-category';
export const FIELD_TYPES = [
  'string',
  'email',
  'phone',
  'postal-address',
  'date',
  'number',
  'boolean',
  'object',
  'usage-records',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const CHANNELS = ['email', 'sms', 'phone', 'post', 'push', 'in-app', 'social'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface SchemaField {
  name: string;
  type: FieldType;
  sensitivity: Sensitivity;
  required?: boolean;
  description?: string;
}

export interface DataSchema {
  fields: SchemaField[];
}

export interface OnwardSharing {
  allowed: boolean;
  /** Terms every onward recipient must accept (a BISA carrying the same terms); required when allowed. */
  terms?: TermsRef;
}

interface Envelope {
  '@context': typeof PARLEY_CONTEXT;
  id: string;
  from: string;
  to: string;
  createdAt: string;
}

export interface TermsProposal extends Envelope {
  type: 'TermsProposal';
  proposer: Role;
  /** In the proposer's order of preference. */
  terms: TermsRef[];
  schema: DataSchema;
  purposes: Purpose[];
  /** Days the recipient may keep the data; null = for as long as the relationship lasts. */
  retentionDays: number | null;
  onwardSharing: OnwardSharing;
}

export type Decision = 'accept' | 'counter' | 'reject';

export interface TermsAnswer extends Envelope {
  type: 'TermsAnswer';
  inReplyTo: string;
  /** SHA-256 (hex) of the canonical form of the signed message answered: the answer binds its exact text. */
  replyHash: string;
  decision: Decision;
  /** accept: the terms accepted; counter: the one alternative; reject: absent. */
  terms?: TermsRef;
  /** counter only: the purposes the alternative terms are for, when they differ from the proposal's. */
  purposes?: Purpose[];
  reason?: string;
}

export type Disposition = 'return' | 'destroy';

export interface AgreementTermination extends Envelope {
  type: 'AgreementTermination';
  agreementId: string;
  dataDisposition: Disposition;
  reason?: string;
}

export interface TerminationConfirmation extends Envelope {
  type: 'TerminationConfirmation';
  agreementId: string;
  terminationHash: string;
  dataDisposition: Disposition;
  /** What was returned or destroyed: field names and record counts, never the data. */
  summary: string;
}

/**
 * Global policies a person applies to every relationship: no mail from third parties on any channel, Do Not
 * Track (no tracking, no profiling), surveys only with a way to answer back.
 */
export const POLICIES = ['NoThirdPartyMail', 'DoNotTrack', 'SurveysWithAnswerBack'] as const;
export type Policy = (typeof POLICIES)[number];

/** A publication, newsletter or service the vendor offers, subscribed to (or not) on some channels. */
export interface Subscription {
  publication: string;
  subscribed: boolean;
  channels: Channel[];
}

export interface PermissionChange extends Envelope {
  type: 'PermissionChange';
  agreementId: string;
  consents: { purpose: Purpose; granted: boolean }[];
  channels: { channel: Channel; allowed: boolean }[];
  /** When present, the complete set of the person's global policies now in force (empty: none). */
  policies?: Policy[];
  subscriptions?: Subscription[];
}

export const FEEDBACK_KINDS = ['feedback', 'error-report', 'survey-answer'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

/** The answer-back conduit: feedback, an error report or a survey answer, sent in a statusEvent. */
export interface Feedback extends Envelope {
  type: 'Feedback';
  agreementId: string;
  kind: FeedbackKind;
  subject: string;
  body: string;
  /** What it answers: a survey, a message or a record of the vendor's (an id, at most 200 characters). */
  inReplyTo?: string;
}

export const DATA_KINDS = [
  'party',
  'agreement',
  'accounts',
  'services',
  'usage',
  'interactions',
  'tickets',
  'notices',
] as const;
export type DataKind = (typeof DATA_KINDS)[number];

/**
 * The person asks for what the vendor holds about her. Not an event on the chain: a signed request the
 * vendor answers at once, refusing one older than five minutes or one it has seen before.
 */
export interface DataRequest extends Envelope {
  type: 'DataRequest';
  agreementId: string;
  include: DataKind[];
  format: 'json' | 'csv';
}

/** IEEE 7012 negotiation statuses (DPV) and Parley's lifecycle statuses of an agreement in force. */
export const STATUSES = [
  'AgreementNegotiationRequested',
  'AgreementNegotiationInitiated',
  'AgreementNegotiationPendingResponse',
  'AgreementNegotiationCounterOfferMade',
  'AgreementNegotiationClarificationRequired',
  'AgreementNegotiationConfirmationRequired',
  'AgreementNegotiationPaused',
  'AgreementNegotiationExpired',
  'AgreementNegotiationInvalid',
  'AgreementNegotiationRefused',
  'AgreementNegotiationTerminated',
  'AgreementNegotiationUnknown',
  'AgreementAccepted',
  'AgreementRefused',
  'AgreementActive',
  'AgreementSuspended',
  'AgreementTerminated',
  'AgreementExpired',
] as const;
export type Status = (typeof STATUSES)[number];

export interface AgreementStatus extends Envelope {
  type: 'AgreementStatus';
  agreementId: string;
  status: Status;
  note?: string;
}

/**
 * The data holder's signed receipt that values received under an agreement were deleted because the
 * agreement's retention period ended for them: which events carried them, which fields, the deadline. Names
 * only; never the data. Logged in the holder's ledger; the person's agent checks it against what it sent.
 */
export interface RetentionPurge extends Envelope {
  type: 'RetentionPurge';
  agreementId: string;
  retentionDays: number;
  /** The retention deadline of the newest value purged (its receipt time plus retentionDays). */
  dueAt: string;
  /** The data events whose values were purged (every value they carried that was still held). */
  eventIds: string[];
  fields: string[];
  summary: string;
}

export type ParleyMessage =
  | TermsProposal
  | TermsAnswer
  | AgreementTermination
  | TerminationConfirmation
  | PermissionChange
  | AgreementStatus
  | Feedback
  | DataRequest
  | RetentionPurge;

export type SignedMessage<T extends ParleyMessage = ParleyMessage> = Signed<T>;

type Body<T extends ParleyMessage> = T extends ParleyMessage ? Omit<T, keyof Envelope> : never;

/** Signs a message body as `from`, adding the envelope (context, id, createdAt). */
export function signMessage<T extends ParleyMessage>(
  body: Body<T>,
  from: Party,
  to: string,
  clock: Clock = {},
): SignedMessage<T> {
  const createdAt = timestamp(clock);
  const message = {
    '@context': PARLEY_CONTEXT,
    id: `urn:uuid:${randomUUID()}`,
    from: from.did,
    to,
    createdAt,
    ...body,
  } as unknown as T;
  validateBody(message as unknown as Json, clock);
  return signDocument(message, from.key, {
    verificationMethod: verificationMethodId(from.did),
    created: createdAt.replace(/\.\d{3}Z$/, 'Z'),
  });
}

/** SHA-256 (hex) of a signed message's canonical form: how answers and confirmations name what they answer. */
export function messageHash(message: object): string {
  return sha256Hex(canonicalize(message));
}

const ENVELOPE = ['@context', 'type', 'id', 'from', 'to', 'createdAt', 'proof'];
const SHAPES: Record<ParleyMessage['type'], { required: string[]; optional: string[] }> = {
  TermsProposal: {
    required: ['proposer', 'terms', 'schema', 'purposes', 'retentionDays', 'onwardSharing'],
    optional: [],
  },
  TermsAnswer: {
    required: ['inReplyTo', 'replyHash', 'decision'],
    optional: ['terms', 'purposes', 'reason'],
  },
  AgreementTermination: { required: ['agreementId', 'dataDisposition'], optional: ['reason'] },
  TerminationConfirmation: {
    required: ['agreementId', 'terminationHash', 'dataDisposition', 'summary'],
    optional: [],
  },
  PermissionChange: {
    required: ['agreementId', 'consents', 'channels'],
    optional: ['policies', 'subscriptions'],
  },
  AgreementStatus: { required: ['agreementId', 'status'], optional: ['note'] },
  Feedback: { required: ['agreementId', 'kind', 'subject', 'body'], optional: ['inReplyTo'] },
  DataRequest: { required: ['agreementId', 'include', 'format'], optional: [] },
  RetentionPurge: {
    required: ['agreementId', 'retentionDays', 'dueAt', 'eventIds', 'fields', 'summary'],
    optional: [],
  },
};

const err = (field: string, detail: string, code?: string) => new AgreementError(field, detail, code);

function text(m: Json, key: string, max: number, optional = false): void {
  const value = m[key];
  if (value === undefined && optional) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw err(key, `expected a non-empty string of at most ${max} characters`, 'type');
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw err(field, `expected one of ${allowed.join(', ')}`, 'enum');
  }
  return value as T;
}

function did(value: unknown, field: string): void {
  try {
    publicKeyFromDid(value, field);
  } catch (error) {
    if (error instanceof ProtocolError) throw err(field, 'expected a did:jlinc or did:key identifier', 'did');
    throw error;
  }
}

function list(value: unknown, field: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    throw err(field, `expected an array of ${min} to ${max} items`, 'type');
  }
  return value;
}

function purposes(value: unknown, field: string): Purpose[] {
  const items = list(value, field, 1, PURPOSES.length).map((p, i) => oneOf(p, PURPOSES, `${field}[${i}]`));
  if (new Set(items).size !== items.length) throw err(field, 'lists a purpose twice', 'duplicate');
  return items;
}

const HASH_HEX = /^[0-9a-f]{64}$/;
const TOKEN = /^[A-Za-z0-9_.:-]{1,200}$/;
const MESSAGE_ID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const AGREEMENT_ID = /^urn:parley:agreement:[0-9a-f]{64}$/;
const EVENT_ID = /^[A-Za-z0-9_-]{43}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function schema(value: unknown): void {
  const s = exactObject(value, 'schema', ['fields'], [], AgreementError);
  const names = new Set<string>();
  list(s.fields, 'schema.fields', 1, 200).forEach((f, i) => {
    const field = `schema.fields[${i}]`;
    const o = exactObject(
      f,
      field,
      ['name', 'type', 'sensitivity'],
      ['required', 'description'],
      AgreementError,
    );
    if (typeof o.name !== 'string' || !FIELD_NAME.test(o.name)) {
      throw err(`${field}.name`, 'expected a name of letters, digits, "_", "." or "-" (at most 64)', 'name');
    }
    if (names.has(o.name)) throw err(`${field}.name`, `"${o.name}" appears twice`, 'duplicate');
    names.add(o.name);
    oneOf(o.type, FIELD_TYPES, `${field}.type`);
    oneOf(o.sensitivity, ['low', 'normal', 'high', 'special-category'] as const, `${field}.sensitivity`);
    if (o.required !== undefined && typeof o.required !== 'boolean')
      throw err(`${field}.required`, 'expected a boolean');
    if (o.description !== undefined && (typeof o.description !== 'string' || o.description.length > 500)) {
      throw err(`${field}.description`, 'expected a string of at most 500 characters');
    }
  });
}

/** Structural checks shared by creation and validation (the proof is checked separately). */
function validateBody(m: Json, clock: Clock): void {
  const type = oneOf(m.type, Object.keys(SHAPES) as ParleyMessage['type'][], 'type');
  const shape = SHAPES[type];
  exactObject(
    m,
    '',
    [...ENVELOPE.filter((k) => k !== 'proof'), ...shape.required],
    ['proof', ...shape.optional],
    AgreementError,
  );
  if (m['@context'] !== PARLEY_CONTEXT) throw err('@context', `expected "${PARLEY_CONTEXT}"`, 'context');
  if (typeof m.id !== 'string' || !MESSAGE_ID.test(m.id))
    throw err('id', 'expected a urn:uuid: identifier', 'id');
  did(m.from, 'from');
  did(m.to, 'to');
  if (m.from === m.to) throw err('to', 'names the sender itself', 'same-party');
  try {
    checkTimestamp(m.createdAt, 'createdAt', clock);
  } catch (error) {
    if (error instanceof ProtocolError)
      throw err('createdAt', error.message.slice('createdAt: '.length), error.code);
    throw error;
  }
  if ('agreementId' in m && (typeof m.agreementId !== 'string' || !AGREEMENT_ID.test(m.agreementId))) {
    throw err('agreementId', 'expected urn:parley:agreement: followed by 64 hex characters', 'agreement-id');
  }
  switch (type) {
    case 'TermsProposal': {
      oneOf(m.proposer, ['person', 'organisation'] as const, 'proposer');
      const terms = list(m.terms, 'terms', 1, 10).map((t, i) => resolveTermsRef(t, `terms[${i}]`));
      if (new Set(terms.map((t) => t.id)).size !== terms.length)
        throw err('terms', 'lists the same terms twice', 'duplicate');
      schema(m.schema);
      const wanted = purposes(m.purposes, 'purposes');
      terms.forEach((t, i) => checkTermsAllow(t, wanted, `terms[${i}]`));
      const days = m.retentionDays;
      if (days !== null && (!Number.isInteger(days) || (days as number) < 1 || (days as number) > 36500)) {
        throw err('retentionDays', 'expected null or a whole number of days from 1 to 36500', 'retention');
      }
      terms.forEach((t, i) => checkRetention(t, days as number | null, `terms[${i}]`));
      const onward = exactObject(m.onwardSharing, 'onwardSharing', ['allowed'], ['terms'], AgreementError);
      if (typeof onward.allowed !== 'boolean') throw err('onwardSharing.allowed', 'expected a boolean');
      if (onward.allowed) {
        resolveTermsRef(onward.terms, 'onwardSharing.terms');
        terms.forEach((t, i) => {
          if (t.permissions.ThirdPartySharing === 'no') {
            throw err(
              `terms[${i}]`,
              `${t.code} forbids onward sharing, but onwardSharing.allowed is true`,
              'conflict',
            );
          }
        });
      } else if (onward.terms !== undefined) {
        throw err('onwardSharing.terms', 'is only allowed when onward sharing is allowed', 'conflict');
      }
      break;
    }
    case 'TermsAnswer': {
      if (typeof m.inReplyTo !== 'string' || !MESSAGE_ID.test(m.inReplyTo)) {
        throw err('inReplyTo', 'expected the urn:uuid: id of the message answered', 'id');
      }
      if (typeof m.replyHash !== 'string' || !HASH_HEX.test(m.replyHash)) {
        throw err('replyHash', 'expected 64 lowercase hex characters', 'hash');
      }
      const decision = oneOf(m.decision, ['accept', 'counter', 'reject'] as const, 'decision');
      if (decision === 'reject') {
        if (m.terms !== undefined) throw err('terms', 'is not allowed in a rejection', 'conflict');
      } else {
        resolveTermsRef(m.terms, 'terms');
      }
      if (m.purposes !== undefined) {
        if (decision !== 'counter') throw err('purposes', 'is only allowed in a counter-offer', 'conflict');
        purposes(m.purposes, 'purposes');
      }
      text(m, 'reason', 1000, true);
      break;
    }
    case 'AgreementTermination':
      oneOf(m.dataDisposition, ['return', 'destroy'] as const, 'dataDisposition');
      text(m, 'reason', 1000, true);
      break;
    case 'TerminationConfirmation':
      if (typeof m.terminationHash !== 'string' || !HASH_HEX.test(m.terminationHash)) {
        throw err('terminationHash', 'expected 64 lowercase hex characters', 'hash');
      }
      oneOf(m.dataDisposition, ['return', 'destroy'] as const, 'dataDisposition');
      text(m, 'summary', 2000);
      break;
    case 'PermissionChange': {
      const consents = list(m.consents, 'consents', 0, PURPOSES.length);
      const channels = list(m.channels, 'channels', 0, CHANNELS.length);
      const subscriptions =
        m.subscriptions === undefined ? [] : list(m.subscriptions, 'subscriptions', 0, 100);
      if (consents.length + channels.length + subscriptions.length === 0 && m.policies === undefined)
        throw err('consents', 'a permission change must change something');
      if (m.policies !== undefined) {
        const policies = list(m.policies, 'policies', 0, POLICIES.length).map((p, i) =>
          oneOf(p, POLICIES, `policies[${i}]`),
        );
        if (new Set(policies).size !== policies.length)
          throw err('policies', 'lists a policy twice', 'duplicate');
      }
      const seenPublications = new Set<string>();
      subscriptions.forEach((s, i) => {
        const field = `subscriptions[${i}]`;
        const o = exactObject(s, field, ['publication', 'subscribed', 'channels'], [], AgreementError);
        if (typeof o.publication !== 'string' || !TOKEN.test(o.publication))
          throw err(
            `${field}.publication`,
            'expected the id of a publication (letters, digits, "_", ".", ":", "-"; at most 200)',
          );
        if (seenPublications.has(o.publication))
          throw err(`${field}.publication`, 'appears twice', 'duplicate');
        seenPublications.add(o.publication);
        if (typeof o.subscribed !== 'boolean') throw err(`${field}.subscribed`, 'expected a boolean');
        const on = list(o.channels, `${field}.channels`, 0, CHANNELS.length).map((c, j) =>
          oneOf(c, CHANNELS, `${field}.channels[${j}]`),
        );
        if (new Set(on).size !== on.length)
          throw err(`${field}.channels`, 'lists a channel twice', 'duplicate');
      });
      const seenPurposes = new Set<string>();
      consents.forEach((c, i) => {
        const o = exactObject(c, `consents[${i}]`, ['purpose', 'granted'], [], AgreementError);
        const purpose = oneOf(o.purpose, PURPOSES, `consents[${i}].purpose`);
        if (seenPurposes.has(purpose)) throw err(`consents[${i}].purpose`, 'appears twice', 'duplicate');
        seenPurposes.add(purpose);
        if (typeof o.granted !== 'boolean') throw err(`consents[${i}].granted`, 'expected a boolean');
      });
      const seenChannels = new Set<string>();
      channels.forEach((c, i) => {
        const o = exactObject(c, `channels[${i}]`, ['channel', 'allowed'], [], AgreementError);
        const channel = oneOf(o.channel, CHANNELS, `channels[${i}].channel`);
        if (seenChannels.has(channel)) throw err(`channels[${i}].channel`, 'appears twice', 'duplicate');
        seenChannels.add(channel);
        if (typeof o.allowed !== 'boolean') throw err(`channels[${i}].allowed`, 'expected a boolean');
      });
      break;
    }
    case 'AgreementStatus':
      oneOf(m.status, STATUSES, 'status');
      text(m, 'note', 1000, true);
      break;
    case 'Feedback':
      oneOf(m.kind, FEEDBACK_KINDS, 'kind');
      text(m, 'subject', 200);
      text(m, 'body', 5000);
      if (m.inReplyTo !== undefined && (typeof m.inReplyTo !== 'string' || !TOKEN.test(m.inReplyTo)))
        throw err('inReplyTo', 'expected an id (letters, digits, "_", ".", ":", "-"; at most 200)');
      break;
    case 'DataRequest': {
      const kinds = list(m.include, 'include', 1, DATA_KINDS.length).map((k, i) =>
        oneOf(k, DATA_KINDS, `include[${i}]`),
      );
      if (new Set(kinds).size !== kinds.length) throw err('include', 'lists a kind twice', 'duplicate');
      const format = oneOf(m.format, ['json', 'csv'] as const, 'format');
      if (format === 'csv' && kinds.length !== 1)
        throw err('include', 'a CSV answer holds one kind of record: name exactly one', 'conflict');
      if (format === 'csv' && kinds[0] === 'notices')
        throw err('include', 'notices are answered as JSON only', 'conflict');
      break;
    }
    case 'RetentionPurge': {
      const days = m.retentionDays;
      if (!Number.isInteger(days) || (days as number) < 1 || (days as number) > 36500)
        throw err('retentionDays', 'expected a whole number of days from 1 to 36500', 'retention');
      if (typeof m.dueAt !== 'string' || !TIMESTAMP.test(m.dueAt) || Number.isNaN(Date.parse(m.dueAt)))
        throw err('dueAt', 'expected a timestamp YYYY-MM-DDTHH:MM:SS.sssZ', 'timestamp');
      if (Date.parse(m.dueAt) > Date.parse(m.createdAt as string))
        throw err('dueAt', 'is after createdAt: nothing is purged before it is due', 'early');
      const ids = list(m.eventIds, 'eventIds', 1, 10_000);
      ids.forEach((id, i) => {
        if (typeof id !== 'string' || !EVENT_ID.test(id))
          throw err(`eventIds[${i}]`, 'expected a JLINC event id (43 base64url characters)', 'id');
      });
      if (new Set(ids).size !== ids.length) throw err('eventIds', 'lists an event twice', 'duplicate');
      const fields = list(m.fields, 'fields', 1, 200);
      fields.forEach((f, i) => {
        if (typeof f !== 'string' || !FIELD_NAME.test(f))
          throw err(`fields[${i}]`, "expected a field name of the agreement's schema", 'name');
      });
      if (new Set(fields).size !== fields.length) throw err('fields', 'lists a field twice', 'duplicate');
      text(m, 'summary', 2000);
      break;
    }
  }
}

export function checkTermsAllow(terms: TermsEntry, wanted: readonly Purpose[], field: string): void {
  for (const purpose of wanted) {
    if (terms.permissions[purpose] === 'no') {
      throw err(field, `${terms.code} does not permit the purpose ${purpose}`, 'purpose');
    }
  }
}

export function checkRetention(terms: TermsEntry, days: number | null, field: string): void {
  if (terms.maxRetentionDays !== undefined && (days === null || days > terms.maxRetentionDays)) {
    throw err(field, `${terms.code} allows at most ${terms.maxRetentionDays} days of retention`, 'retention');
  }
}

export interface ValidateMessageOptions extends Clock {
  /** Refuse a message unless it has this type. */
  type?: ParleyMessage['type'];
}

/** Validates a Parley message received from another party: shape, terms, timestamps, and the sender's proof. */
export function validateParleyMessage<T extends ParleyMessage = ParleyMessage>(
  value: unknown,
  options: ValidateMessageOptions = {},
): SignedMessage<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw err('message', 'expected a JSON object', 'type');
  }
  const m = value as Json;
  if (options.type && m.type !== options.type) throw err('type', `expected "${options.type}"`, 'type');
  validateBody(m, options);
  if (m.proof === undefined)
    throw err('proof', 'is missing: every Parley message is signed by its sender', 'missing');
  const proof = m.proof as Record<string, unknown> | null;
  if (
    typeof proof !== 'object' ||
    proof === null ||
    proof.verificationMethod !== verificationMethodId(m.from as string)
  ) {
    throw new ProofError(
      'proof.verificationMethod',
      `expected the key of the sender, ${String(m.from)}`,
      'signer',
    );
  }
  verifyDocument(m, { expectedProofPurpose: 'assertionMethod' });
  return m as unknown as SignedMessage<T>;
}
