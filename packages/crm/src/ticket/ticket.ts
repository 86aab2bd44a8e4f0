import { sql } from 'kysely';
import { unprocessable } from '../http/problem.js';
import type { ResourceSpec } from '../tmf/resource.js';
import {
  ACCOUNTS,
  ACCOUNT_TYPES,
  PARTIES,
  PARTY_TYPES,
  pick,
  refs,
  requireRefs,
  text,
  type Doc,
} from '../tmf/references.js';

/** TMF621 statuses after which a ticket no longer runs against its SLA clock. */
export const CLOSED_STATUSES = ['resolved', 'closed', 'cancelled', 'rejected'];

/**
 * "The ticket in `column` is open", with the statuses as literals: a planner matches a partial index (such as
 * the open tickets by due date) only against constants, never against bound parameters.
 */
export const isOpenTicket = (column = 'status') =>
  sql<boolean>`${sql.ref(column)} not in (${sql.join(CLOSED_STATUSES.map((s) => sql.lit(s)))})`;
const FINAL = ['closed', 'cancelled', 'rejected'];

/** Response and resolution targets by priority, in minutes (the vendor's default service policy). */
export const TICKET_SLA_POLICY: Record<string, { responseMinutes: number; resolutionMinutes: number }> = {
  critical: { responseMinutes: 15, resolutionMinutes: 4 * 60 },
  high: { responseMinutes: 60, resolutionMinutes: 8 * 60 },
  medium: { responseMinutes: 4 * 60, resolutionMinutes: 24 * 60 },
  low: { responseMinutes: 8 * 60, resolutionMinutes: 72 * 60 },
};

/** TMF621 leaves priority free text; common spellings map onto the policy (1 = critical … 4 = low). */
export function priorityClass(priority: unknown): keyof typeof TICKET_SLA_POLICY {
  const p = String(priority ?? '').toLowerCase();
  if (p === 'critical' || p === 'urgent' || p === '1') return 'critical';
  if (p === 'high' || p === '2') return 'high';
  if (p === 'low' || p === '4') return 'low';
  return 'medium';
}

/** Notes the SLA clock writes when it escalates a ticket; their count is the escalation level. */
export const ESCALATION_AUTHOR = 'Parley SLA clock';

interface StatusChange {
  status: string;
  changeDate: string;
  changeReason?: string;
}

const addMinutes = (iso: string, minutes: number) =>
  new Date(Date.parse(iso) + minutes * 60_000).toISOString();

/** The SLA clock's fixed points, derived from the ticket alone (creation date, priority, status history). */
export function ticketClock(doc: Doc) {
  const created = text(doc.creationDate) ?? new Date(0).toISOString();
  const policy = TICKET_SLA_POLICY[priorityClass(doc.priority)] as {
    responseMinutes: number;
    resolutionMinutes: number;
  };
  const history = (Array.isArray(doc.statusChange) ? doc.statusChange : []) as StatusChange[];
  const responded = history.find((c) => c.status !== 'acknowledged');
  const resolved = CLOSED_STATUSES.includes(String(doc.status))
    ? [...history].reverse().find((c) => CLOSED_STATUSES.includes(c.status))
    : undefined;
  const notes = (Array.isArray(doc.note) ? doc.note : []) as { author?: string }[];
  return {
    responseDue: addMinutes(created, policy.responseMinutes),
    resolutionDue: text(doc.expectedResolutionDate) ?? addMinutes(created, policy.resolutionMinutes),
    respondedAt: responded?.changeDate ?? null,
    resolvedAt: resolved?.changeDate ?? null,
    escalationLevel: notes.filter((n) => n.author === ESCALATION_AUTHOR).length,
  };
}

/** The clock as an agent sees it at `now`: due dates, breaches, time left. */
export function slaClockAt(doc: Doc, now: Date) {
  const clock = ticketClock(doc);
  const at = now.getTime();
  const responseEnd = clock.respondedAt ? Date.parse(clock.respondedAt) : at;
  const resolutionEnd = clock.resolvedAt ? Date.parse(clock.resolvedAt) : at;
  return {
    ...clock,
    priorityClass: priorityClass(doc.priority),
    responseBreached: responseEnd > Date.parse(clock.responseDue),
    resolutionBreached: resolutionEnd > Date.parse(clock.resolutionDue),
    resolutionSecondsLeft: clock.resolvedAt
      ? null
      : Math.round((Date.parse(clock.resolutionDue) - at) / 1000),
  };
}

