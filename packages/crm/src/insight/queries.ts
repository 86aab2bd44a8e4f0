import { sql } from 'kysely';
import type { Database } from '@parley/store';
import { breaks, type SlaRule } from '../sla/evaluate.js';
import { isOpenTicket } from '../ticket/ticket.js';

/**
 * The relationship questions the business asks, each a few index lookups (see docs in the functions for the
 * index each one walks). Everything is scoped by tenant: every statement names `tenant_id` first, so another
 * tenant's rows are never read, let alone returned. Times are ISO 8601 (UTC) in and out on both databases.
 *
 * The statements that fetch the details of a page (`id IN (...)`) have no ORDER BY: given one, SQLite's planner
 * may walk the whole table in key order to save a sort of fifty rows (half a second at a million accounts).
 * Those rows are sorted here instead.
 */

const DAY = 86_400_000;

/**
 * "The ticket is open", with the statuses as literals: the same term as the partial indexes on open tickets, which
 * a planner can only match against constants (SQLite never looks into bound parameters of an IN list).
 */
/** The QoE metrics a measurement carries, by SLA rule metric. */
const QOE_METRICS = {
  availability: 'availability',
  throughput: 'throughput',
  latency: 'latency',
  packetLoss: 'packet_loss',
} as const;
type QoeMetric = keyof typeof QOE_METRICS;

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);
const parseDoc = (doc: unknown): Record<string, unknown> =>
  (typeof doc === 'string' ? JSON.parse(doc) : (doc ?? {})) as Record<string, unknown>;
const chunks = <T>(items: T[], size = 500): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export interface Page {
  /** Results to skip (after `after`, if given). */
  offset: number;
  limit: number;
  /**
   * Start after this key (an account or party id, as the results are ordered): keyset paging, where every page
   * costs what the first does, whereas an offset must walk past the skipped results.
   */
  after?: string;
}

