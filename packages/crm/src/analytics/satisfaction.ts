import type { AnyKysely } from '@parley/store';
import { parseDoc } from '../agreement/records.js';
import { CLOSED_STATUSES, ticketClock } from '../ticket/ticket.js';

const DAY = 86_400_000;

/**
 * Satisfaction measured from behaviour, not surveys: what a customer did in the last 90 days that says the
 * service failed her. Four signals, each costing points per event up to a cap; the caps add up to 100:
 *
 *   score = 100 - sum over signals of min(cap, points per event x events)
 *
 * | signal             | event                                                                  | points | cap |
 * | repeatContacts     | a contact she started within 7 days of her previous one on the same reason |  8 | 30 |
 * | abandonedSelfcare  | a self-care interaction whose status is not "completed"                 |  6 | 20 |
 * | lateResolutions    | a ticket of hers resolved after its SLA target (ticketClock), or open past it | 10 | 30 |
 * | reopenedEscalated  | a ticket of hers reopened after resolution, or escalated by the SLA clock |  10 | 20 |
 *
 * 100 is a customer whose contacts all went right the first time; 0 one who hit every cap.
 */
export const SIGNALS = {
  repeatContacts: { points: 8, cap: 30 },
  abandonedSelfcare: { points: 6, cap: 20 },
  lateResolutions: { points: 10, cap: 30 },
  reopenedEscalated: { points: 10, cap: 20 },
} as const;
export type Signal = keyof typeof SIGNALS;
export const SIGNAL_NAMES = Object.keys(SIGNALS) as Signal[];

export const SATISFACTION_WINDOW_DAYS = 90;
export const REPEAT_WITHIN_DAYS = 7;

export interface Satisfaction {
  partyId: string;
  score: number;
  /** Per signal: the events counted and the points they took off (a negative number, or 0). */
  contributions: Record<Signal, { events: number; points: number }>;
}

interface InteractionRow {
  party_id: string;
  channel: string | null;
  direction: string | null;
  reason: string | null;
  status: string | null;
  started_at: unknown;
}

const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Date.parse(String(v)));

/** Counts the signals of each party of a page (two queries per page) and scores them. */
export async function satisfactionOf(
  db: AnyKysely,
  tenantId: string,
  partyIds: readonly string[],
  now: Date,
): Promise<Satisfaction[]> {
  if (partyIds.length === 0) return [];
  const ids = [...partyIds];
  const since = new Date(now.getTime() - SATISFACTION_WINDOW_DAYS * DAY).toISOString();
  const [interactions, tickets] = await Promise.all([
    db
      .selectFrom('crm_interactions')
      .select(['party_id', 'channel', 'direction', 'reason', 'status', 'started_at'])
      .where('tenant_id', '=', tenantId)
      .where('party_id', 'in', ids)
      .where('started_at', '>=', since)
      .orderBy('party_id')
      .orderBy('started_at')
      .execute() as Promise<InteractionRow[]>,
    // Tickets still open, or updated (resolved, reopened, escalated) within the window.
    db
      .selectFrom('crm_tickets')
      .select(['party_id', 'status', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('party_id', 'in', ids)
      .where((eb) => eb.or([eb('updated_at', '>=', since), eb('status', 'not in', CLOSED_STATUSES)]))
      .execute() as Promise<{ party_id: string; status: string; doc: unknown }[]>,
  ]);
  const counts = new Map<string, Record<Signal, number>>(
    ids.map((id) => [
      id,
      { repeatContacts: 0, abandonedSelfcare: 0, lateResolutions: 0, reopenedEscalated: 0 },
    ]),
  );
  const lastByReason = new Map<string, number>();
  for (const i of interactions) {
    const c = counts.get(i.party_id);
    if (!c) continue;
    const at = ms(i.started_at);
    if (i.channel === 'selfcare' && i.status !== 'completed') c.abandonedSelfcare++;
    if (i.direction === 'outbound') continue;
    const key = `${i.party_id}\u0000${i.reason ?? ''}`;
    const previous = lastByReason.get(key);
    if (previous !== undefined && at - previous <= REPEAT_WITHIN_DAYS * DAY) c.repeatContacts++;
    lastByReason.set(key, at);
  }
  const nowMs = now.getTime();
  for (const t of tickets) {
    const c = counts.get(t.party_id);
    if (!c) continue;
    const doc = parseDoc(t.doc);
    const clock = ticketClock(doc);
    const due = Date.parse(clock.resolutionDue);
    const resolved = clock.resolvedAt ? Date.parse(clock.resolvedAt) : null;
    const open = !CLOSED_STATUSES.includes(t.status);
    const late =
      resolved !== null
        ? resolved > due && resolved >= nowMs - SATISFACTION_WINDOW_DAYS * DAY
        : open && nowMs > due;
    if (late) c.lateResolutions++;
    const history = (Array.isArray(doc.statusChange) ? doc.statusChange : []) as { status: string }[];
    const reopened = history.some(
      (h, k) =>
        k > 0 &&
        !CLOSED_STATUSES.includes(h.status) &&
        CLOSED_STATUSES.includes(history[k - 1]?.status ?? ''),
    );
    if (reopened || clock.escalationLevel > 0) c.reopenedEscalated++;
  }
  return ids.map((partyId) => score(partyId, counts.get(partyId) as Record<Signal, number>));
}

/** The score of a customer's signal counts, with each signal's contribution. */
export function score(partyId: string, events: Record<Signal, number>): Satisfaction {
  const contributions = {} as Satisfaction['contributions'];
  let total = 100;
  for (const s of SIGNAL_NAMES) {
    const points = Math.min(SIGNALS[s].cap, SIGNALS[s].points * events[s]);
    contributions[s] = { events: events[s], points: points === 0 ? 0 : -points };
    total -= points;
  }
  return { partyId, score: total, contributions };
}

/** Mean score and mean contributions of a group of customers. */
export function summarize(rows: Satisfaction[]) {
  const n = rows.length;
  const mean = (f: (r: Satisfaction) => number) =>
    n === 0 ? null : Math.round((rows.reduce((a, r) => a + f(r), 0) / n) * 100) / 100;
  const sorted = rows.map((r) => r.score).sort((a, b) => a - b);
  const m = n >> 1;
  return {
    customers: n,
    meanScore: mean((r) => r.score),
    medianScore: n === 0 ? null : n % 2 ? sorted[m] : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2,
    contributions: Object.fromEntries(
      SIGNAL_NAMES.map((s) => [
        s,
        {
          meanEvents: mean((r) => r.contributions[s].events),
          meanPoints: mean((r) => r.contributions[s].points),
        },
      ]),
    ) as Record<Signal, { meanEvents: number | null; meanPoints: number | null }>,
  };
}