/**
 * A new ticket as the server stores it: status (default acknowledged), creation date, the first entry of its
 * status history and the resolution date its SLA clock expects. The CRM's own writers (channels/) use it too.
 */
export function openedTicket(doc: Doc, now: string): Doc {
  const status = text(doc.status) ?? 'acknowledged';
  const next: Doc = {
    ...doc,
    status,
    creationDate: now,
    lastUpdate: now,
    statusChangeDate: now,
    statusChange: [
      {
        status,
        changeDate: now,
        ...(doc.statusChangeReason ? { changeReason: doc.statusChangeReason } : {}),
      },
    ],
  };
  next.expectedResolutionDate = ticketClock(next).resolutionDue;
  return next;
}

/** TMF621 TroubleTicket with a server-kept status history (`statusChange`) and SLA clock. */
export const TROUBLE_TICKET: ResourceSpec = {
  api: 'troubleTicket',
  path: '/troubleTicket',
  type: 'TroubleTicket',
  createDefinition: 'TroubleTicket_Create',
  updateDefinition: 'TroubleTicket_Update',
  table: 'crm_tickets',
  partyColumn: 'party_id',
  columns: { status: 'status', priority: 'priority', severity: 'severity', ticketType: 'ticket_type' },
  row: (doc) => {
    const clock = ticketClock(doc);
    return {
      status: text(doc.status) ?? 'acknowledged',
      priority: text(doc.priority) ?? null,
      severity: text(doc.severity) ?? null,
      ticket_type: text(doc.ticketType) ?? null,
      channel: text((doc.channel as { id?: unknown } | undefined)?.id) ?? null,
      party_id: pick(refs(doc.relatedParty), 'customer', PARTY_TYPES)?.id ?? null,
      account_id: pick(refs(doc.relatedEntity), 'account', ACCOUNT_TYPES)?.id ?? null,
      response_due: clock.responseDue,
      resolution_due: clock.resolutionDue,
      responded_at: clock.respondedAt,
      resolved_at: clock.resolvedAt,
      escalation_level: clock.escalationLevel,
    };
  },
  async check(db, tenantId, doc, previous) {
    await requireRefs(db, tenantId, PARTIES, refs(doc.relatedParty), 'body.relatedParty');
    await requireRefs(db, tenantId, ACCOUNTS, refs(doc.relatedEntity), 'body.relatedEntity');
    const now = new Date().toISOString();
    if (!previous) {
      if (doc.statusChange !== undefined) {
        throw unprocessable(
          'body.statusChange: the status history is kept by the server',
          'body.statusChange',
        );
      }
      return openedTicket(doc, now);
    }
    if (JSON.stringify(doc.statusChange) !== JSON.stringify(previous.statusChange)) {
      throw unprocessable('body.statusChange: the status history is kept by the server', 'body.statusChange');
    }
    if (doc.creationDate !== previous.creationDate) {
      throw unprocessable(
        'body.creationDate: set by the server when the ticket was created',
        'body.creationDate',
      );
    }
    const next: Doc = { ...doc, lastUpdate: now };
    if (doc.status !== previous.status) {
      if (FINAL.includes(String(previous.status))) {
        throw unprocessable(
          `body.status: a ${String(previous.status)} ticket cannot change status`,
          'body.status',
        );
      }
      const change = {
        status: doc.status,
        changeDate: now,
        ...(doc.statusChangeReason ? { changeReason: doc.statusChangeReason } : {}),
      };
      next.statusChange = [...((previous.statusChange as StatusChange[] | undefined) ?? []), change];
      next.statusChangeDate = now;
      if (doc.status === 'resolved') next.resolutionDate = now;
    }
    return next;
  },
};
