import {
  intentIsOpen,
  MAX_INTENT_BYTES,
  messageHash,
  validateIntentMessage,
  type Intentcast,
  type SignedIntentMessage,
} from '@parley/protocol';
import type { LedgerReceipt } from '@parley/ledger';
import { checked, refused } from '../agreement/errors.js';
import type { Tenant } from '../agreement/profile.js';
import { vendorOf } from '../agreement/vendor.js';
import { HttpProblem } from '../http/problem.js';
import { intentcastRecord, intentDecisionRecord, offerRecord } from './audit.js';
import type { IntentContext } from './context.js';
import { evaluateIntent, evaluateStaffDecision, type Evaluation, type StaffDecision } from './evaluate.js';
import { compileIntentPolicy, DEFAULT_INTENT_POLICY } from './policy.js';
import { findIntent, insertIntent, recordDecision, type IntentAnswer, type IntentRow } from './store.js';

/** Where an intentcast came from, and the vendor URL its answers name. */
export type IntentSource =
  { source: 'push'; vendorUrl: string } | { source: 'feed'; feedId: string; vendorUrl: string };

export interface Received {
  /** 200 decided, 202 pending. */
  httpStatus: 200 | 202;
  answer: IntentAnswer;
  /** False when this intentcast had been received before (the stored answer is given again). */
  fresh: boolean;
}

const intentKey = (tenantId: string, intentId: string) => `intent:${tenantId}:${intentId}`;

const replay = (row: IntentRow): Received => ({
  httpStatus: row.answer.status === 'pending' ? 202 : 200,
  answer: row.answer,
  fresh: false,
});

/** Verifies an intentcast as received from anyone: its size (413), then its shape and signature (400). */
export function verifyIntentcast(body: unknown): SignedIntentMessage<Intentcast> {
  if (typeof body === 'object' && body !== null && JSON.stringify(body).length > MAX_INTENT_BYTES)
    throw new HttpProblem(
      413,
      'Payload Too Large',
      `body: an intentcast is at most ${MAX_INTENT_BYTES} bytes of JSON`,
      'body',
      'too-large',
    );
  return checked('', () => validateIntentMessage<Intentcast>(body, { type: 'Intentcast' }));
}

/** 410 unless the intentcast is open now. */
function requireOpen(intent: Intentcast, now: number): void {
  if (intentIsOpen(intent, now)) return;
  if (now < Date.parse(intent.validFrom))
    throw refused(410, 'validFrom: the intentcast is not valid yet', 'validFrom', 'not-yet-valid');
  throw refused(410, 'validUntil: the intentcast has expired', 'validUntil', 'expired');
}

/** Logs the records before an evaluation's, then its decision and offer; the receipt of each. */
async function logged(
  ctx: IntentContext,
  evaluation: Evaluation,
  before: object[],
): Promise<{ before: LedgerReceipt[]; decision: LedgerReceipt; offer?: LedgerReceipt }> {
  const records = [
    ...before,
    intentDecisionRecord(evaluation.decision),
    ...(evaluation.offer ? [offerRecord(evaluation.offer)] : []),
  ] as [object, ...object[]];
  const receipts = await ctx.ledger.appendEach(records);
  const at = before.length;
  return {
    before: receipts.slice(0, at),
    decision: receipts[at] as LedgerReceipt,
    ...(evaluation.offer ? { offer: receipts[at + 1] as LedgerReceipt } : {}),
  };
}

/**
 * `POST {vendor}/intents`, and each intentcast read from a feed: verified (413, 400), the same one again
 * answered as before (another with a used id: 409), refused when not open (410); then decided by the tenant's
 * intent policy and catalogue, signed, logged (intentcast, decision, offer) and stored with its answer. In
 * `manual` mode it is logged and stored pending (202) until a person decides. An answer to a feed's
 * intentcast is also queued for delivery to its replyTo.
 */