/** A page of results and whether more follow it. */
export interface PageResult<T> {
  items: T[];
  hasMore: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// (a) Which users of this account had QoE below their SLA in a period

export interface QoeBelowSlaOptions {
  /** Start of the period, ISO 8601 (default: `to` minus 7 days). */
  from?: string;
  /** End of the period, exclusive (default: now). */
  to?: string;
  /** Compare the period's average (default) or its worst sample with the target. */
  basis?: 'average' | 'worst';
}

export interface QoeBreach {
  metric: QoeMetric;
  operator: '>=' | '<=';
  target: number;
  tolerance: number;
  unit: string | null;
  /** The value compared with the target (the average or the worst sample, per `basis`). */
  observed: number;
  average: number;
  worst: number;
  /** Samples that carry this metric in the period. */
  samples: number;
}

export interface QoeBelowSla {
  account: { id: string; name: string };
  period: { from: string; to: string };
  basis: 'average' | 'worst';
  /** Users with at least one service below its SLA, each with those services and the rules they broke. */
  users: {
    party: { id: string | null; name: string | null };
    /** The user's roles on the account (holder, secondary, guest), if a member. */
    roles: string[];
    services: {
      id: string;
      name: string;
      serviceType: string;
      sla: { id: string; name: string | null };
      breaches: QoeBreach[];
    }[];
  }[];
}

/**
 * Users of an account whose measured quality was below their service's SLA in a period. Walks the account's
 * services (crm_services_by_account) and each service's measurements of the period
 * (crm_qoe_measurements_by_service: tenant, service, time), aggregated per service in SQL; the SLA rules come
 * from the SLA documents. A measurement belongs to the service's user (the service's `relatedParty` user).
 * Returns undefined when the tenant has no such account.
 */
export async function qoeBelowSla(
  db: Database,
  tenantId: string,
  accountId: string,
  options: QoeBelowSlaOptions = {},
): Promise<QoeBelowSla | undefined> {
  const to = options.to ?? new Date().toISOString();
  const from = options.from ?? new Date(Date.parse(to) - 7 * DAY).toISOString();
  const basis = options.basis ?? 'average';
  const k = db.kysely;
  const account = (await k
    .selectFrom('crm_accounts')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', accountId)
    .executeTakeFirst()) as { id: string; name: string } | undefined;
  if (!account) return undefined;

  const rows = (await k
    .selectFrom('crm_services as s')
    .innerJoin('crm_qoe_measurements as m', (j) =>
      j.onRef('m.tenant_id', '=', 's.tenant_id').onRef('m.service_id', '=', 's.id'),
    )
    .where('s.tenant_id', '=', tenantId)
    .where('s.account_id', '=', accountId)
    .where('m.measured_at', '>=', from)
    .where('m.measured_at', '<', to)
    .groupBy(['s.id', 's.name', 's.service_type', 's.user_party_id', 's.sla_id'])
    .select([
      's.id',
      's.name',
      's.service_type',
      's.user_party_id',
      's.sla_id',
      sql<number>`count(m.availability)`.as('availability_n'),
      sql<number>`avg(m.availability)`.as('availability_avg'),
      sql<number>`min(m.availability)`.as('availability_worst'),
      sql<number>`count(m.throughput)`.as('throughput_n'),
      sql<number>`avg(m.throughput)`.as('throughput_avg'),
      sql<number>`min(m.throughput)`.as('throughput_worst'),
      sql<number>`count(m.latency)`.as('latency_n'),
      sql<number>`avg(m.latency)`.as('latency_avg'),
      sql<number>`max(m.latency)`.as('latency_worst'),
      sql<number>`count(m.packet_loss)`.as('packet_loss_n'),
      sql<number>`avg(m.packet_loss)`.as('packet_loss_avg'),
      sql<number>`max(m.packet_loss)`.as('packet_loss_worst'),
    ])
    .execute()) as Record<string, unknown>[];

  const slaIds = [...new Set(rows.map((r) => r.sla_id).filter((v): v is string => typeof v === 'string'))];
  const slas = new Map<string, { name: string; rules: (SlaRule & { unit?: string })[] }>();
  if (slaIds.length > 0) {
    const found = (await k
      .selectFrom('crm_slas')
      .select(['id', 'name', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', slaIds)
      .execute()) as { id: string; name: string; doc: unknown }[];
    for (const s of found) {
      const rules = parseDoc(s.doc).rule;
      slas.set(s.id, { name: s.name, rules: Array.isArray(rules) ? (rules as SlaRule[]) : [] });
    }
  }

  type ServiceOut = QoeBelowSla['users'][number]['services'][number];
  const byUser = new Map<string | null, ServiceOut[]>();
  for (const r of rows) {
    const sla = slas.get(String(r.sla_id));
    if (!sla) continue;
    const breaches: QoeBreach[] = [];
    for (const rule of sla.rules) {
      const column = QOE_METRICS[rule.metric as QoeMetric];
      if (!column) continue; // resolutionTime is about tickets, not measurements
      const samples = Number(r[`${column}_n`] ?? 0);
      if (samples === 0) continue;
      const average = Number(r[`${column}_avg`]);
      const worst = Number(r[`${column}_worst`]);
      const observed = basis === 'worst' ? worst : average;
      if (!breaks(rule, observed)) continue;
      breaches.push({
        metric: rule.metric as QoeMetric,
        operator: rule.operator,
        target: rule.referenceValue,
        tolerance: rule.tolerance ?? 0,
        unit: rule.unit ?? null,
        observed: round(observed),
        average: round(average),
        worst: round(worst),
        samples,
      });
    }
    if (breaches.length === 0) continue;
    const user = (r.user_party_id as string | null) ?? null;
    const list = byUser.get(user) ?? [];
    list.push({
      id: String(r.id),
      name: String(r.name),
      serviceType: String(r.service_type),
      sla: { id: String(r.sla_id), name: sla.name },
      breaches,
    });
    byUser.set(user, list);
  }

  const partyIds = [...byUser.keys()].filter((v): v is string => v !== null);
  const names = new Map<string, string>();
  const roles = new Map<string, string[]>();
  if (partyIds.length > 0) {
    const parties = (await k
      .selectFrom('crm_parties')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', partyIds)
      .execute()) as { id: string; name: string }[];
    for (const p of parties) names.set(p.id, p.name);
    const members = (await k
      .selectFrom('crm_account_members')
      .select(['party_id', 'role'])
      .where('tenant_id', '=', tenantId)
      .where('account_id', '=', accountId)
      .execute()) as { party_id: string; role: string }[];
    for (const m of members) roles.set(m.party_id, [...(roles.get(m.party_id) ?? []), m.role]);
  }
  const users = [...byUser.entries()]
    .map(([id, services]) => ({
      party: { id, name: id === null ? null : (names.get(id) ?? null) },
      roles: id === null ? [] : [...new Set(roles.get(id) ?? [])].sort(),
      services: services.sort((a, b) => compare(a.id, b.id)),
    }))
    .sort((a, b) => compare(a.party.id ?? '', b.party.id ?? ''));
  return { account, period: { from, to }, basis, users };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------------------------
// (b) Accounts with secondary users under parental controls and open tickets

export interface SupervisedWithOpenTicketsOptions extends Page {
  /**
   * `account` (default): any open ticket on the account; `secondary`: only tickets whose customer is one of the
   * supervised secondary users.
   */
  ticketOf?: 'account' | 'secondary';
}

export interface SupervisedAccount {
  account: { id: string; name: string | null; holderPartyId: string | null };
  supervisedMembers: { id: string; partyId: string; partyName: string | null; groupId: string | null }[];
  openTickets: {
    id: string;
    status: string;
    priority: string | null;
    ticketType: string | null;
    partyId: string | null;
    resolutionDue: string | null;
  }[];
}

/**
 * Accounts, in id order, that have a secondary user with parental controls on and an open ticket (not resolved,
 * closed, cancelled or rejected). Walks the tickets in (tenant, account, status) order
 * (crm_tickets_by_account, which covers the status test) and keeps an account at its first open ticket whose
 * account has a supervised secondary (crm_account_members_by_account; with `ticketOf: secondary`, the
 * supervised-member partial index on (tenant, party, account) instead). A page stops as soon as it is full.
 */
export async function supervisedSecondariesWithOpenTickets(
  db: Database,
  tenantId: string,
  options: SupervisedWithOpenTicketsOptions,
): Promise<PageResult<SupervisedAccount>> {
  const k = db.kysely;
  const bySecondary = options.ticketOf === 'secondary';
  const page = (await k
    .selectFrom('crm_tickets as t')
    .select('t.account_id')
    .where('t.tenant_id', '=', tenantId)
    .where('t.account_id', 'is not', null)
    .$if(options.after !== undefined, (q) => q.where('t.account_id', '>', options.after as string))
    .where(isOpenTicket('t.status'))
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('crm_account_members as m')
          .select(sql.lit(1).as('one'))
          .whereRef('m.tenant_id', '=', 't.tenant_id')
          .where((eb) =>
            bySecondary
              ? eb.and([
                  eb('m.party_id', '=', eb.ref('t.party_id')),
                  eb('m.account_id', '=', eb.ref('t.account_id')),
                ])
              : eb('m.account_id', '=', eb.ref('t.account_id')),
          )
          .where('m.role', '=', 'secondary')
          .where('m.parental_controls', '=', 1),
      ),
    )
    .groupBy('t.account_id')
    .orderBy('t.account_id')
    .offset(options.offset)
    .limit(options.limit + 1)
    .execute()) as { account_id: string }[];
  const hasMore = page.length > options.limit;
  const accountIds = page.slice(0, options.limit).map((r) => r.account_id);
  if (accountIds.length === 0) return { items: [], hasMore: false };

  const accounts = (await k
    .selectFrom('crm_accounts')
    .select(['id', 'name', 'holder_party_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', accountIds)
    .execute()) as { id: string; name: string; holder_party_id: string | null }[];
  const members = (await k
    .selectFrom('crm_account_members as m')
    .leftJoin('crm_parties as p', (j) =>
      j.onRef('p.tenant_id', '=', 'm.tenant_id').onRef('p.id', '=', 'm.party_id'),
    )
    .select(['m.id', 'm.account_id', 'm.party_id', 'm.group_id', 'p.name'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.account_id', 'in', accountIds)
    .where('m.role', '=', 'secondary')
    .where('m.parental_controls', '=', 1)
    .execute()) as {
    id: string;
    account_id: string;
    party_id: string;
    group_id: string | null;
    name: string | null;
  }[];
  const tickets = (await k
    .selectFrom('crm_tickets')
    .select(['id', 'account_id', 'status', 'priority', 'ticket_type', 'party_id', 'resolution_due'])
    .where('tenant_id', '=', tenantId)
    .where('account_id', 'in', accountIds)
    .where(isOpenTicket('status'))
    .execute()) as Record<string, unknown>[];
  members.sort((a, b) => compare(a.id, b.id));
  tickets.sort((a, b) => compare(String(a.id), String(b.id)));

  const supervisedParties = new Set(members.map((m) => `${m.account_id} ${m.party_id}`));
  const items = accountIds.map((id): SupervisedAccount => {
    const a = accounts.find((x) => x.id === id);
    return {
      account: { id, name: a?.name ?? null, holderPartyId: a?.holder_party_id ?? null },
      supervisedMembers: members
        .filter((m) => m.account_id === id)
        .map((m) => ({ id: m.id, partyId: m.party_id, partyName: m.name, groupId: m.group_id })),
      openTickets: tickets
        .filter((t) => t.account_id === id)
        .filter((t) => !bySecondary || supervisedParties.has(`${id} ${String(t.party_id)}`))
        .map((t) => ({
          id: String(t.id),
          status: String(t.status),
          priority: (t.priority as string | null) ?? null,
          ticketType: (t.ticket_type as string | null) ?? null,
          partyId: (t.party_id as string | null) ?? null,
          resolutionDue: iso(t.resolution_due),
        })),
    };
  });
  return { items, hasMore };
}

// ---------------------------------------------------------------------------------------------------------------
// (c) Guests who used self-care but are not in billing

export interface SelfcareGuestsOptions extends Page {
  /** Count only self-care interactions that started at or after this time (ISO 8601). */
  since?: string;
}

export interface SelfcareGuest {
  party: { id: string; name: string | null };
  /** The accounts on which the party is a guest. */
  accounts: { id: string; name: string | null; memberId: string }[];
  selfcare: { interactions: number; last: string | null };
}

/**
 * Parties, in id order, that are guests outside billing on some account (the partial index on (tenant, party)
 * where role = guest and in_billing = 0), are in billing nowhere (no member row with in_billing = 1:
 * crm_account_members_by_party), and have at least one self-care interaction
 * (crm_interactions_by_party_channel: tenant, party, channel). A page stops as soon as it is full.
 */
export async function selfcareGuestsOutsideBilling(
  db: Database,
  tenantId: string,
  options: SelfcareGuestsOptions,
): Promise<PageResult<SelfcareGuest>> {
  const k = db.kysely;
  const since = options.since;
  const page = (await k
    .selectFrom('crm_account_members as g')
    .select('g.party_id')
    .where('g.tenant_id', '=', tenantId)
    .where('g.role', '=', 'guest')
    .where('g.in_billing', '=', 0)
    .$if(options.after !== undefined, (q) => q.where('g.party_id', '>', options.after as string))
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom('crm_account_members as b')
            .select(sql.lit(1).as('one'))
            .whereRef('b.tenant_id', '=', 'g.tenant_id')
            .whereRef('b.party_id', '=', 'g.party_id')
            .where('b.in_billing', '=', 1),
        ),
      ),
    )
    .where(({ exists, selectFrom }) => {
      let q = selectFrom('crm_interactions as i')
        .select(sql.lit(1).as('one'))
        .whereRef('i.tenant_id', '=', 'g.tenant_id')
        .whereRef('i.party_id', '=', 'g.party_id')
        .where('i.channel', '=', 'selfcare');
      if (since) q = q.where('i.started_at', '>=', since);
      return exists(q);
    })
    .groupBy('g.party_id')
    .orderBy('g.party_id')
    .offset(options.offset)
    .limit(options.limit + 1)
    .execute()) as { party_id: string }[];
  const hasMore = page.length > options.limit;
  const partyIds = page.slice(0, options.limit).map((r) => r.party_id);
  if (partyIds.length === 0) return { items: [], hasMore: false };

  const parties = (await k
    .selectFrom('crm_parties')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', partyIds)
    .execute()) as { id: string; name: string }[];
  const memberships = (await k
    .selectFrom('crm_account_members as m')
    .leftJoin('crm_accounts as a', (j) =>
      j.onRef('a.tenant_id', '=', 'm.tenant_id').onRef('a.id', '=', 'm.account_id'),
    )
    .select(['m.id', 'm.party_id', 'm.account_id', 'a.name'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.party_id', 'in', partyIds)
    .where('m.role', '=', 'guest')
    .where('m.in_billing', '=', 0)
    .execute()) as { id: string; party_id: string; account_id: string; name: string | null }[];
  memberships.sort((a, b) => compare(a.account_id, b.account_id));
  let usage = k
    .selectFrom('crm_interactions')
    .select(['party_id', sql<number>`count(*)`.as('n'), sql<unknown>`max(started_at)`.as('last')])
    .where('tenant_id', '=', tenantId)
    .where('party_id', 'in', partyIds)
    .where('channel', '=', 'selfcare');
  if (since) usage = usage.where('started_at', '>=', since);
  const stats = (await usage.groupBy('party_id').execute()) as {
    party_id: string;
    n: unknown;
    last: unknown;
  }[];

  const items = partyIds.map((id): SelfcareGuest => {
    const s = stats.find((x) => x.party_id === id);
    return {
      party: { id, name: parties.find((p) => p.id === id)?.name ?? null },
      accounts: memberships
        .filter((m) => m.party_id === id)
        .map((m) => ({ id: m.account_id, name: m.name, memberId: m.id })),
      selfcare: { interactions: Number(s?.n ?? 0), last: iso(s?.last) },
    };
  });
  return { items, hasMore };
}

// ---------------------------------------------------------------------------------------------------------------
// (d) A customer's 360

export interface Customer360Options {
  /** How many of the most recent interactions to return (default 10). */
  interactions?: number;
  /** At most this many accounts (default 100); `truncated` says when there were more. */
  maxAccounts?: number;
}

export interface Customer360 {
  /** How the id was resolved: a TMF629 customer, or a party directly. */
  resolvedFrom: 'customer' | 'party';
  party: { id: string; kind: string; name: string; status: string | null };
  customers: { id: string; name: string; status: string | null }[];
  /** The other parties that appear on the party's accounts (members). */
  parties: { id: string; kind: string; name: string; status: string | null }[];
  accounts: {
    id: string;
    name: string;
    state: string | null;
    accountType: string | null;
    holderPartyId: string | null;
    /** The party's own roles on this account (holder, secondary, guest). */
    roles: string[];
  }[];
  members: {
    id: string;
    accountId: string;
    partyId: string;
    role: string;
    inBilling: boolean;
    parentalControls: boolean;
    groupId: string | null;
    status: string | null;
  }[];
  services: {
    id: string;
    name: string;
    serviceType: string;
    state: string | null;
    accountId: string | null;
    userPartyId: string | null;
    sla: { id: string; name: string | null } | null;
  }[];
  openTickets: {
    id: string;
    status: string;
    priority: string | null;
    severity: string | null;
    ticketType: string | null;
    accountId: string | null;
    partyId: string | null;
    resolutionDue: string | null;
    escalationLevel: number;
  }[];
  recentInteractions: {
    id: string;
    channel: string | null;
    direction: string | null;
    reason: string | null;
    status: string | null;
    startedAt: string | null;
    accountId: string | null;
    ticketId: string | null;
  }[];
  truncated: boolean;
}

/**
 * Everything an agent needs about one customer, from a TMF629 customer id or a party id: the party, its
 * customer records (crm_customers_by_party), the accounts it holds (crm_accounts_by_holder) or is a member of
 * (crm_account_members_by_party), those accounts' members and their parties, services and SLAs
 * (crm_services_by_account), open tickets on those accounts or raised by the party (crm_tickets_by_account,
 * crm_tickets_by_party) and the party's latest interactions (crm_interactions_by_party, newest first).
 * Returns undefined when the id names neither a customer nor a party of the tenant.
 */
export async function customer360(
  db: Database,
  tenantId: string,
  id: string,
  options: Customer360Options = {},
): Promise<Customer360 | undefined> {
  const k = db.kysely;
  const recent = options.interactions ?? 10;
  const maxAccounts = options.maxAccounts ?? 100;
  const customer = (await k
    .selectFrom('crm_customers')
    .select(['engaged_party_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()) as { engaged_party_id: string | null } | undefined;
  const partyId = customer?.engaged_party_id ?? id;
  if (customer && !customer.engaged_party_id) return undefined;
  const partyRow = (await k
    .selectFrom('crm_parties')
    .select(['id', 'kind', 'name', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', partyId)
    .executeTakeFirst()) as { id: string; kind: string; name: string; status: string | null } | undefined;
  if (!partyRow) return undefined;

  const [customers, held, memberOf, interactions, ownTickets] = await Promise.all([
    k
      .selectFrom('crm_customers')
      .select(['id', 'name', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('engaged_party_id', '=', partyId)
      .execute() as Promise<{ id: string; name: string; status: string | null }[]>,
    k
      .selectFrom('crm_accounts')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('holder_party_id', '=', partyId)
      .limit(maxAccounts + 1)
      .execute() as Promise<{ id: string }[]>,
    k
      .selectFrom('crm_account_members')
      .select(['account_id', 'role'])
      .where('tenant_id', '=', tenantId)
      .where('party_id', '=', partyId)
      .limit(maxAccounts + 1)
      .execute() as Promise<{ account_id: string; role: string }[]>,
    recent > 0
      ? (k
          .selectFrom('crm_interactions')
          .select(['id', 'channel', 'direction', 'reason', 'status', 'started_at', 'account_id', 'ticket_id'])
          .where('tenant_id', '=', tenantId)
          .where('party_id', '=', partyId)
          .orderBy('started_at', 'desc')
          .orderBy('id', 'desc')
          .limit(recent)
          .execute() as Promise<Record<string, unknown>[]>)
      : Promise.resolve([] as Record<string, unknown>[]),
    k
      .selectFrom('crm_tickets')
      .select(TICKET_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .where('party_id', '=', partyId)
      .where(isOpenTicket('status'))
      .execute() as Promise<Record<string, unknown>[]>,
  ]);

  const roles = new Map<string, Set<string>>();
  const addRole = (account: string, role: string) =>
    roles.set(account, (roles.get(account) ?? new Set()).add(role));
  for (const a of held) addRole(a.id, 'holder');
  for (const m of memberOf) addRole(m.account_id, m.role);
  const allIds = [...roles.keys()].sort(compare);
  const truncated = allIds.length > maxAccounts;
  const accountIds = allIds.slice(0, maxAccounts);

  const empty = Promise.resolve([] as Record<string, unknown>[]);
  const [accounts, members, services, accountTickets] = await Promise.all([
    accountIds.length
      ? (k
          .selectFrom('crm_accounts')
          .select(['id', 'name', 'state', 'account_type', 'holder_party_id'])
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', accountIds)
          .execute() as Promise<Record<string, unknown>[]>)
      : empty,
    accountIds.length
      ? (k
          .selectFrom('crm_account_members')
          .select([
            'id',
            'account_id',
            'party_id',
            'role',
            'in_billing',
            'parental_controls',
            'group_id',
            'status',
          ])
          .where('tenant_id', '=', tenantId)
          .where('account_id', 'in', accountIds)
          .execute() as Promise<Record<string, unknown>[]>)
      : empty,
    accountIds.length
      ? (k
          .selectFrom('crm_services')
          .select(['id', 'name', 'service_type', 'state', 'account_id', 'user_party_id', 'sla_id'])
          .where('tenant_id', '=', tenantId)
          .where('account_id', 'in', accountIds)
          .execute() as Promise<Record<string, unknown>[]>)
      : empty,
    accountIds.length
      ? (k
          .selectFrom('crm_tickets')
          .select(TICKET_COLUMNS)
          .where('tenant_id', '=', tenantId)
          .where('account_id', 'in', accountIds)
          .where(isOpenTicket('status'))
          .execute() as Promise<Record<string, unknown>[]>)
      : empty,
  ]);

  const memberParties = [...new Set(members.map((m) => String(m.party_id)))].filter((p) => p !== partyId);
  const slaIds = [
    ...new Set(services.map((s) => s.sla_id).filter((v): v is string => typeof v === 'string')),
  ];
  const [parties, slas] = await Promise.all([
    Promise.all(
      chunks(memberParties).map(
        (ids) =>
          k
            .selectFrom('crm_parties')
            .select(['id', 'kind', 'name', 'status'])
            .where('tenant_id', '=', tenantId)
            .where('id', 'in', ids)
            .execute() as Promise<{ id: string; kind: string; name: string; status: string | null }[]>,
      ),
    ).then((r) => r.flat()),
    slaIds.length
      ? (k
          .selectFrom('crm_slas')
          .select(['id', 'name'])
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', slaIds)
          .execute() as Promise<{ id: string; name: string }[]>)
      : Promise.resolve([] as { id: string; name: string }[]),
  ]);
  const slaName = new Map(slas.map((s) => [s.id, s.name]));

  const tickets = new Map<string, Record<string, unknown>>();
  for (const t of [...accountTickets, ...ownTickets]) tickets.set(String(t.id), t);
  const byId = <T extends { id: string }>(a: T, b: T) => compare(a.id, b.id);
  return {
    resolvedFrom: customer ? 'customer' : 'party',
    party: { id: partyRow.id, kind: partyRow.kind, name: partyRow.name, status: partyRow.status ?? null },
    customers: customers.map((c) => ({ id: c.id, name: c.name, status: c.status ?? null })).sort(byId),
    parties: parties
      .map((p) => ({ id: p.id, kind: p.kind, name: p.name, status: p.status ?? null }))
      .sort(byId),
    accounts: accounts
      .map((a) => ({
        id: String(a.id),
        name: String(a.name),
        state: (a.state as string | null) ?? null,
        accountType: (a.account_type as string | null) ?? null,
        holderPartyId: (a.holder_party_id as string | null) ?? null,
        roles: [...(roles.get(String(a.id)) ?? [])].sort(),
      }))
      .sort(byId),
    members: members
      .map((m) => ({
        id: String(m.id),
        accountId: String(m.account_id),
        partyId: String(m.party_id),
        role: String(m.role),
        inBilling: Number(m.in_billing) === 1,
        parentalControls: Number(m.parental_controls) === 1,
        groupId: (m.group_id as string | null) ?? null,
        status: (m.status as string | null) ?? null,
      }))
      .sort(byId),
    services: services
      .map((s) => ({
        id: String(s.id),
        name: String(s.name),
        serviceType: String(s.service_type),
        state: (s.state as string | null) ?? null,
        accountId: (s.account_id as string | null) ?? null,
        userPartyId: (s.user_party_id as string | null) ?? null,
        sla: s.sla_id ? { id: String(s.sla_id), name: slaName.get(String(s.sla_id)) ?? null } : null,
      }))
      .sort(byId),
    openTickets: [...tickets.values()]
      .map((t) => ({
        id: String(t.id),
        status: String(t.status),
        priority: (t.priority as string | null) ?? null,
        severity: (t.severity as string | null) ?? null,
        ticketType: (t.ticket_type as string | null) ?? null,
        accountId: (t.account_id as string | null) ?? null,
        partyId: (t.party_id as string | null) ?? null,
        resolutionDue: iso(t.resolution_due),
        escalationLevel: Number(t.escalation_level ?? 0),
      }))
      .sort(byId),
    recentInteractions: interactions.map((i) => ({
      id: String(i.id),
      channel: (i.channel as string | null) ?? null,
      direction: (i.direction as string | null) ?? null,
      reason: (i.reason as string | null) ?? null,
      status: (i.status as string | null) ?? null,
      startedAt: iso(i.started_at),
      accountId: (i.account_id as string | null) ?? null,
      ticketId: (i.ticket_id as string | null) ?? null,
    })),
    truncated,
  };
}

const TICKET_COLUMNS = [
  'id',
  'status',
  'priority',
  'severity',
  'ticket_type',
  'account_id',
  'party_id',
  'resolution_due',
  'escalation_level',
];
