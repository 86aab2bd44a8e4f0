import type { AnyKysely } from '@parley/store';
import { INDIVIDUAL } from '../party/party.js';
import type { EventInput, EventPlan } from './event-plan.js';
import { applyValues, type HeldValue } from './individual.js';
import { readResource, updateResource } from './records.js';
import { checkDataPayload } from './values.js';
import type { AgreementRow } from './vendor.js';

const DAY_MS = 86_400_000;

/** When values received at `receivedAt` must be gone: the agreement's retention after receipt, or never (null). */
export function purgeAt(row: Pick<AgreementRow, 'agreement'>, receivedAt: string): string | null {
  const days = row.agreement.retentionDays;
  return days === null ? null : new Date(Date.parse(receivedAt) + days * DAY_MS).toISOString();
}

/** The values held under an agreement, by field. */
export async function heldValues(db: AnyKysely, tenantId: string, agreementId: string): Promise<HeldValue[]> {
  const rows = (await db
    .selectFrom('crm_agreement_data')
    .select(['field', 'value', 'replaced', 'event_id', 'received_at'])
    .where('tenant_id', '=', tenantId)
    .where('agreement_id', '=', agreementId)
    .orderBy('field')
    .execute()) as {
    field: string;
    value: string;
    replaced: string | null;
    event_id: string;
    received_at: unknown;
  }[];
  return rows.map((r) => ({
    field: r.field,
    value: JSON.parse(r.value) as unknown,
    replaced: r.replaced === null ? null : (JSON.parse(r.replaced) as HeldValue['replaced']),
    eventId: r.event_id,
    receivedAt: new Date(r.received_at as string).toISOString(),
  }));
}

/**
 * A dataEvent: every value checked against the agreement's schema, then stored with its provenance (the
 * agreement and the event) and carried onto the party (names, contact media).
 */
export function planDataEvent(input: EventInput): EventPlan {
  const { ctx, tenant, row, payload, eventId, now } = input;
  const schema = row.agreement.schema;
  checkDataPayload(payload, schema);
  return {
    messageType: 'data',
    fields: Object.keys(payload),
    async write(tx) {
      const held = new Map((await heldValues(tx, tenant.id, row.id)).map((h) => [h.field, h]));
      const before = await readResource(tx, INDIVIDUAL, tenant.id, row.partyId);
      const applied = applyValues(before ?? {}, schema, payload, held);
      for (const [field, value] of Object.entries(payload)) {
        const values = {
          value: JSON.stringify(value),
          replaced: JSON.stringify(applied.replaced.get(field) ?? null),
          event_id: eventId,
          received_at: now,
        };
        await tx
          .insertInto('crm_agreement_data')
          .values({ tenant_id: tenant.id, agreement_id: row.id, field, ...values })
          .onConflict((oc) => oc.columns(['tenant_id', 'agreement_id', 'field']).doUpdateSet(values))
          .execute();
      }
      if (before && JSON.stringify(before) !== JSON.stringify(applied.doc))
        await updateResource(tx, INDIVIDUAL, tenant.id, row.partyId, before, applied.doc, now, ctx.events);
    },
  };
}