export async function receiveIntent(
  ctx: IntentContext,
  tenant: Tenant,
  body: unknown,
  from: IntentSource,
): Promise<Received> {
  const intent = verifyIntentcast(body);
  const intentHash = messageHash(intent);
  return ctx.lock.run(intentKey(tenant.id, intent.id), async () => {
    const known = await findIntent(ctx.db.kysely, tenant.id, intent.id);
    if (known) {
      if (known.intentHash === intentHash) return replay(known);
      throw refused(409, 'id: an intentcast with this id but other content was received', 'id', 'duplicate');
    }
    requireOpen(intent, Date.now());
    const vendor = vendorOf(ctx, tenant);
    const policy = compileIntentPolicy(tenant.profile.intentPolicy ?? DEFAULT_INTENT_POLICY);
    const received = intentcastRecord(intent, vendor.did);
    let answer: IntentAnswer;
    if (policy.policy.mode === 'manual') {
      const [receipt] = await ctx.ledger.appendEach([received]);
      answer = { status: 'pending', ledger: { intentcast: receipt } };
    } else {
      const catalogue = await ctx.catalogues.get(tenant.id);
      const evaluation = evaluateIntent(intent, vendor, policy, catalogue, ctx.evaluation);
      const receipts = await logged(ctx, evaluation, [received]);
      answer = {
        status: 'decided',
        decision: evaluation.decision,
        ...(evaluation.offer ? { offer: evaluation.offer } : {}),
        ledger: {
          intentcast: receipts.before[0],
          decision: receipts.decision,
          ...(receipts.offer ? { offer: receipts.offer } : {}),
        },
      };
    }
    const now = new Date().toISOString();
    const deliver = from.source === 'feed' && answer.status === 'decided';
    try {
      await ctx.db.kysely.transaction().execute((tx) =>
        insertIntent(tx, {
          tenantId: tenant.id,
          intentcast: intent,
          intentHash,
          source: from.source,
          ...(from.source === 'feed' ? { feedId: from.feedId } : {}),
          vendorUrl: from.vendorUrl,
          answer,
          deliver,
          now,
        }),
      );
    } catch (error) {
      // Another server process stored it first: answer as it did.
      const stored = await findIntent(ctx.db.kysely, tenant.id, intent.id);
      if (!stored) throw error;
      if (stored.intentHash === intentHash) return replay(stored);
      throw refused(409, 'id: an intentcast with this id but other content was received', 'id', 'duplicate');
    }
    if (deliver) ctx.deliverer.notify();
    return { httpStatus: answer.status === 'pending' ? 202 : 200, answer, fresh: true };
  });
}

/**
 * `POST /crm/v1/intents/{id}/decision`: a person decides on a pending intentcast; the decision (and offer) is
 * signed, logged, stored and queued for delivery to the intent's replyTo. 404 unknown, 409 decided already,
 * 410 expired.
 */
export async function decidePending(
  ctx: IntentContext,
  tenant: Tenant,
  intentId: string,
  input: StaffDecision,
  vendorUrl: string,
): Promise<IntentAnswer> {
  return ctx.lock.run(intentKey(tenant.id, intentId), async () => {
    const row = await findIntent(ctx.db.kysely, tenant.id, intentId);
    if (!row) throw refused(404, `id: no intentcast ${intentId}`, 'id', 'unknown-intent');
    if (row.status !== 'pending')
      throw refused(409, `id: the intentcast was decided already (${row.decisionKind})`, 'id', 'decided');
    requireOpen(row.intentcast, Date.now());
    const vendor = vendorOf(ctx, tenant);
    const policy = compileIntentPolicy(tenant.profile.intentPolicy ?? DEFAULT_INTENT_POLICY);
    const catalogue = await ctx.catalogues.get(tenant.id);
    const evaluation = checked('body', () =>
      evaluateStaffDecision(row.intentcast, vendor, policy, catalogue, input, ctx.evaluation),
    );
    const receipts = await logged(ctx, evaluation, []);
    const answer: IntentAnswer = {
      status: 'decided',
      decision: evaluation.decision,
      ...(evaluation.offer ? { offer: evaluation.offer } : {}),
      ledger: {
        ...(row.answer.ledger.intentcast ? { intentcast: row.answer.ledger.intentcast } : {}),
        decision: receipts.decision,
        ...(receipts.offer ? { offer: receipts.offer } : {}),
      },
    };
    const now = new Date().toISOString();
    const url = row.vendorUrl ?? vendorUrl;
    const stored = await ctx.db.kysely
      .transaction()
      .execute((tx) => recordDecision(tx, tenant.id, intentId, answer, url, now));
    if (!stored) throw refused(409, 'id: the intentcast was decided already', 'id', 'decided');
    ctx.deliverer.notify();
    return answer;
  });
}
