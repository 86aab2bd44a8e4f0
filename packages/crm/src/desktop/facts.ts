import { sql } from 'kysely';
import { findTerms, resolveTermsRef, type TermsRef } from '@parley/protocol';
import type { AnyKysely } from '@parley/store';
import { parseDoc } from '../agreement/records.js';
import { sessionsOf } from '../analytics/selfcare.js';
import { breaks, type SlaRule } from '../sla/evaluate.js';
import { isOpenTicket, slaClockAt } from '../ticket/ticket.js';
import type { Fact } from './ranking.js';
import { reasonOf, type ReasonId } from './reasons.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** "resolution due in 3 h" / "resolution 2 days overdue", for people rather than for machines. */
function dueIn(due: string | undefined, now: number): string {
  if (!due) return 'no resolution target';
  const ms = Date.parse(due) - now;
  const span = (x: number) =>
    x < HOUR
      ? `${Math.max(1, Math.round(x / 60_000))} min`
      : x < 2 * DAY
        ? `${Math.round(x / HOUR)} h`
        : `${Math.round(x / DAY)} days`;
  return ms >= 0 ? `resolution due in ${span(ms)}` : `resolution ${span(-ms)} overdue`;
}

/** Measurement columns and the SLA metric names they answer. */
const QOE = {
  availability: 'availability',
  throughput: 'throughput',
  latency: 'latency',
  packetLoss: 'packet_loss',
};

/** A failed self-care session's cause, for the agent. */
const SELFCARE_CAUSE = {
  'slow-page': 'slow-page: a page took more than 3 s to load',
  'form-error': 'form-error: a form failed with an error',
  'abandoned-form': 'abandoned-form: she gave up on a form',
  'no-success': 'no-success: it did not get her what she came for',
} as const;

/** A measurement that says "the network is not working here" (for outage detection by cell). */
const DEGRADED = sql<number>`case when availability < 95 or packet_loss > 3 then 1 else 0 end`;

export interface CustomerFacts {
  customer: {
    id: string;
    name: string;
    status: string | null;
    accounts: { id: string; name: string; state: string | null; role: string }[];
  };
  facts: Fact[];
  /** What the alerts need beyond the facts. */
  openTickets: { id: string; name: string; doc: Record<string, unknown> }[];
  contacts30d: number;
  serviceIds: string[];
}

/**
 * Every candidate fact about a party for a contact: her services and their QoE against SLA this week, SLA
 * violations, outages in the cells she uses, open tickets, recent contacts (similar to this reason or not),
 * self-care attempts, charges and usage anomalies over 30 days, her agreements, accounts not in order. About
 * ten indexed reads, each bounded; undefined when the party does not exist.
 */
