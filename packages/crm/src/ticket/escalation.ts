import type { AnyKysely, Database } from '@parley/store';
import type { ResourceEventSink } from '../tmf/resource.js';
import { tmfBasePath } from '../tmf/schemas.js';
import { ESCALATION_AUTHOR, isOpenTicket, TROUBLE_TICKET } from './ticket.js';

/** Runs in the transaction that escalates a ticket to `level` (the desk's own rules, such as a supervisor). */
export type OnEscalated = (
  tx: AnyKysely,
  tenantId: string,
  ticketId: string,
  level: number,
  at: string,
) => Promise<void>;

/**
 * Escalates open tickets whose SLA clock ran out: level 1 when the response target passed without a response,
 * level 2 when the resolution target passed. Each step is a note on the ticket (so the history shows who
 * escalated and why) and a change event for the hub. Returns how many tickets were escalated.
 */
export async function escalateTickets(
  db: Database,
  tenantId: string,
  now: Date = new Date(),
  events?: ResourceEventSink,
  onEscalated?: OnEscalated,
): Promise<number> {
  const at = now.toISOString();
  const due = (await db.kysely
    .selectFrom('crm_tickets')
    .select(['id', 'doc', 'escalation_level', 'responded_at', 'response_due', 'resolution_due'])
    .where('tenant_id', '=', tenantId)
    .where(isOpenTicket())
    .where((eb) =>
      eb.or([
        eb.and([eb('responded_at', 'is', null), eb('response_due', '<', at), eb('escalation_level', '<', 1)]),
        eb.and([eb('resolution_due', '<', at), eb('escalation_level', '<', 2)]),
      ]),
    )
    .limit(10_000)
    .execute()) as { id: string; doc: unknown; escalation_level: number | string; resolution_due: unknown }[];
  const href = `${tmfBasePath('troubleTicket')}/troubleTicket`;
  for (const row of due) {
    const doc = (typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc) as Record<string, unknown>;
    const resolutionDue =
      row.resolution_due instanceof Date ? row.resolution_due.toISOString() : String(row.resolution_due);
    const target = resolutionDue < at ? 2 : 1;
    const notes = Array.isArray(doc.note) ? [...(doc.note as unknown[])] : [];
    for (let level = Number(row.escalation_level) + 1; level <= target; level++) {
      notes.push({
        author: ESCALATION_AUTHOR,
        date: at,
        text:
          level === 1
            ? 'Escalated (level 1): no response within the response target'
            : 'Escalated (level 2): not resolved within the resolution target',
      });
    }
    const next = { ...doc, note: notes, lastUpdate: at };
    await db.kysely.transaction().execute(async (tx) => {
      await tx
        .updateTable('crm_tickets')
        .set({ ...TROUBLE_TICKET.row(next), updated_at: at, doc: JSON.stringify(next) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', row.id)
        .execute();
      await events?.(tx, {
        tenantId,
        api: 'troubleTicket',
        resourceType: 'TroubleTicket',
        kind: 'AttributeValueChangeEvent',
        resource: { id: row.id, href: `${href}/${row.id}`, ...next },
      });
      await onEscalated?.(tx, tenantId, row.id, target, at);
    });
  }
  return due.length;
}
