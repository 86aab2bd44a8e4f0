import {
  messageHash,
  type Intentcast,
  type IntentDecision,
  type IntentDecisionKind,
  type Offer,
  type SignedIntentMessage,
} from '@parley/protocol';
import type { LedgerReceipt } from '@parley/ledger';
import type { AnyKysely } from '@parley/store';

/** The answer to an intentcast, as `POST {vendor}/intents` gives it and a replay gets it again. */
export interface IntentAnswer {
  status: 'decided' | 'pending';
  decision?: SignedIntentMessage<IntentDecision>;
  offer?: SignedIntentMessage<Offer>;
  ledger: { intentcast?: LedgerReceipt; decision?: LedgerReceipt; offer?: LedgerReceipt };
}

export type IntentStatus = 'pending' | 'decided' | 'accepted';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A row of crm_intents, its JSON parsed. */
export interface IntentRow {
  tenantId: string;
  intentId: string;
  intentHash: string;
  intentcast: SignedIntentMessage<Intentcast>;
  status: IntentStatus;
  source: 'push' | 'feed';
  feedId: string | null;
  vendorUrl: string | null;
  decisionKind: IntentDecisionKind | null;
  offerId: string | null;
  answer: IntentAnswer;
  delivery: { status: DeliveryStatus | null; attempts: number; dueAt: string | null; error: string | null };
  validUntil: string;
  receivedAt: string;
  decidedAt: string | null;
}

export const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : new Date(v as string).toISOString();

export function intentFromRow(r: Record<string, unknown>): IntentRow {
  return {
    tenantId: r.tenant_id as string,
    intentId: r.intent_id as string,
    intentHash: r.intent_hash as string,
    intentcast: JSON.parse(r.intentcast as string) as SignedIntentMessage<Intentcast>,
    status: r.status as IntentStatus,
    source: r.source as IntentRow['source'],
    feedId: (r.feed_id as string | null) ?? null,
    vendorUrl: (r.vendor_url as string | null) ?? null,
    decisionKind: (r.decision_kind as IntentDecisionKind | null) ?? null,
    offerId: (r.offer_id as string | null) ?? null,
    answer: JSON.parse(r.response as string) as IntentAnswer,
    delivery: {
      status: (r.delivery_status as DeliveryStatus | null) ?? null,
      attempts: Number(r.delivery_attempts ?? 0),
      dueAt: iso(r.delivery_due_at),
      error: (r.delivery_error as string | null) ?? null,
    },
    validUntil: iso(r.valid_until) as string,
    receivedAt: iso(r.received_at) as string,
    decidedAt: iso(r.decided_at),
  };
}

