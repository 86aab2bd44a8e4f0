import { AgreementError } from '../errors.js';
import { canonicalize } from '../json/canonical.js';
import type { Party } from '../identity/party.js';
import { publicKeyOf, signItem, verifyItem } from '../jlinc/primitives.js';
import { exactObject } from '../jlinc/shape.js';
import { PURPOSES, resolveTermsRef, type Purpose, type TermsRef } from './roster.js';

/**
 * Onward sharing (custodian to custodian, under a JLINC BISA): the payloads of the BISA's permissionEvents and
 * the recipient's signed confirmation of a withdrawal. The sharer is the BISA's offeror; only it initiates.
 *
 * - `OnwardShare`: values a person shared with the sharer under `agreementId`, passed on under `terms` (the
 *   onward terms of that agreement), for `purposes`, to be kept at most `retentionDays` (null: as long as the
 *   original agreement lasts).
 * - `OnwardWithdrawal`: everything received under `shareId` is to be deleted (the person ended the agreement or
 *   withdrew her consent to third-party sharing).
 * - `OnwardWithdrawalConfirmation`: the recipient's signed statement of what it deleted (counts, never data).
 */
export interface OnwardShare {
  type: 'OnwardShare';
  shareId: string;
  agreementId: string;
  terms: TermsRef;
  purposes: Purpose[];
  retentionDays: number | null;
  fields: Record<string, unknown>;
}

export interface OnwardWithdrawal {
  type: 'OnwardWithdrawal';
  shareId: string;
  reason: string;
}

export type OnwardPayload = OnwardShare | OnwardWithdrawal;

export interface OnwardWithdrawalConfirmation {
  type: 'OnwardWithdrawalConfirmation';
  bisaId: string;
  shareId: string;
  /** The eventId of the withdrawal confirmed. */
  eventId: string;
  /** How many values (fields) were deleted; 0 when nothing was held any more. */
  removed: number;
  confirmedAt: string;
  /** The recipient's DID (did:jlinc), the BISA's acceptor. */
  confirmer: string;
  /** signItem(canonical JSON of every other member) with the confirmer's key. */
  signature: string;
}

const err = (field: string, detail: string, code?: string) => new AgreementError(field, detail, code);
const SHARE_ID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

function shareId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SHARE_ID.test(value))
    throw err(field, 'expected a urn:uuid: share id', 'id');
  return value;
}

/** Checks an onward event's payload (field names under `prefix`, e.g. `payload`). */
export function validateOnwardPayload(value: unknown, prefix = 'payload'): OnwardPayload {
  const p = (key: string) => `${prefix}.${key}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw err(prefix, 'expected an object', 'type');
  const type = (value as Record<string, unknown>).type;
  if (type === 'OnwardShare') {
    const m = exactObject(
      value,
      prefix,
      ['type', 'shareId', 'agreementId', 'terms', 'purposes', 'retentionDays', 'fields'],
      [],
      AgreementError,
    );
    shareId(m.shareId, p('shareId'));
    if (typeof m.agreementId !== 'string' || m.agreementId.length < 1 || m.agreementId.length > 200)
      throw err(p('agreementId'), 'expected the id of the original agreement', 'type');
    resolveTermsRef(m.terms, p('terms'));
    if (!Array.isArray(m.purposes) || m.purposes.length < 1 || m.purposes.length > PURPOSES.length)
      throw err(p('purposes'), 'expected a non-empty list of purposes', 'type');
    m.purposes.forEach((purpose, i) => {
      if (!(PURPOSES as readonly unknown[]).includes(purpose))
        throw err(`${p('purposes')}[${i}]`, `expected one of ${PURPOSES.join(', ')}`, 'purpose');
    });
    const days = m.retentionDays;
    if (days !== null && (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 36500))
      throw err(p('retentionDays'), 'expected null or a whole number of days from 1 to 36500', 'retention');
    const fields = m.fields;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
      throw err(p('fields'), 'expected an object of field names and values', 'type');
    const names = Object.keys(fields);
    if (names.length < 1 || names.length > 200)
      throw err(p('fields'), 'expected from 1 to 200 fields', 'type');
    for (const name of names)
      if (!FIELD_NAME.test(name)) throw err(`${p('fields')}.${name}`, 'is not a field name', 'field');
    return m as unknown as OnwardShare;
  }
  if (type === 'OnwardWithdrawal') {
    const m = exactObject(value, prefix, ['type', 'shareId', 'reason'], [], AgreementError);
    shareId(m.shareId, p('shareId'));
    if (typeof m.reason !== 'string' || m.reason.length > 500)
      throw err(p('reason'), 'expected a string of at most 500 characters', 'type');
    return m as unknown as OnwardWithdrawal;
  }
  throw err(p('type'), 'expected OnwardShare or OnwardWithdrawal', 'type');
}

type Unsigned = Omit<OnwardWithdrawalConfirmation, 'signature' | 'type' | 'confirmer'>;

/** The recipient's signed confirmation that what it held under a share is gone. */
export function confirmOnwardWithdrawal(body: Unsigned, recipient: Party): OnwardWithdrawalConfirmation {
  const unsigned = { type: 'OnwardWithdrawalConfirmation' as const, ...body, confirmer: recipient.did };
  return { ...unsigned, signature: signItem(canonicalize(unsigned), recipient.key) };
}

/**
 * Checks a withdrawal confirmation: its shape, that it names this BISA, share and event, that the confirmer
 * is `recipientDid` and that its signature verifies.
 */
export function verifyOnwardWithdrawalConfirmation(
  value: unknown,
  expected: { bisaId: string; shareId: string; eventId: string; recipientDid: string },
  field = 'confirmation',
): OnwardWithdrawalConfirmation {
  const m = exactObject(
    value,
    field,
    ['type', 'bisaId', 'shareId', 'eventId', 'removed', 'confirmedAt', 'confirmer', 'signature'],
    [],
    AgreementError,
  );
  if (m.type !== 'OnwardWithdrawalConfirmation')
    throw err(`${field}.type`, 'expected OnwardWithdrawalConfirmation', 'type');
  for (const key of ['bisaId', 'shareId', 'eventId'] as const)
    if (m[key] !== expected[key]) throw err(`${field}.${key}`, `expected ${expected[key]}`, 'mismatch');
  if (m.confirmer !== expected.recipientDid)
    throw err(`${field}.confirmer`, 'is not the recipient of the share', 'wrong-party');
  if (typeof m.removed !== 'number' || !Number.isInteger(m.removed) || m.removed < 0)
    throw err(`${field}.removed`, 'expected a count', 'type');
  if (typeof m.confirmedAt !== 'string' || Number.isNaN(Date.parse(m.confirmedAt)))
    throw err(`${field}.confirmedAt`, 'expected a time', 'type');
  const publicKey = publicKeyOf(
    m.confirmer,
    (m.confirmer as string).slice('did:jlinc:'.length),
    `${field}.confirmer`,
    `${field}.confirmer`,
  );
  const { signature, ...unsigned } = m;
  try {
    verifyItem(canonicalize(unsigned), signature, publicKey, `${field}.signature`);
  } catch {
    throw err(`${field}.signature`, 'does not verify with the confirmer’s key', 'signature');
  }
  return m as unknown as OnwardWithdrawalConfirmation;
}
