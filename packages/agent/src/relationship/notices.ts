import {
  checkAgainstAgreement,
  decodeJwt,
  messageHash,
  validateParleyMessage,
  type Clock,
  type InformationSharingAgreement,
  type Feedback,
  type RetentionPurge,
  type SignedMessage,
} from '@parley/protocol';
import { Ed25519NoteVerifier, verifyLedgerReceipt, type LedgerReceipt } from '@parley/ledger';
import { fromVendor, VendorAnswerError } from '../vendor/identity.js';
import type { EventReceipt } from './types.js';

const DAY_MS = 86_400_000;
/** How far the vendor's receipt time of an event may be from her acknowledgement time (clock skew, queues). */
const SKEW_MS = 5 * 60_000;

/** A purge receipt as the agent keeps it: checked, with the vendor's proof and where her own log has it. */
export interface PurgeRecord {
  receipt: SignedMessage<RetentionPurge>;
  vendorLedger: LedgerReceipt;
  purgedAt: string;
  checkedAt: string;
  /** How long after the deadline the vendor purged (ms; 0 = on time). */
  lateByMs: number;
  ownLedgerIndex?: number;
}

/**
 * Checks one notice of the vendor's `notices` answer as a RetentionPurge receipt: signed by the vendor of
 * this agreement, to her; logged in the vendor's ledger (proof against the log key pinned at connection,
 * the logged record naming this receipt's hash); naming only data events she sent and the vendor
 * acknowledged, none purged before its retention ended. Throws VendorAnswerError naming what is wrong.
 */
export function checkPurgeNotice(
  notice: unknown,
  agreement: InformationSharingAgreement,
  vkey: string,
  sent: readonly EventReceipt[],
  clock: Clock = {},
): Omit<PurgeRecord, 'ownLedgerIndex'> {
  if (typeof notice !== 'object' || notice === null)
    throw new VendorAnswerError('notices', 'expected notice objects');
  const n = notice as { receipt?: unknown; ledger?: unknown; purgedAt?: unknown };
  const receipt = fromVendor(() => {
    const r = validateParleyMessage<RetentionPurge>(n.receipt, { type: 'RetentionPurge', ...clock });
    checkAgainstAgreement(r, agreement);
    return r;
  });
  fromVendor(() => verifyLedgerReceipt(n.ledger, Ed25519NoteVerifier.fromVkey(vkey)));
  const ledger = n.ledger as LedgerReceipt;
  const record = ledger.record as { type?: unknown; purgeHash?: unknown } | null;
  if (record?.type !== 'retentionPurge' || record.purgeHash !== messageHash(receipt))
    throw new VendorAnswerError('ledger.record', 'does not log this purge receipt');
  const byId = new Map(sent.filter((s) => s.kind === 'data').map((s) => [s.eventId, s]));
  const days = receipt.retentionDays * DAY_MS;
  let newestDue = 0;
  receipt.eventIds.forEach((id, i) => {
    const event = byId.get(id);
    if (!event) throw new VendorAnswerError(`receipt.eventIds[${i}]`, 'is not a data event she sent');
    const due = Date.parse(event.acknowledgedAt) + days;
    if (due - SKEW_MS > Date.parse(receipt.dueAt))
      throw new VendorAnswerError(`receipt.eventIds[${i}]`, 'was purged before its retention ended');
    newestDue = Math.max(newestDue, due);
  });
  return {
    receipt,
    vendorLedger: ledger,
    purgedAt: typeof n.purgedAt === 'string' ? n.purgedAt : receipt.createdAt,
    checkedAt: new Date((clock.now ?? Date.now)()).toISOString(),
    lateByMs: Math.max(0, Date.parse(receipt.createdAt) - newestDue - SKEW_MS),
  };
}

/** The fields a data event she sent carried (from its JWT, which she signed and keeps). */
export function fieldsCarried(sent: EventReceipt): string[] {
  if (sent.kind !== 'data') return [];
  return Object.keys(decodeJwt(sent.acknowledged.eventJwt, 'eventJwt').payload);
}

/** A reply the vendor signed to her (its desk answering her feedback), as the agent keeps it. */
export interface VendorMessage {
  message: SignedMessage<Feedback>;
  receivedAt: string;
}

/**
 * Checks a `Feedback` notice: a Feedback signed by the vendor of this agreement, to her, about this agreement.
 * Throws VendorAnswerError naming what is wrong.
 */
export function checkVendorMessage(
  notice: unknown,
  agreement: InformationSharingAgreement,
  clock: Clock = {},
): VendorMessage {
  const n = notice as { message?: unknown } | null;
  const message = fromVendor(() => {
    const m = validateParleyMessage<Feedback>(n?.message, { type: 'Feedback', ...clock });
    checkAgainstAgreement(m, agreement);
    return m;
  });
  if (message.from !== agreement.organisation)
    throw new VendorAnswerError('message.from', 'is not the vendor of this agreement');
  return { message, receivedAt: new Date((clock.now ?? Date.now)()).toISOString() };
}
