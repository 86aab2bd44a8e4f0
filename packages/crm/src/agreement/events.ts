import {
  acknowledgeSisaEvent,
  validateSisaEvent,
  type JlincEvent,
  type ValidatedEvent,
} from '@parley/protocol';
import { badRequest } from '../http/problem.js';
import { DatabaseChainStore, extendChain } from './chain.js';
import { planDataEvent, purgeAt } from './data-event.js';
import { checked, refused } from './errors.js';
import type { EventInput, EventPlan } from './event-plan.js';
import { sisaEventRecord } from './ledger.js';
import { planPermissionEvent } from './permission-event.js';
import type { Tenant } from './profile.js';
import { planStatusEvent } from './status-event.js';
import { agreementBySisa, nowOf, sisaContext, vendorOf, type VendorContext } from './vendor.js';

const SISA_ID = /^[A-Za-z0-9_-]{43}$/;

function planFor(event: ValidatedEvent, input: EventInput): EventPlan | Promise<EventPlan> {
  switch (event.eventType) {
    case 'dataEvent':
      return planDataEvent(input);
    case 'permissionEvent':
      return planPermissionEvent(input);
    default:
      return planStatusEvent(input);
  }
}

/**
 * `POST {vendor}/events`: one event of a SISA's chain, signed by the person. Checked (signature, the SISA's
 * rights holder, the chain: replay, fork, gap), planned by its type (every check of its payload passes before
 * anything is written), acknowledged, logged in the ledger, then written in one transaction with the answer,
 * which a re-delivery of the same event gets again. Events of one SISA are taken one at a time.
 */
export async function receiveEvent(ctx: VendorContext, tenant: Tenant, body: unknown): Promise<object> {
  const audit = (body as { audit?: { sisaId?: unknown } } | null)?.audit;
  const sisaId = audit && typeof audit === 'object' ? audit.sisaId : undefined;
  if (typeof sisaId !== 'string' || !SISA_ID.test(sisaId))
    throw badRequest('audit.sisaId: expected the 43-character id of a SISA', 'audit.sisaId');
  const vendor = vendorOf(ctx, tenant);
  const db = ctx.db.kysely;
  return ctx.lock.run(`sisa:${tenant.id}:${sisaId}`, async () => {
    const row = await agreementBySisa(db, tenant.id, sisaId);
    if (!row)
      throw refused(
        404,
        `audit.sisaId: no agreement with this vendor uses SISA ${sisaId}`,
        'audit.sisaId',
        'unknown-sisa',
      );
    const sisa = sisaContext(row, vendor);
    const event = checked('', () => validateSisaEvent(body, { sisa }));
    const stored = (await db
      .selectFrom('crm_agreement_events')
      .select(['sisa_id', 'response'])
      .where('tenant_id', '=', tenant.id)
      .where('event_id', '=', event.eventId)
      .executeTakeFirst()) as { sisa_id: string; response: string | null } | undefined;
    if (stored?.response) return JSON.parse(stored.response) as object;
    if (row.status === 'terminated')
      throw refused(410, 'audit.sisaId: this agreement was terminated', 'audit.sisaId', 'terminated');
    if (stored)
      throw refused(
        410,
        'audit.eventId: this event was received before; its data was purged when its retention ended',
        'audit.eventId',
        'purged',
      );
    const chain = await DatabaseChainStore.load(
      db,
      tenant.id,
      sisaId,
      row.headEventId,
      event.eventId,
      event.previousId,
    );
    checked('', () => extendChain(chain, event));

    const now = nowOf(ctx).toISOString();
    const input: EventInput = {
      ctx,
      tenant,
      vendor,
      row,
      eventId: event.eventId,
      payload: event.payload,
      now,
    };
    const plan = await planFor(event, input);
    const acknowledged = acknowledgeSisaEvent(body as JlincEvent, vendor, { sisa, validated: event });
    const ledger = await ctx.ledger.append([sisaEventRecord(acknowledged), ...(plan.records ?? [])]);
    const answer = { acknowledged, ledger, ...plan.answer };
    await ctx.db.kysely.transaction().execute(async (tx) => {
      await chain.persist(tx, now);
      await plan.write(tx);
      await tx
        .insertInto('crm_agreement_events')
        .values({
          tenant_id: tenant.id,
          event_id: event.eventId,
          sisa_id: sisaId,
          agreement_id: row.id,
          previous_id: event.previousId,
          event_type: event.eventType,
          message_type: plan.messageType,
          response: JSON.stringify(answer),
          ledger_index: ledger.index,
          created_at: event.createdAt,
          received_at: now,
          ...(plan.fields ? { fields: JSON.stringify(plan.fields), purge_at: purgeAt(row, now) } : {}),
        })
        .execute();
    });
    plan.afterCommit?.();
    return { ...answer, ...plan.transient };
  });
}
