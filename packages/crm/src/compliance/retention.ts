import { randomUUID } from 'node:crypto';
import { messageHash, purgeReceipt, type RetentionPurge, type SignedMessage } from '@parley/protocol';
import type { LedgerReceipt } from '@parley/ledger';
import { INDIVIDUAL } from '../party/party.js';
import { heldValues } from '../agreement/data-event.js';
import { removeValues } from '../agreement/individual.js';
import { readResource, updateResource } from '../agreement/records.js';
import { agreementById, nowOf, type VendorContext } from '../agreement/vendor.js';

/** How many agreements one pass of the job purges before it looks again (bounded work per transaction). */
const AGREEMENTS_PER_PASS = 200;

const iso = (v: unknown) => new Date(v as string).toISOString();
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The audit record of a purge: ids, counts and the receipt's hash; never the data. */
export function retentionPurgeRecord(receipt: SignedMessage<RetentionPurge>, valuesRemoved: number) {
  return {
    type: 'retentionPurge',
    agreementId: receipt.agreementId,
    issuer: receipt.from,
    person: receipt.to,
    purgeHash: messageHash(receipt),
    retentionDays: receipt.retentionDays,
    dueAt: receipt.dueAt,
    events: receipt.eventIds.length,
    fields: receipt.fields.length,
    valuesRemoved,
  };
}

export interface PurgeDone {
  tenantId: string;
  agreementId: string;
  receipt: SignedMessage<RetentionPurge>;
  ledger: LedgerReceipt;
  valuesRemoved: number;
}

/**
 * Purges, under every agreement with a retention period, what was received longer ago than that period:
 * the values still held from those data events (and what they put on the party), and the stored answers
 * that carry their text. Each agreement purged gets a signed RetentionPurge receipt, logged in the ledger
 * and kept for the person's agent, which collects it as a notice. `at` is the vendor's clock unless given.
 */
export async function purgeDue(ctx: VendorContext, at: Date = nowOf(ctx)): Promise<PurgeDone[]> {
  const done: PurgeDone[] = [];
  for (;;) {
    const due = (await ctx.db.kysely
      .selectFrom('crm_agreement_events')
      .select(['tenant_id', 'agreement_id'])
      .distinct()
      .where('purge_at', '<=', at.toISOString())
      .where('response', 'is not', null)
      .limit(AGREEMENTS_PER_PASS)
      .execute()) as { tenant_id: string; agreement_id: string }[];
    let purged = 0;
    for (const d of due) {
      const result = await purgeAgreement(ctx, d.tenant_id, d.agreement_id, at);
      if (result) {
        done.push(result);
        purged++;
      }
    }
    if (due.length < AGREEMENTS_PER_PASS || purged === 0) return done;
  }
}

