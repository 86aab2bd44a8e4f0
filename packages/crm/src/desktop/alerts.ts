import { slaClockAt, ticketClock, TICKET_SLA_POLICY, priorityClass } from '../ticket/ticket.js';
import type { CustomerFacts } from './facts.js';
import type { Fact } from './ranking.js';

export interface Alert {
  kind: 'sla-breach-soon' | 'sla-breached' | 'churn-risk' | 'selfcare-failed';
  severity: 'info' | 'warning' | 'critical';
  title: string;
  detail: string;
  at: string;
  ticketId?: string;
}

/** The churn risk of a customer at hand, with its drivers. */
export interface ChurnRisk {
  risk: number;
  drivers: string[];
  /** How it was computed (a heuristic until a fitted model is plugged in). */
  source: string;
}
export type ChurnRiskProvider = (
  tenantId: string,
  partyId: string,
  gathered: CustomerFacts,
) => Promise<ChurnRisk | undefined>;

const MINUTE = 60_000;

/**
 * A transparent heuristic: repeated contacts, a cancellation contact, tickets past target, service below SLA.
 * Each driver adds to the risk (capped at 1).
 */
export function heuristicChurnRisk(gathered: CustomerFacts, now: number): ChurnRisk {
  const drivers: [number, string][] = [];
  const count = (type: Fact['type']) => gathered.facts.filter((f) => f.type === type).length;
  if (gathered.contacts30d >= 3) drivers.push([0.3, `${gathered.contacts30d} contacts in 30 days`]);
  if (
    gathered.facts.some(
      (f) => /cancel/i.test(f.title) && (f.type === 'similar-contact' || f.type === 'recent-contact'),
    )
  )
    drivers.push([0.4, 'asked about cancelling in the last 30 days']);
  const late = gathered.openTickets.filter((t) => slaClockAt(t.doc, new Date(now)).resolutionBreached).length;
  if (late > 0) drivers.push([0.2, `${late} open ticket${late === 1 ? '' : 's'} past target`]);
  if (count('qoe-below-sla') > 0) drivers.push([0.2, 'service below its SLA this week']);
  const violations = count('sla-violation');
  if (violations > 0)
    drivers.push([Math.min(0.3, 0.1 * violations), `${violations} SLA violations in 30 days`]);
  if (count('outage') > 0) drivers.push([0.1, 'an outage where she uses the service']);
  return {
    risk: Math.min(
      1,
      drivers.reduce((s, [w]) => s + w, 0),
    ),
    drivers: drivers.map(([, d]) => d),
    source:
      'heuristic (contacts, cancellation asks, late tickets, QoE and SLA); replaced by the attrition model when one is fitted',
  };
}

/**
 * What the agent should know before saying hello: tickets of this customer about to breach (or past) their
 * SLA, churn risk, and a self-care attempt just before this contact that evidently did not solve it.
 */
export function alertsFor(gathered: CustomerFacts, churn: ChurnRisk, now: number): Alert[] {
  const alerts: Alert[] = [];
  const nowIso = new Date(now).toISOString();
  for (const t of gathered.openTickets) {
    const clock = slaClockAt(t.doc, new Date(now));
    const target = TICKET_SLA_POLICY[priorityClass(t.doc.priority)]?.resolutionMinutes ?? 24 * 60;
    const soon = Math.max(30, target * 0.25) * MINUTE;
    const left = (clock.resolutionSecondsLeft ?? Infinity) * 1000;
    if (clock.resolutionBreached)
      alerts.push({
        kind: 'sla-breached',
        severity: 'critical',
        title: `Ticket past its resolution target: ${t.name}`,
        detail: `due ${ticketClock(t.doc).resolutionDue}; escalation level ${clock.escalationLevel}`,
        at: nowIso,
        ticketId: t.id,
      });
    else if (left <= soon)
      alerts.push({
        kind: 'sla-breach-soon',
        severity: 'warning',
        title: `Ticket due in ${Math.max(1, Math.round(left / MINUTE))} min: ${t.name}`,
        detail: `resolution due ${clock.resolutionDue}`,
        at: nowIso,
        ticketId: t.id,
      });
  }
  if (churn.risk >= 0.5)
    alerts.push({
      kind: 'churn-risk',
      severity: churn.risk >= 0.8 ? 'critical' : 'warning',
      title: `Churn risk ${Math.round(churn.risk * 100)}%`,
      detail: `${churn.drivers.join('; ')} (${churn.source})`,
      at: nowIso,
    });
  for (const f of gathered.facts)
    if (
      f.type === 'selfcare-attempt' &&
      f.at &&
      now - Date.parse(f.at) <= 2 * 60 * MINUTE &&
      now >= Date.parse(f.at)
    )
      alerts.push({
        kind: 'selfcare-failed',
        severity: f.anomaly ? 'warning' : 'info',
        title: `Tried self-care ${Math.max(1, Math.round((now - Date.parse(f.at)) / MINUTE))} min before this contact`,
        detail: `${f.title} (${f.detail}): it did not solve it`,
        at: f.at,
      });
  const order = { critical: 0, warning: 1, info: 2 };
  return alerts.sort((a, b) => order[a.severity] - order[b.severity]);
}