export async function findIntent(
  db: AnyKysely,
  tenantId: string,
  intentId: string,
): Promise<IntentRow | undefined> {
  const row = (await db
    .selectFrom('crm_intents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('intent_id', '=', intentId)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  return row && intentFromRow(row);
}

export interface NewIntent {
  tenantId: string;
  intentcast: SignedIntentMessage<Intentcast>;
  intentHash: string;
  source: 'push' | 'feed';
  feedId?: string;
  vendorUrl: string;
  answer: IntentAnswer;
  /** Whether the answer still has to be POSTed to the intent's replyTo. */
  deliver: boolean;
  now: string;
}

const decisionColumns = (answer: IntentAnswer) => ({
  decision: answer.decision ? JSON.stringify(answer.decision) : null,
  decision_kind: answer.decision?.decision ?? null,
  offer_id: answer.offer?.id ?? null,
});

/** Stores an intentcast with its answer (decided or pending), and the offer, if any. */
export async function insertIntent(tx: AnyKysely, n: NewIntent): Promise<void> {
  await tx
    .insertInto('crm_intents')
    .values({
      tenant_id: n.tenantId,
      intent_id: n.intentcast.id,
      intent_hash: n.intentHash,
      intent_did: n.intentcast.from,
      intentcast: JSON.stringify(n.intentcast),
      status: n.answer.status,
      source: n.source,
      feed_id: n.feedId ?? null,
      vendor_url: n.vendorUrl,
      ...decisionColumns(n.answer),
      response: JSON.stringify(n.answer),
      delivery_status: n.deliver ? 'pending' : null,
      delivery_attempts: 0,
      delivery_due_at: n.deliver ? n.now : null,
      delivery_error: null,
      valid_until: n.intentcast.validUntil,
      received_at: n.now,
      decided_at: n.answer.status === 'decided' ? n.now : null,
    })
    .execute();
  if (n.answer.offer) await insertOffer(tx, n.tenantId, n.answer.offer, n.now);
}

/** A pending intentcast decided by a person: its answer, to be delivered to replyTo. False if not pending. */
export async function recordDecision(
  tx: AnyKysely,
  tenantId: string,
  intentId: string,
  answer: IntentAnswer,
  vendorUrl: string,
  now: string,
): Promise<boolean> {
  const result = await tx
    .updateTable('crm_intents')
    .set({
      status: 'decided',
      ...decisionColumns(answer),
      response: JSON.stringify(answer),
      vendor_url: vendorUrl,
      delivery_status: 'pending',
      delivery_attempts: 0,
      delivery_due_at: now,
      delivery_error: null,
      decided_at: now,
    })
    .where('tenant_id', '=', tenantId)
    .where('intent_id', '=', intentId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  if (answer.offer) await insertOffer(tx, tenantId, answer.offer, now);
  return true;
}

async function insertOffer(tx: AnyKysely, tenantId: string, offer: SignedIntentMessage<Offer>, now: string) {
  await tx
    .insertInto('crm_intent_offers')
    .values({
      tenant_id: tenantId,
      offer_id: offer.id,
      intent_id: offer.intentId,
      offer_hash: messageHash(offer),
      offer: JSON.stringify(offer),
      status: 'open',
      valid_until: offer.validUntil,
      acceptance_id: null,
      agreement_id: null,
      created_at: now,
      taken_at: null,
    })
    .execute();
}

export interface IntentListQuery {
  status?: IntentStatus[];
  offset: number;
  limit: number;
}

/** The tenant's intentcasts, newest first, and how many there are. */
export async function listIntents(
  db: AnyKysely,
  tenantId: string,
  query: IntentListQuery,
): Promise<{ total: number; rows: IntentRow[] }> {
  let q = db.selectFrom('crm_intents').where('tenant_id', '=', tenantId);
  if (query.status?.length) q = q.where('status', 'in', query.status);
  const total = (await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()) as {
    n: number | string;
  };
  const rows = (await q
    .selectAll()
    .orderBy('received_at', 'desc')
    .orderBy('intent_id')
    .offset(query.offset)
    .limit(query.limit)
    .execute()) as Record<string, unknown>[];
  return { total: Number(total.n), rows: rows.map(intentFromRow) };
}

/** A row of crm_intent_offers. */
export interface OfferRow {
  offerId: string;
  intentId: string;
  offerHash: string;
  offer: SignedIntentMessage<Offer>;
  status: 'open' | 'taken';
  agreementId: string | null;
}

export async function findOffer(
  db: AnyKysely,
  tenantId: string,
  offerId: string,
): Promise<OfferRow | undefined> {
  const r = (await db
    .selectFrom('crm_intent_offers')
    .select(['offer_id', 'intent_id', 'offer_hash', 'offer', 'status', 'agreement_id'])
    .where('tenant_id', '=', tenantId)
    .where('offer_id', '=', offerId)
    .executeTakeFirst()) as Record<string, string | null> | undefined;
  return (
    r && {
      offerId: r.offer_id as string,
      intentId: r.intent_id as string,
      offerHash: r.offer_hash as string,
      offer: JSON.parse(r.offer as string) as SignedIntentMessage<Offer>,
      status: r.status as OfferRow['status'],
      agreementId: r.agreement_id ?? null,
    }
  );
}

/** Marks an open offer taken (and its intent accepted); false when it was taken already. */
export async function takeOffer(
  tx: AnyKysely,
  tenantId: string,
  offer: { offerId: string; intentId: string },
  acceptanceId: string,
  agreementId: string,
  now: string,
): Promise<boolean> {
  const result = await tx
    .updateTable('crm_intent_offers')
    .set({ status: 'taken', acceptance_id: acceptanceId, agreement_id: agreementId, taken_at: now })
    .where('tenant_id', '=', tenantId)
    .where('offer_id', '=', offer.offerId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await tx
    .updateTable('crm_intents')
    .set({ status: 'accepted' })
    .where('tenant_id', '=', tenantId)
    .where('intent_id', '=', offer.intentId)
    .execute();
  return true;
}

/**
 * Forgets intentcasts that ended without being taken (PDC-INTENT: "may not keep it after the intent
 * expires"), with their open offers. Accepted ones stay with the agreement that followed; the ledger keeps
 * only hashes. Returns how many intentcasts were forgotten.
 */
export async function purgeEndedIntents(db: AnyKysely, now: string): Promise<number> {
  return db.transaction().execute(async (tx) => {
    await tx
      .deleteFrom('crm_intent_offers')
      .where('status', '=', 'open')
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('crm_intents as i')
            .select('i.intent_id')
            .whereRef('i.tenant_id', '=', 'crm_intent_offers.tenant_id')
            .whereRef('i.intent_id', '=', 'crm_intent_offers.intent_id')
            .where('i.status', '!=', 'accepted')
            .where('i.valid_until', '<=', now),
        ),
      )
      .execute();
    const result = await tx
      .deleteFrom('crm_intents')
      .where('status', '!=', 'accepted')
      .where('valid_until', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