export async function gatherFacts(
  db: AnyKysely,
  tenantId: string,
  partyId: string,
  reason: ReasonId,
  now: number,
): Promise<CustomerFacts | undefined> {
  const party = (await db
    .selectFrom('crm_parties')
    .select(['id', 'name', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', partyId)
    .executeTakeFirst()) as { id: string; name: string; status: string | null } | undefined;
  if (!party) return undefined;
  const facts: Fact[] = [];

  const held = (await db
    .selectFrom('crm_accounts')
    .select(['id', 'name', 'state'])
    .where('tenant_id', '=', tenantId)
    .where('holder_party_id', '=', partyId)
    .limit(20)
    .execute()) as { id: string; name: string; state: string | null }[];
  const memberOf = (await db
    .selectFrom('crm_account_members as m')
    .innerJoin('crm_accounts as a', (j) =>
      j.onRef('a.tenant_id', '=', 'm.tenant_id').onRef('a.id', '=', 'm.account_id'),
    )
    .select(['a.id', 'a.name', 'a.state', 'm.role'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.party_id', '=', partyId)
    .limit(20)
    .execute()) as { id: string; name: string; state: string | null; role: string }[];
  const accounts = [
    ...held.map((a) => ({ ...a, role: 'holder' })),
    ...memberOf.filter((m) => !held.some((h) => h.id === m.id)),
  ];
  const heldIds = held.map((a) => a.id);
  for (const a of accounts)
    if (a.state && !['active', 'open'].includes(a.state))
      facts.push({
        id: `account:${a.id}`,
        type: 'account-state',
        title: `Account ${a.name} is ${a.state}`,
        detail: `Her ${a.role === 'holder' ? '' : a.role + ' '}account is not active: services may be barred.`,
        at: null,
        anomaly: 0.5,
        anomalyWhy: 'the account is not in its normal state',
      });

  const services = (await db
    .selectFrom('crm_services')
    .select(['id', 'name', 'service_type', 'state', 'account_id', 'sla_id', 'cell_id'])
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      heldIds.length > 0
        ? eb.or([eb('user_party_id', '=', partyId), eb('account_id', 'in', heldIds)])
        : eb('user_party_id', '=', partyId),
    )
    .limit(30)
    .execute()) as Record<string, string | null>[];
  for (const s of services)
    facts.push({
      id: `service:${s.id}`,
      type: 'service',
      title: `${s.name} (${s.service_type})`,
      detail: `${s.state ?? 'unknown state'}${s.cell_id ? `, served by ${s.cell_id}` : ''}`,
      at: null,
      ...(s.state && s.state !== 'active' ? { anomaly: 0.4, anomalyWhy: `the service is ${s.state}` } : {}),
    });
  const serviceIds = services.map((s) => s.id as string);

  if (serviceIds.length > 0) {
    const since = new Date(now - 7 * DAY).toISOString();
    const qoe = (await db
      .selectFrom('crm_qoe_measurements')
      .select([
        'service_id',
        sql<number>`avg(availability)`.as('availability'),
        sql<number>`avg(throughput)`.as('throughput'),
        sql<number>`avg(latency)`.as('latency'),
        sql<number>`avg(packet_loss)`.as('packet_loss'),
        sql<string>`max(measured_at)`.as('last'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('service_id', 'in', serviceIds)
      .where('measured_at', '>=', since)
      .groupBy('service_id')
      .execute()) as Record<string, unknown>[];
    const slaIds = [...new Set(services.map((s) => s.sla_id).filter((v): v is string => !!v))];
    const rules = new Map<string, SlaRule[]>();
    if (slaIds.length > 0)
      for (const s of (await db
        .selectFrom('crm_slas')
        .select(['id', 'doc'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', slaIds)
        .execute()) as { id: string; doc: unknown }[]) {
        const r = parseDoc(s.doc).rule;
        rules.set(s.id, Array.isArray(r) ? (r as SlaRule[]) : []);
      }
    for (const m of qoe) {
      const service = services.find((s) => s.id === m.service_id);
      const slaRules = rules.get(String(service?.sla_id)) ?? [];
      const breached = slaRules.flatMap((rule) => {
        const column = QOE[rule.metric as keyof typeof QOE];
        const observed = column === undefined ? null : (m[column] as number | null);
        if (observed === null || observed === undefined || !breaks(rule, Number(observed))) return [];
        const shortfall =
          Math.abs(Number(observed) - rule.referenceValue) / Math.max(Math.abs(rule.referenceValue), 1e-9);
        return [{ rule, observed: Number(observed), shortfall }];
      });
      if (breached.length === 0) continue;
      facts.push({
        id: `qoe:${String(m.service_id)}`,
        type: 'qoe-below-sla',
        title: `${service?.name ?? 'A service'} below its SLA this week`,
        detail: breached
          .map(
            (b) =>
              `${b.rule.metric} ${round(b.observed)} against ${b.rule.operator} ${b.rule.referenceValue}${b.rule.unit ? ' ' + b.rule.unit : ''}`,
          )
          .join('; '),
        at: iso(m.last),
        anomaly: Math.min(1, Math.max(...breached.map((b) => b.shortfall))),
        anomalyWhy: `worst shortfall against the SLA target: ${Math.round(Math.max(...breached.map((b) => b.shortfall)) * 100)}%`,
      });
    }
    const cells = [...new Set(services.map((s) => s.cell_id).filter((v): v is string => !!v))];
    if (cells.length > 0) {
      const byCell = (await db
        .selectFrom('crm_qoe_measurements')
        .select([
          'cell_id',
          sql<number>`count(*)`.as('n'),
          sql<number>`sum(${DEGRADED})`.as('degraded'),
          sql<string>`max(measured_at)`.as('last'),
        ])
        .where('tenant_id', '=', tenantId)
        .where('cell_id', 'in', cells)
        .where('measured_at', '>=', new Date(now - 2 * DAY).toISOString())
        .groupBy('cell_id')
        .execute()) as { cell_id: string; n: number; degraded: number; last: string }[];
      for (const c of byCell) {
        const share = Number(c.degraded) / Math.max(1, Number(c.n));
        if (Number(c.n) < 3 || share < 0.3) continue;
        facts.push({
          id: `outage:${c.cell_id}`,
          type: 'outage',
          title: `Network degraded at ${c.cell_id}`,
          detail: `${Number(c.degraded)} of ${Number(c.n)} measurements in the last 48 h at the cell she uses were degraded`,
          at: iso(c.last),
          anomaly: Math.min(1, share),
          anomalyWhy: `${Math.round(share * 100)}% of the cell's measurements degraded`,
        });
      }
    }
  }

  if (heldIds.length > 0) {
    const violations = (await db
      .selectFrom('crm_sla_violations')
      .select(['id', 'service_id', 'metric', 'period_start', 'actual_value'])
      .where('tenant_id', '=', tenantId)
      .where('account_id', 'in', heldIds)
      .where('period_start', '>=', new Date(now - 30 * DAY).toISOString())
      .orderBy('period_start', 'desc')
      .limit(10)
      .execute()) as Record<string, unknown>[];
    for (const v of violations)
      facts.push({
        id: `violation:${String(v.id)}`,
        type: 'sla-violation',
        title: `SLA violated: ${String(v.metric)}`,
        detail: `${String(v.metric)} was ${round(Number(v.actual_value))} in the period from ${iso(v.period_start)?.slice(0, 10)}`,
        at: iso(v.period_start),
      });
  }

  const openTickets = (await db
    .selectFrom('crm_tickets')
    .select(['id', 'doc', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('party_id', '=', partyId)
    .where(isOpenTicket())
    .limit(20)
    .execute()) as { id: string; doc: unknown; created_at: unknown }[];
  const tickets = openTickets.map((t) => {
    const doc = parseDoc(t.doc);
    return { id: t.id, name: String(doc.name ?? doc.description ?? 'Ticket'), doc };
  });
  for (const t of tickets) {
    const clock = slaClockAt(t.doc, new Date(now)) as {
      resolutionBreached?: boolean;
      resolutionDue?: string;
    };
    facts.push({
      id: `ticket:${t.id}`,
      type: 'open-ticket',
      title: `Open ticket: ${t.name}`,
      detail: `${String(t.doc.status)}, priority ${String(t.doc.priority ?? 'medium')}, ${dueIn(clock.resolutionDue, now)}`,
      at: iso(t.doc.creationDate ?? openTickets.find((o) => o.id === t.id)?.created_at),
      href: `/tmf-api/troubleTicket/v5/troubleTicket/${t.id}`,
      ...(clock.resolutionBreached ? { anomaly: 0.5, anomalyWhy: 'past its resolution target' } : {}),
    });
  }

  const contacts = (await db
    .selectFrom('crm_interactions')
    .select(['id', 'channel', 'reason', 'status', 'started_at'])
    .where('tenant_id', '=', tenantId)
    .where('party_id', '=', partyId)
    .where('started_at', '>=', new Date(now - 30 * DAY).toISOString())
    .orderBy('started_at', 'desc')
    .limit(30)
    .execute()) as Record<string, string | null>[];
  // Self-care: her sessions and their verdicts (analytics/selfcare.ts) when any were recorded, else her
  // self-care interactions (and those after her latest recorded session).
  const sessions = await sessionsOf(db, tenantId, partyId, {
    limit: 10,
    from: new Date(now - 30 * DAY).toISOString(),
    now,
  });
  for (const s of sessions)
    facts.push({
      id: `selfcare:${s.sessionId}`,
      type: 'selfcare-attempt',
      title: `Self-care: ${s.page ?? 'a visit'}`,
      detail: s.wasted
        ? `failed her (${SELFCARE_CAUSE[s.cause ?? 'no-success']})${s.followedByContact ? ', then she contacted us' : ''}`
        : s.succeeded
          ? 'completed'
          : 'no failure seen',
      at: s.endedAt,
      ...(s.wasted ? { anomaly: 0.5, anomalyWhy: SELFCARE_CAUSE[s.cause ?? 'no-success'] } : {}),
    });
  for (const c of contacts) {
    const when = iso(c.started_at);
    if (c.channel === 'selfcare') {
      // Sessions recorded: they tell what happened; a self-care interaction after the latest one still counts.
      const latest = sessions[0]?.endedAt;
      if (latest !== undefined && (when ?? '') <= latest) continue;
      facts.push({
        id: `contact:${c.id}`,
        type: 'selfcare-attempt',
        title: `Self-care: ${c.reason ?? 'a visit'}`,
        detail: `status ${c.status ?? 'unknown'}`,
        at: when,
        ...(c.status && c.status !== 'completed'
          ? { anomaly: 0.5, anomalyWhy: 'the self-care attempt did not complete' }
          : {}),
      });
      continue;
    }
    const similar = reasonOf(c.reason) === reason;
    facts.push({
      id: `contact:${c.id}`,
      type: similar ? 'similar-contact' : 'recent-contact',
      title: `${similar ? 'Same reason' : 'Contact'} on ${c.channel ?? 'a channel'}: ${c.reason ?? 'no reason given'}`,
      detail: `${c.status ?? ''}`.trim() || 'recorded',
      at: when,
    });
  }

  const days = (await db
    .selectFrom('crm_usage')
    .select([
      sql<string>`substr(cast(started_at as text), 1, 10)`.as('day'),
      sql<number>`coalesce(sum(charge), 0)`.as('charge'),
      sql<number>`coalesce(sum(volume_bytes), 0)`.as('volume'),
      sql<number>`count(*)`.as('n'),
      sql<string>`max(currency)`.as('currency'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('party_id', '=', partyId)
    .where('started_at', '>=', new Date(now - 30 * DAY).toISOString())
    .groupBy(sql`substr(cast(started_at as text), 1, 10)`)
    .execute()) as { day: string; charge: number; volume: number; n: number; currency: string | null }[];
  if (days.length > 0) {
    const recentFrom = new Date(now - 7 * DAY).toISOString().slice(0, 10);
    const recent = days.filter((d) => d.day >= recentFrom);
    const total = recent.reduce((s, d) => s + Number(d.charge), 0);
    const currency = days.find((d) => d.currency)?.currency ?? '';
    if (total > 0)
      facts.push({
        id: 'charges:7d',
        type: 'recent-charges',
        title: `Charges this week: ${round(total, 2)} ${currency}`.trim(),
        detail: `${recent.reduce((s, d) => s + Number(d.n), 0)} usage records over the last 7 days`,
        at: new Date(now).toISOString(),
      });
    for (const metric of ['charge', 'volume'] as const) {
      const byDay = new Map(days.map((d) => [d.day, Number(d[metric])]));
      const series = Array.from(
        { length: 30 },
        (_, i) => byDay.get(new Date(now - (29 - i) * DAY).toISOString().slice(0, 10)) ?? 0,
      );
      const base = series.slice(0, 27);
      const mean = base.reduce((s, x) => s + x, 0) / base.length;
      const sd = Math.sqrt(base.reduce((s, x) => s + (x - mean) ** 2, 0) / base.length) || mean || 1;
      const last = Math.max(...series.slice(27));
      const z = (last - mean) / sd;
      if (z < 2 || last <= 0) continue;
      facts.push({
        id: `anomaly:${metric}`,
        type: 'usage-anomaly',
        title: `Unusual ${metric === 'charge' ? 'charges' : 'data use'} in the last 3 days`,
        detail: `${round(last, 2)} in one day against a 27-day mean of ${round(mean, 2)}`,
        at: new Date(now - DAY).toISOString(),
        anomaly: Math.min(1, z / 5),
        anomalyWhy: `${round(z)} standard deviations above her usual ${metric === 'charge' ? 'charges' : 'data use'}`,
      });
    }
  }

  const agreements = (await db
    .selectFrom('crm_agreements')
    .select(['id', 'terms', 'agreement', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('party_id', '=', partyId)
    .where('status', '=', 'active')
    .limit(5)
    .execute()) as { id: string; terms: string; agreement: string; created_at: unknown }[];
  for (const a of agreements) {
    const record = JSON.parse(a.agreement) as { terms: TermsRef; purposes: string[] };
    let title = 'an agreement';
    try {
      const t = resolveTermsRef(record.terms, 'terms');
      title = `${t.code}: ${t.title}`;
    } catch {
      title = findTerms(a.terms)?.title ?? a.terms;
    }
    facts.push({
      id: `agreement:${a.id}`,
      type: 'agreement',
      title: `Parley agreement ${title}`,
      detail: `Her data may be used for: ${record.purposes.join(', ')}; nothing else`,
      at: null,
    });
  }

  return {
    customer: { id: party.id, name: party.name, status: party.status, accounts },
    facts,
    openTickets: tickets,
    contacts30d: contacts.filter((c) => c.channel !== 'selfcare').length,
    serviceIds,
  };
}
