import { sql } from 'kysely';
import type { AnyKysely } from '@parley/store';
import { parseDoc } from '../agreement/records.js';
import type { SlaRule } from '../sla/evaluate.js';

const DAY = 86_400_000;
const iso = (v: unknown) => new Date(v as string).toISOString();
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** QoE measurements of a party's services over `days`, with each service's SLA targets and violations. */
export async function qoeSeries(db: AnyKysely, tenantId: string, partyId: string, days: number, now: number) {
  const held = (
    (await db
      .selectFrom('crm_accounts')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('holder_party_id', '=', partyId)
      .execute()) as { id: string }[]
  ).map((a) => a.id);
  const services = (await db
    .selectFrom('crm_services')
    .select(['id', 'name', 'sla_id'])
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      held.length > 0
        ? eb.or([eb('user_party_id', '=', partyId), eb('account_id', 'in', held)])
        : eb('user_party_id', '=', partyId),
    )
    .limit(30)
    .execute()) as { id: string; name: string; sla_id: string | null }[];
  const since = new Date(now - days * DAY).toISOString();
  const out = [];
  for (const s of services) {
    const points = (await db
      .selectFrom('crm_qoe_measurements')
      .select(['measured_at', 'availability', 'throughput', 'latency', 'packet_loss'])
      .where('tenant_id', '=', tenantId)
      .where('service_id', '=', s.id)
      .where('measured_at', '>=', since)
      .orderBy('measured_at')
      .limit(2000)
      .execute()) as Record<string, unknown>[];
    let sla: Record<string, number> | null = null;
    if (s.sla_id) {
      const row = (await db
        .selectFrom('crm_slas')
        .select('doc')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', s.sla_id)
        .executeTakeFirst()) as { doc: unknown } | undefined;
      const rules = row ? parseDoc(row.doc).rule : undefined;
      if (Array.isArray(rules))
        sla = Object.fromEntries((rules as SlaRule[]).map((r) => [r.metric, r.referenceValue]));
    }
    const violations = (await db
      .selectFrom('crm_sla_violations')
      .select(['metric', 'period_start', 'actual_value'])
      .where('tenant_id', '=', tenantId)
      .where('service_id', '=', s.id)
      .where('period_start', '>=', since)
      .orderBy('period_start')
      .execute()) as Record<string, unknown>[];
    out.push({
      serviceId: s.id,
      name: s.name,
      sla,
      points: points.map((p) => ({
        at: iso(p.measured_at),
        availability: num(p.availability),
        throughput: num(p.throughput),
        latency: num(p.latency),
        packetLoss: num(p.packet_loss),
      })),
      violations: violations.map((v) => ({
        metric: String(v.metric),
        periodStart: iso(v.period_start),
        actual: Number(v.actual_value),
      })),
    });
  }
  return out;
}

/** Tickets opened, resolved and breached (resolved late, or open past due) per day over `days`. */
export async function ticketLoad(db: AnyKysely, tenantId: string, days: number, now: number) {
  const since = new Date(now - days * DAY).toISOString();
  const day = (column: string) => sql<string>`substr(cast(${sql.ref(column)} as text), 1, 10)`;
  const opened = (await db
    .selectFrom('crm_tickets')
    .select([day('created_at').as('day'), (eb) => eb.fn.countAll().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('created_at', '>=', since)
    .groupBy(day('created_at'))
    .execute()) as { day: string; n: number | string }[];
  const resolved = (await db
    .selectFrom('crm_tickets')
    .select([
      day('resolved_at').as('day'),
      (eb) => eb.fn.countAll().as('n'),
      sql<number>`sum(case when resolved_at > resolution_due then 1 else 0 end)`.as('late'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('resolved_at', '>=', since)
    .groupBy(day('resolved_at'))
    .execute()) as { day: string; n: number | string; late: number | string }[];
  const byDay = new Map<string, { day: string; opened: number; resolved: number; breached: number }>();
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(now - i * DAY).toISOString().slice(0, 10);
    byDay.set(d, { day: d, opened: 0, resolved: 0, breached: 0 });
  }
  for (const o of opened) {
    const entry = byDay.get(o.day);
    if (entry) entry.opened = Number(o.n);
  }
  for (const r of resolved) {
    const entry = byDay.get(r.day);
    if (entry) {
      entry.resolved = Number(r.n);
      entry.breached = Number(r.late ?? 0);
    }
  }
  return [...byDay.values()];
}