/** One agreement's purge, under the lock its events are taken with (no event lands half-purged). */
async function purgeAgreement(
  ctx: VendorContext,
  tenantId: string,
  agreementId: string,
  at: Date,
): Promise<PurgeDone | undefined> {
  const db = ctx.db.kysely;
  const row = await agreementById(db, tenantId, agreementId);
  if (!row) return undefined;
  return ctx.lock.run(`sisa:${tenantId}:${row.sisaId}`, async () => {
    const events = (await db
      .selectFrom('crm_agreement_events')
      .select(['event_id', 'fields', 'purge_at'])
      .where('tenant_id', '=', tenantId)
      .where('agreement_id', '=', agreementId)
      .where('purge_at', '<=', at.toISOString())
      .where('response', 'is not', null)
      .orderBy('received_at')
      .execute()) as { event_id: string; fields: string | null; purge_at: unknown }[];
    if (events.length === 0 || row.status !== 'active') return undefined;
    const eventIds = events.map((e) => e.event_id);
    const dueEvents = new Set(eventIds);
    const expired = (await heldValues(db, tenantId, agreementId)).filter(
      (h) => h.eventId !== undefined && dueEvents.has(h.eventId),
    );
    const fields = [...new Set(events.flatMap((e) => (e.fields ? (JSON.parse(e.fields) as string[]) : [])))];
    if (fields.length === 0) fields.push(...expired.map((h) => h.field));
    const dueAt = events.map((e) => iso(e.purge_at)).sort()[events.length - 1] as string;
    const days = row.agreement.retentionDays as number;
    const summary =
      `Retention of ${plural(days, 'day')} ended: deleted ${plural(expired.length, 'value')} still held ` +
      `(${expired.map((h) => h.field).join(', ') || 'none; later events had replaced them'}) and the stored ` +
      `copies of ${plural(events.length, 'data event')} carrying ${fields.join(', ')}; contact data they put ` +
      `on the party record removed.`;
    const vendor = ctx.keys.forTenant(tenantId);
    const receipt = purgeReceipt(row.agreement, vendor, { dueAt, eventIds, fields, summary }, ctx.clock);
    const ledger = await ctx.ledger.append([retentionPurgeRecord(receipt, expired.length)]);
    const now = receipt.createdAt;
    await db.transaction().execute(async (tx) => {
      const before = await readResource(tx, INDIVIDUAL, tenantId, row.partyId);
      if (before && expired.length > 0) {
        const after = removeValues(before, row.agreement.schema, expired);
        await updateResource(tx, INDIVIDUAL, tenantId, row.partyId, before, after, now, ctx.events);
      }
      if (expired.length > 0)
        await tx
          .deleteFrom('crm_agreement_data')
          .where('tenant_id', '=', tenantId)
          .where('agreement_id', '=', agreementId)
          .where(
            'field',
            'in',
            expired.map((h) => h.field),
          )
          .execute();
      for (let i = 0; i < eventIds.length; i += 500)
        await tx
          .updateTable('crm_agreement_events')
          .set({ response: null })
          .where('tenant_id', '=', tenantId)
          .where('event_id', 'in', eventIds.slice(i, i + 500))
          .execute();
      await tx
        .insertInto('crm_retention_purges')
        .values({
          tenant_id: tenantId,
          id: randomUUID(),
          agreement_id: agreementId,
          party_id: row.partyId,
          receipt: JSON.stringify(receipt),
          fields: JSON.stringify(fields),
          event_ids: JSON.stringify(eventIds),
          values_removed: expired.length,
          due_at: dueAt,
          purged_at: now,
          ledger_index: ledger.index,
        })
        .execute();
    });
    return { tenantId, agreementId, receipt, ledger, valuesRemoved: expired.length };
  });
}

/** The purge receipts of an agreement, oldest first, each with a fresh ledger receipt (proof to today's head). */
export async function purgeNotices(ctx: VendorContext, tenantId: string, agreementId: string) {
  const rows = (await ctx.db.kysely
    .selectFrom('crm_retention_purges')
    .select(['receipt', 'ledger_index', 'purged_at'])
    .where('tenant_id', '=', tenantId)
    .where('agreement_id', '=', agreementId)
    .orderBy('purged_at')
    .execute()) as { receipt: string; ledger_index: number | string; purged_at: unknown }[];
  return Promise.all(
    rows.map(async (r) => ({
      type: 'RetentionPurge' as const,
      receipt: JSON.parse(r.receipt) as SignedMessage<RetentionPurge>,
      purgedAt: iso(r.purged_at),
      ledger: await ctx.ledger.receipt(Number(r.ledger_index)),
    })),
  );
}

/** Runs `purgeDue` every `intervalMs` (unref'd), one pass at a time; failures go to the log and wait a turn. */
export function scheduleRetention(
  ctx: VendorContext,
  intervalMs: number,
  log: { error(obj: object, msg: string): void; info(obj: object, msg: string): void },
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(() => purgeDue(ctx))
      .then((done) => {
        if (done.length > 0) log.info({ agreements: done.length }, 'retention purge done');
      })
      .catch((err: unknown) => log.error({ err }, 'retention purge failed'));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
