import { sql } from 'kysely';
import type { AnyKysely } from '@parley/store';
import { CLOSED_STATUSES } from '../ticket/ticket.js';
import { analyticsScope, type Scope } from './scope.js';
import type { UseDeclaration } from '../compliance/purpose.js';

const DAY = 86_400_000;

/**
 * The customer features segmentation works on, RFM-style, one value per Individual who holds or uses an account
 * (a member of one, in any role). Windows end at `now`.
 */
export const FEATURES = [
  'recencyDays',
  'frequency30d',
  'monetary30d',
  'tenureDays',
  'contacts90d',
  'openTickets',
  'slaViolations90d',
] as const;
export type Feature = (typeof FEATURES)[number];

export const FEATURE_DESCRIPTIONS: Record<Feature, string> = {
  recencyDays: 'days since her last usage record (90 when none in the last 90 days)',
  frequency30d: 'usage records per 30 days, over the last 90 days (or her tenure, if shorter)',
  monetary30d: 'charges of her usage records per 30 days, over the same window',
  tenureDays: 'days since the creation of her oldest account',
  contacts90d: 'contacts she started (inbound interactions, any channel) in the last 90 days',
  openTickets: 'trouble tickets she reported that are still open',
  slaViolations90d: 'SLA violations on services she uses, in the last 90 days',
};

/** The window of the rate features, in days. */
export const WINDOW_DAYS = 90;

export interface CustomerFeatures {
  partyId: string;
  values: Record<Feature, number>;
}

/** One page of the population: Individuals who are members of an account, in party id order after `after`. */
export async function populationPage(
  db: AnyKysely,
  tenantId: string,
  after: string,
  limit: number,
): Promise<string[]> {
  const rows = (await db
    .selectFrom('crm_account_members as m')
    .innerJoin('crm_parties as p', (j) =>
      j.onRef('p.tenant_id', '=', 'm.tenant_id').onRef('p.id', '=', 'm.party_id'),
    )
    .select('m.party_id')
    .distinct()
    .where('m.tenant_id', '=', tenantId)
    .where('p.kind', '=', 'Individual')
    .where('m.party_id', '>', after)
    .orderBy('m.party_id')
    .limit(limit)
    .execute()) as { party_id: string }[];
  return rows.map((r) => r.party_id);
}

const ms = (v: unknown): number | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.getTime() : Date.parse(String(v));
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/**
 * The features of a page of parties: five grouped queries over the page (usage, accounts, interactions, tickets,
 * violations), each by an index that starts (tenant_id, party_id), whatever the page's size.
 */
export async function featuresOf(
  db: AnyKysely,
  tenantId: string,
  partyIds: readonly string[],
  now: Date,
): Promise<CustomerFeatures[]> {
  if (partyIds.length === 0) return [];
  const nowMs = now.getTime();
  const since = new Date(nowMs - WINDOW_DAYS * DAY).toISOString();
  const ids = [...partyIds];
  const [tenure, usage, contacts, tickets, violations] = await Promise.all([
    db
      .selectFrom('crm_account_members as m')
      .innerJoin('crm_accounts as a', (j) =>
        j.onRef('a.tenant_id', '=', 'm.tenant_id').onRef('a.id', '=', 'm.account_id'),
      )
      .select(['m.party_id as party_id', sql`min(a.created_at)`.as('created')])
      .where('m.tenant_id', '=', tenantId)
      .where('m.party_id', 'in', ids)
      .groupBy('m.party_id')
      .execute() as Promise<{ party_id: string; created: unknown }[]>,
    db
      .selectFrom('crm_usage')
      .select([
        'party_id',
        sql`count(*)`.as('n'),
        sql`sum(coalesce(charge, 0))`.as('charges'),
        sql`max(started_at)`.as('last'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('party_id', 'in', ids)
      .where('started_at', '>=', since)
      .groupBy('party_id')
      .execute() as Promise<{ party_id: string; n: unknown; charges: unknown; last: unknown }[]>,
    db
      .selectFrom('crm_interactions')
      .select(['party_id', sql`count(*)`.as('n')])
      .where('tenant_id', '=', tenantId)
      .where('party_id', 'in', ids)
      .where('started_at', '>=', since)
      .where((eb) => eb.or([eb('direction', 'is', null), eb('direction', '!=', 'outbound')]))
      .groupBy('party_id')
      .execute() as Promise<{ party_id: string; n: unknown }[]>,
    db
      .selectFrom('crm_tickets')
      .select(['party_id', sql`count(*)`.as('n')])
      .where('tenant_id', '=', tenantId)
      .where('party_id', 'in', ids)
      .where('status', 'not in', CLOSED_STATUSES)
      .groupBy('party_id')
      .execute() as Promise<{ party_id: string; n: unknown }[]>,
    db
      .selectFrom('crm_sla_violations')
      .select(['party_id', sql`count(*)`.as('n')])
      .where('tenant_id', '=', tenantId)
      .where('party_id', 'in', ids)
      .where('period_start', '>=', since)
      .groupBy('party_id')
      .execute() as Promise<{ party_id: string; n: unknown }[]>,
  ]);
  const byParty = <T extends { party_id: string }>(rows: T[]) => new Map(rows.map((r) => [r.party_id, r]));
  const t = byParty(tenure);
  const u = byParty(usage);
  const c = byParty(contacts);
  const k = byParty(tickets);
  const v = byParty(violations);
  return ids.map((partyId) => {
    const created = ms(t.get(partyId)?.created) ?? nowMs;
    const tenureDays = Math.max(0, (nowMs - created) / DAY);
    const window = Math.max(1, Math.min(WINDOW_DAYS, tenureDays));
    const use = u.get(partyId);
    const last = ms(use?.last);
    return {
      partyId,
      values: {
        recencyDays: last === null ? WINDOW_DAYS : Math.max(0, (nowMs - last) / DAY),
        frequency30d: (num(use?.n) * 30) / window,
        monetary30d: (num(use?.charges) * 30) / window,
        tenureDays,
        contacts90d: num(c.get(partyId)?.n),
        openTickets: num(k.get(partyId)?.n),
        slaViolations90d: num(v.get(partyId)?.n),
      },
    };
  });
}

/**
 * Walks the whole population a page at a time (keyset on party id), keeps the parties `use` allows and hands
 * their features to `onPage`; returns the exclusions counted by reason.
 */
export async function walkPopulation(
  db: AnyKysely,
  tenantId: string,
  use: UseDeclaration,
  onPage: (page: { allowed: string[]; scope: Scope }) => Promise<void> | void,
  pageSize = 1000,
): Promise<{ considered: number; excluded: Scope['excluded'] }> {
  let after = '';
  let considered = 0;
  const excluded: Scope['excluded'] = {};
  for (;;) {
    const page = await populationPage(db, tenantId, after, pageSize);
    if (page.length === 0) break;
    after = page[page.length - 1] as string;
    considered += page.length;
    const scope = await analyticsScope(db, tenantId, page, use);
    for (const [reason, count] of Object.entries(scope.excluded))
      excluded[reason as keyof Scope['excluded']] =
        (excluded[reason as keyof Scope['excluded']] ?? 0) + (count ?? 0);
    await onPage({ allowed: page.filter((p) => scope.allowed.has(p)), scope });
    if (page.length < pageSize) break;
  }
  return { considered, excluded };
}
