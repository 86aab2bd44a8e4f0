import { migrate, type Database } from '@parley/store';
import { SELFCARE_MIGRATIONS } from '../analytics/migrations-selfcare.js';
import { seedSelfcareSessions } from '../analytics/selfcare-seed.js';
import { ACCOUNT_MEMBER, BILLING_ACCOUNT, USER_GROUP } from '../account/account.js';
import { CUSTOMER } from '../customer/customer.js';
import { PARTY_INTERACTION } from '../interaction/interaction.js';
import { INDIVIDUAL } from '../party/party.js';
import { SERVICE } from '../service/service.js';
import { QOE_MEASUREMENT, SLA } from '../sla/sla.js';
import { ticketClock, TROUBLE_TICKET } from '../ticket/ticket.js';
import type { ResourceSpec } from '../tmf/resource.js';
import { tmfBasePath } from '../tmf/schemas.js';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BulkWriter } from './bulk.js';
import { EMAIL_DOMAINS, FAMILY_NAMES, GIVEN_NAMES } from './names.js';
import { IdMaker, Random } from './random.js';

/**
 * A synthetic telco: account holders with family members (some under parental controls, some in a "Family"
 * group), guests who exist only in the front end, services under Gold/Silver/Bronze SLAs, quality-of-experience
 * measurements (some below target), trouble tickets with their status history, interactions on every channel and
 * usage records (CDRs). Deterministic from the seed (and `now`). Every resource document is what the API stores
 * for it (the create definition plus the members the server fills in), and its columns come from the resource's
 * own `row()`, so seeded data reads, filters and patches exactly like data created over HTTP. Usage records are
 * written as columns only (no document), as a bulk import stores them.
 */
export interface SeedOptions {
  /** Number of billing accounts (one holder each). */
  accounts: number;
  /** Seed of the generator (default 1): the same seed and `now` give the same data. */
  seed?: string | number;
  /** The reference time: measurements fall in the 14 days before it, usage in the 30 days before it. */
  now?: Date;
  /** Usage records per user (holder or secondary); default 20. */
  cdrsPerUser?: number;
  /** QoE measurements per service over the last 14 days; default 4. */
  qoePerService?: number;
  /** Accounts per transaction; default 1000. */
  batchAccounts?: number;
  /**
   * Threads that generate and write (each its own batches of accounts, one writer at a time). Default: 2 on a
   * SQLite file (one generates while the other writes), else 1. The data does not depend on it.
   */
  threads?: number;
  /** Refresh the planner statistics at the end (ANALYZE; on PostgreSQL VACUUM ANALYZE); default true. */
  analyze?: boolean;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedProgress {
  phase: 'accounts' | 'analyze' | 'done';
  accountsDone: number;
  accounts: number;
  rows: number;
  seconds: number;
}

export interface SeedResult {
  tenantId: string;
  accounts: number;
  /** Rows written per table. */
  rows: Record<string, number>;
  totalRows: number;
  seconds: number;
  /** The SLA plans created (name -> id). */
  slas: Record<string, string>;
}

export const SEED_TABLES = [
  'crm_slas',
  'crm_parties',
  'crm_customers',
  'crm_accounts',
  'crm_user_groups',
  'crm_account_members',
  'crm_services',
  'crm_qoe_measurements',
  'crm_tickets',
  'crm_interactions',
  'crm_usage',
  'crm_selfcare_events',
] as const;

interface Plan {
  name: string;
  share: number;
  availability: number;
  throughput: number;
  latency: number;
  packetLoss: number;
  resolutionHours: number;
}

/** SLA plans: targets for availability (%), throughput (Mbit/s), latency (ms), packet loss (%), resolution (h). */
export const SLA_PLANS: readonly Plan[] = [
  {
    name: 'Gold',
    share: 0.15,
    availability: 99.9,
    throughput: 100,
    latency: 30,
    packetLoss: 0.5,
    resolutionHours: 4,
  },
  {
    name: 'Silver',
    share: 0.35,
    availability: 99.5,
    throughput: 50,
    latency: 50,
    packetLoss: 1,
    resolutionHours: 8,
  },
  {
    name: 'Bronze',
    share: 0.5,
    availability: 99,
    throughput: 20,
    latency: 80,
    packetLoss: 2,
    resolutionHours: 24,
  },
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const pad2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const pad3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const isoDays = new Map<number, string>();
/** `Date.prototype.toISOString`, without a Date per call (the generator formats hundreds of millions). */
const iso = (time: number): string => {
  const ms = Math.floor(time);
  const day = Math.floor(ms / DAY);
  let isoDayText = isoDays.get(day);
  if (isoDayText === undefined) {
    isoDayText = new Date(day * DAY).toISOString().slice(0, 11);
    isoDays.set(day, isoDayText);
  }
  let rest = ms - day * DAY;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  return `${isoDayText}${pad2[Math.floor(rest / 60)]}:${pad2[rest % 60]}:${pad2[second]}.${pad3[milli]}Z`;
};
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();

const PARTY_HREF = `${tmfBasePath('party')}/individual`;

const CHANNEL_WEIGHTS = [
  ['phone', 30],
  ['email', 15],
  ['chat', 15],
  ['selfcare', 30],
  ['social', 10],
] as const;

const REASONS: Record<string, readonly string[]> = {
  phone: ['billing question', 'plan change', 'roaming', 'device help', 'cancellation request'],
  email: ['billing question', 'invoice copy', 'address change', 'complaint'],
  chat: ['plan change', 'data usage', 'device help', 'billing question'],
  selfcare: ['check data usage', 'top-up', 'view invoice', 'change plan', 'update contact details'],
  social: ['network outage', 'complaint', 'offer question'],
};

const TICKET_KINDS = [
  ['connectivity', 'No data connection on the mobile', 35],
  ['coverage', 'Poor coverage at home', 15],
  ['billing', 'A charge on the bill is not understood', 25],
  ['device', 'The phone does not register on the network', 10],
] as const;

const PRIORITIES = [
  ['low', 30],
  ['medium', 45],
  ['high', 20],
  ['critical', 5],
] as const;

const OPEN_STATUSES = [
  ['acknowledged', 25],
  ['inProgress', 45],
  ['pending', 20],
  ['held', 10],
] as const;

type Doc = Record<string, unknown>;

/** Runs one spec's row derivation the way the API does: scope, derived columns, document. */
function resourceRow(
  spec: ResourceSpec,
  tenantId: string,
  id: string,
  doc: Doc,
  createdAt: string,
  updatedAt: string,
): Record<string, unknown> {
  return {
    tenant_id: tenantId,
    id,
    created_at: createdAt,
    ...spec.scope,
    ...spec.row(doc),
    updated_at: updatedAt,
    doc: JSON.stringify(doc),
  };
}

interface Person {
  id: string;
  name: string;
  /** The minimal reference (what a client typically sends): id and type. */
  ref: { id: string; '@referredType': 'Individual' };
}

interface UserService {
  id: string;
  type: string;
  cell: string;
}

/** What the generation of one account depends on: the same context and account number give the same rows. */
export interface AccountContext {
  tenantId: string;
  nowMs: number;
  seed: string;
  cdrsPerUser: number;
  qoePerService: number;
  /** Number of radio cells services and CDRs are spread over. */
  cells: number;
  /** Identifier sequence numbers: account n takes [idBase + n * idBlock, ... + idBlock). */
  idBase: number;
  idBlock: number;
  /** SLA reference per plan name. */
  slaRefs: Record<string, Doc>;
}

export type RowSink = (table: string, row: Record<string, unknown>) => void;

/**
 * The generator of single accounts: account n (its people, members, services, measurements, tickets,
 * interactions and usage) from its own PRNG stream, so any thread can make any account and the data does not
 * depend on batches or threads.
 */
export function accountGenerator(ctx: AccountContext, sink: RowSink): (n: number) => void {
  const { tenantId, nowMs, cdrsPerUser, qoePerService, cells } = ctx;
  let random = new Random(ctx.seed);
  let ids = new IdMaker(random, ctx.idBase);
  const add = (spec: ResourceSpec, id: string, doc: Doc, createdAt: number, updatedAt = createdAt) =>
    sink(spec.table, resourceRow(spec, tenantId, id, doc, iso(createdAt), iso(updatedAt)));
  const planRef = new Map(Object.entries(ctx.slaRefs));
  const cellId = (n: number) => `cell-${String(n).padStart(6, '0')}`;
  // The account's contacts so far (self-care sessions are placed before some of them).
  let contacts: { partyId: string; channel: string; at: number }[] = [];

  const person = (given: string, family: string, birthYear: number, created: number): Person => {
    const id = ids.next();
    const name = `${given} ${family}`;
    const email = `${ascii(given)}.${ascii(family)}${random.int(1, 999)}@${random.pick(EMAIL_DOMAINS)}`;
    const phone = `+33 6 ${String(random.int(0, 99_999_999)).padStart(8, '0')}`;
    const birth = Date.UTC(birthYear, random.int(0, 11), random.int(1, 28));
    add(
      INDIVIDUAL,
      id,
      {
        '@type': INDIVIDUAL.type,
        givenName: given,
        familyName: family,
        birthDate: iso(birth),
        status: 'validated',
        contactMedium: [
          { mediumType: 'email', preferred: true, characteristic: { emailAddress: email } },
          { mediumType: 'mobile', preferred: false, characteristic: { phoneNumber: phone } },
        ],
      },
      created,
    );
    return { id, name, ref: { id, '@referredType': 'Individual' } };
  };

  const interaction = (
    who: Person,
    accountRef: Doc,
    channel: string,
    start: number,
    reason: string,
    ticket?: { id: string; name: string },
  ) => {
    const length =
      channel === 'phone'
        ? random.int(2, 25) * MINUTE
        : channel === 'chat'
          ? random.int(4, 30) * MINUTE
          : channel === 'selfcare'
            ? random.int(1, 12) * MINUTE
            : 0;
    const id = ids.next();
    contacts.push({ partyId: who.id, channel, at: start });
    const outbound = (channel === 'phone' || channel === 'email') && random.chance(0.1);
    add(
      PARTY_INTERACTION,
      id,
      {
        '@type': PARTY_INTERACTION.type,
        interactionDate: { startDateTime: iso(start), endDateTime: iso(start + length) },
        reason,
        status: 'completed',
        direction: outbound ? 'outbound' : 'inbound',
        channel: [{ id: channel, href: `/channel/${channel}`, name: channel }],
        relatedParty: [{ ...who.ref, href: `${PARTY_HREF}/${who.id}`, role: 'customer' }],
        interactionItem: [
          ...(ticket
            ? [
                {
                  item: {
                    id: ticket.id,
                    role: 'ticket',
                    '@referredType': 'TroubleTicket',
                  },
                },
              ]
            : []),
          { item: { ...accountRef, role: 'account' } },
        ],
      },
      start + length,
    );
  };

  const qoeValue = (plan: Plan, bad: boolean) => {
    const u = () => random.next();
    if (!bad) {
      return {
        availability: round(Math.min(100, plan.availability + (100 - plan.availability) * (0.3 + 0.7 * u()))),
        throughput: round(plan.throughput * (1.1 + 2 * u()), 1),
        latency: round(plan.latency * (0.3 + 0.6 * u()), 1),
        packetLoss: round(plan.packetLoss * 0.8 * u()),
      };
    }
    // A bad sample: one or two metrics out of target.
    const which = random.int(0, 3);
    const also = random.chance(0.4) ? random.int(0, 3) : -1;
    const out = (m: number) => which === m || also === m;
    return {
      availability: round(
        out(0)
          ? plan.availability - 0.1 - 2 * u()
          : Math.min(100, plan.availability + (100 - plan.availability) * u()),
      ),
      throughput: round(plan.throughput * (out(1) ? 0.2 + 0.7 * u() : 1.05 + u()), 1),
      latency: round(plan.latency * (out(2) ? 1.1 + 2 * u() : 0.4 + 0.5 * u()), 1),
      packetLoss: round(plan.packetLoss * (out(3) ? 1.2 + 3 * u() : 0.8 * u())),
    };
  };

  const ticket = (
    reporter: Person,
    accountRef: Doc,
    accountName: string,
    open: boolean,
    kind: readonly [string, string, number],
    planHours: number,
  ) => {
    const id = ids.next();
    const priority = random.weighted(PRIORITIES);
    const severity = priority === 'critical' ? 'Critical' : priority === 'high' ? 'Major' : 'Minor';
    const channel = random.weighted([
      ['phone', 50],
      ['chat', 20],
      ['email', 15],
      ['selfcare', 15],
    ] as const);
    const created = open
      ? nowMs - random.int(10 * MINUTE, 10 * DAY)
      : nowMs - random.int(10 * DAY, 180 * DAY);
    const changes: { status: string; changeDate: string; changeReason?: string }[] = [
      { status: 'acknowledged', changeDate: iso(created) },
    ];
    let at = created;
    const step = (status: string, after: number, changeReason?: string) => {
      at = Math.min(at + Math.max(MINUTE, after), nowMs - MINUTE);
      changes.push({ status, changeDate: iso(at), ...(changeReason ? { changeReason } : {}) });
    };
    let status: string;
    let resolvedAt: number | undefined;
    if (open) {
      status = random.weighted(OPEN_STATUSES);
      if (status !== 'acknowledged') step('inProgress', random.exponential(2 * HOUR));
      if (status === 'pending') step('pending', random.exponential(6 * HOUR), 'waiting for the customer');
      if (status === 'held') step('held', random.exponential(6 * HOUR), 'waiting for a field technician');
    } else {
      status = random.weighted([
        ['closed', 85],
        ['resolved', 7],
        ['cancelled', 5],
        ['rejected', 3],
      ] as const);
      if (status === 'cancelled') step('cancelled', random.exponential(4 * HOUR), 'the customer withdrew it');
      else if (status === 'rejected') step('rejected', random.exponential(2 * HOUR), 'not a network fault');
      else {
        step('inProgress', random.exponential(2 * HOUR));
        step('resolved', planHours * HOUR * (0.1 + 1.4 * random.next()), 'fixed');
        resolvedAt = at;
        if (status === 'closed') step('closed', random.int(1, 72) * HOUR, 'confirmed by the customer');
      }
    }
    const name = kind[1];
    const doc: Doc = {
      '@type': TROUBLE_TICKET.type,
      name,
      description: `${name} (reported by ${reporter.name})`,
      severity,
      ticketType: kind[0],
      priority,
      channel: { id: channel, name: channel },
      relatedParty: [{ ...reporter.ref, name: reporter.name, role: 'customer' }],
      relatedEntity: [{ ...accountRef, name: accountName, role: 'account' }],
      status,
      creationDate: iso(created),
      lastUpdate: iso(at),
      statusChangeDate: iso(at),
      statusChange: changes,
      ...(resolvedAt !== undefined ? { resolutionDate: iso(resolvedAt) } : {}),
    };
    doc.expectedResolutionDate = ticketClock(doc).resolutionDue;
    add(TROUBLE_TICKET, id, doc, created, at);
    // The contact that opened it, and for resolved ones the call that closed it.
    interaction(reporter, accountRef, channel, created - random.int(1, 10) * MINUTE, kind[0], { id, name });
    if (resolvedAt !== undefined && random.chance(0.5)) {
      interaction(reporter, accountRef, 'phone', resolvedAt, 'resolution follow-up', { id, name });
    }
  };

  const CREATED = 6 * 365 * DAY;

  return (n: number) => {
    random = new Random(`parley-telco:${ctx.seed}:${n}`);
    contacts = [];
    ids = new IdMaker(random, ctx.idBase + n * ctx.idBlock);
    const accountCreated = nowMs - random.int(30 * DAY, CREATED);
    const family = random.pick(FAMILY_NAMES);
    const holder = person(random.pick(GIVEN_NAMES), family, random.int(1945, 2004), accountCreated);
    const accountId = ids.next();
    const accountName = `${family} household ${String(n + 1).padStart(7, '0')}`;
    const accountRef = { id: accountId, '@referredType': 'BillingAccount' };
    const business = random.chance(0.05);
    add(
      BILLING_ACCOUNT,
      accountId,
      {
        '@type': BILLING_ACCOUNT.type,
        name: accountName,
        accountType: business ? 'business' : 'residential',
        state: random.weighted([
          ['active', 96],
          ['suspended', 3],
          ['closed', 1],
        ] as const),
        paymentStatus: random.chance(0.92) ? 'paid' : 'due',
        relatedParty: [{ ...holder.ref, name: holder.name, role: 'holder' }],
      },
      accountCreated,
    );
    add(
      CUSTOMER,
      ids.next(),
      {
        '@type': CUSTOMER.type,
        name: holder.name,
        status: 'Approved',
        engagedParty: { ...holder.ref, name: holder.name },
        account: [{ ...accountRef, name: accountName }],
      },
      accountCreated,
    );

    const secondaryCount = random.weighted([
      [0, 30],
      [1, 30],
      [2, 25],
      [3, 15],
    ] as const);
    let groupRef: { id: string; name: string; '@referredType': string } | undefined;
    if (secondaryCount > 0 && random.chance(0.4)) {
      const id = ids.next();
      groupRef = { id, name: 'Family', '@referredType': 'UserGroup' };
      add(
        USER_GROUP,
        id,
        {
          '@type': USER_GROUP.type,
          name: 'Family',
          description: `The ${family} family`,
          account: { id: accountId, '@referredType': 'BillingAccount' },
        },
        accountCreated,
      );
    }
    const member = (who: Person, role: string, since: number, extra: Doc = {}) =>
      add(
        ACCOUNT_MEMBER,
        ids.next(),
        {
          '@type': ACCOUNT_MEMBER.type,
          account: { id: accountId, '@referredType': 'BillingAccount' },
          party: who.ref,
          role,
          inBilling: role !== 'guest',
          status: 'active',
          validFor: { startDateTime: iso(since) },
          ...extra,
        },
        since,
      );
    member(holder, 'holder', accountCreated, groupRef ? { group: groupRef } : {});

    const users: { who: Person; supervised: boolean; since: number }[] = [
      { who: holder, supervised: false, since: accountCreated },
    ];
    for (let s = 0; s < secondaryCount; s++) {
      const supervised = random.chance(1 / 3);
      const since = accountCreated + random.int(0, Math.max(1, nowMs - accountCreated - DAY));
      const who = person(
        random.pick(GIVEN_NAMES),
        random.chance(0.8) ? family : random.pick(FAMILY_NAMES),
        supervised ? random.int(2008, 2018) : random.int(1950, 2006),
        since,
      );
      member(who, 'secondary', since, {
        ...(supervised
          ? {
              parentalControls: {
                enabled: true,
                contentFilter: random.chance(0.5) ? 'child' : 'teen',
                dailyScreenTimeMinutes: random.int(4, 16) * 15,
                purchaseLimit: random.int(0, 5) * 10,
                quietHours: { start: '21:00', end: '07:00' },
              },
            }
          : {}),
        ...(groupRef ? { group: groupRef } : {}),
      });
      users.push({ who, supervised, since });
    }
    let guest: Person | undefined;
    if (random.chance(0.1)) {
      const since = nowMs - random.int(DAY, 365 * DAY);
      guest = person(random.pick(GIVEN_NAMES), random.pick(FAMILY_NAMES), random.int(1950, 2006), since);
      member(guest, 'guest', since);
    }

    // Services, with the account's SLA plan, and their QoE measurements.
    const plan = random.weighted(SLA_PLANS.map((p) => [p, p.share] as const));
    const homeCell = random.int(0, cells - 1);
    const servicesOf = new Map<Person, UserService[]>();
    for (const [u, user] of users.entries()) {
      const count = random.weighted([
        [1, 55],
        [2, 30],
        [3, 15],
      ] as const);
      const list: UserService[] = [];
      for (let k = 0; k < count; k++) {
        const type =
          k === 0
            ? 'mobile'
            : u === 0
              ? random.weighted([
                  ['fixedBroadband', 60],
                  ['iptv', 20],
                  ['mobileData', 20],
                ] as const)
              : 'mobileData';
        const msisdn = `+33 6 ${String(random.int(0, 99_999_999)).padStart(8, '0')}`;
        const name =
          type === 'mobile'
            ? `Mobile ${msisdn}`
            : type === 'fixedBroadband'
              ? random.chance(0.7)
                ? 'Fibre 1 Gbit/s'
                : 'DSL 20 Mbit/s'
              : type === 'iptv'
                ? 'TV box'
                : 'Data SIM';
        const cell = cellId(random.chance(0.7) ? homeCell : (homeCell + random.int(1, 20)) % cells);
        const id = ids.next();
        const startDate = user.since + random.int(0, DAY);
        add(
          SERVICE,
          id,
          {
            '@type': SERVICE.type,
            name,
            serviceType: type,
            state: random.chance(0.97) ? 'active' : 'inactive',
            startDate: iso(startDate),
            account: { id: accountId, '@referredType': 'BillingAccount' },
            relatedParty: [{ ...user.who.ref, role: 'user' }],
            place: [{ id: cell, role: 'cell' }],
            serviceLevelAgreement: planRef.get(plan.name),
            ...(type === 'mobile' || type === 'mobileData'
              ? { serviceCharacteristic: [{ name: 'msisdn', valueType: 'string', value: msisdn }] }
              : {}),
          },
          startDate,
        );
        list.push({ id, type, cell });
        const poor = random.chance(0.15);
        for (let q = 0; q < qoePerService; q++) {
          const measuredAt = nowMs - random.int(MINUTE, 14 * DAY);
          add(
            QOE_MEASUREMENT,
            ids.next(),
            {
              '@type': QOE_MEASUREMENT.type,
              service: { id, '@referredType': 'Service' },
              measuredAt: iso(measuredAt),
              ...qoeValue(plan, random.chance(poor ? 0.6 : 0.03)),
              cellId: cell,
              account: { id: accountId, '@referredType': 'BillingAccount' },
              relatedParty: [{ ...user.who.ref, role: 'user' }],
            },
            measuredAt,
          );
        }
      }
      servicesOf.set(user.who, list);
    }

    // Trouble tickets: about 5% of accounts have an open one, more have closed ones.
    const supervisedUsers = users.filter((u) => u.supervised);
    const ticketKind = () =>
      supervisedUsers.length > 0 && random.chance(0.2)
        ? (['parentalControls', 'Parental controls block an allowed site', 0] as const)
        : random.weighted(TICKET_KINDS.map((k) => [k, k[2]] as const));
    const reporter = () => (random.chance(0.8) ? holder : random.pick(users).who);
    if (random.chance(0.05))
      ticket(reporter(), accountRef, accountName, true, ticketKind(), plan.resolutionHours);
    const closed = random.weighted([
      [0, 70],
      [1, 24],
      [2, 6],
    ] as const);
    for (let t = 0; t < closed; t++)
      ticket(reporter(), accountRef, accountName, false, ticketKind(), plan.resolutionHours);

    // Other contacts, on every channel; guests use self-care.
    for (const user of users) {
      const count = random.weighted([
        [0, 45],
        [1, 35],
        [2, 15],
        [3, 5],
      ] as const);
      for (let c = 0; c < count; c++) {
        const channel = random.weighted(CHANNEL_WEIGHTS);
        const start = nowMs - random.int(HOUR, 180 * DAY);
        interaction(user.who, accountRef, channel, start, random.pick(REASONS[channel] ?? ['other']));
      }
    }
    if (guest && random.chance(0.6)) {
      const count = random.int(1, 3);
      for (let c = 0; c < count; c++) {
        const start = nowMs - random.int(HOUR, 90 * DAY);
        interaction(guest, accountRef, 'selfcare', start, random.pick(REASONS.selfcare ?? []));
      }
    }

    // Usage records (CDRs), columns only.
    for (const user of users) {
      const services = servicesOf.get(user.who) ?? [];
      for (let c = 0; c < cdrsPerUser; c++) {
        const service = random.pick(services);
        const mobile = service.type === 'mobile';
        const usageType = mobile
          ? random.weighted([
              ['voice', 45],
              ['sms', 25],
              ['data', 30],
            ] as const)
          : 'data';
        const start = nowMs - random.int(MINUTE, 30 * DAY);
        const duration =
          usageType === 'voice'
            ? Math.round(random.exponential(180)) + 1
            : usageType === 'data'
              ? Math.round(random.exponential(1200)) + 1
              : 0;
        const volume =
          usageType === 'data' ? Math.round(Math.exp(random.normal(16, 1.5))) : usageType === 'sms' ? 140 : 0;
        const charge =
          usageType === 'voice'
            ? round(Math.ceil(duration / 60) * 0.02)
            : usageType === 'sms'
              ? 0.05
              : round((volume / 1e9) * 2, 4);
        const cell = mobile && random.chance(0.4) ? cellId(random.int(0, cells - 1)) : service.cell;
        const at = iso(start);
        sink('crm_usage', {
          tenant_id: tenantId,
          account_id: accountId,
          party_id: user.who.id,
          service_id: service.id,
          usage_type: usageType,
          status: 'rated',
          started_at: at,
          duration_s: duration,
          volume_bytes: volume,
          cell_id: cell,
          charge,
          currency: 'EUR',
          created_at: iso(start + duration * 1000 + 5 * MINUTE),
          updated_at: iso(start + duration * 1000 + 5 * MINUTE),
        });
      }
    }

    // Self-care sessions, from their own stream: the draws above do not change.
    seedSelfcareSessions(
      new Random(`parley-telco-selfcare:${ctx.seed}:${n}`),
      {
        accountId,
        users: [...users.map((u) => u.who.id), ...(guest ? [guest.id] : [])],
        contacts,
        nowMs,
        tenantId,
        iso,
      },
      (row) => sink('crm_selfcare_events', row),
    );
  };
}

/** Generates a telco's data into `tenantId` (which must exist) and returns what it wrote. */
export async function seedTelco(db: Database, tenantId: string, options: SeedOptions): Promise<SeedResult> {
  const accounts = options.accounts;
  if (!Number.isInteger(accounts) || accounts < 0) throw new Error('accounts: expected a whole number >= 0');
  const nowMs = (options.now ?? new Date()).getTime();
  const seed = String(options.seed ?? 1);
  const qoePerService = options.qoePerService ?? 4;
  const batch = Math.max(1, options.batchAccounts ?? 1000);
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const written = new Map<string, number>();
  const count = (rows: Map<string, number> | Record<string, number>) => {
    for (const [t, c] of rows instanceof Map ? rows : Object.entries(rows))
      written.set(t, (written.get(t) ?? 0) + c);
  };
  const total = () => [...written.values()].reduce((a, b) => a + b, 0);
  const progress = (phase: SeedProgress['phase'], accountsDone: number) =>
    options.onProgress?.({ phase, accountsDone, accounts, rows: total(), seconds: seconds() });

  // Sequence numbers of identifiers: a block per account, room for every resource it can have.
  const idBlock = 2 ** Math.ceil(Math.log2(128 + 16 * (1 + qoePerService)));
  const idBase = Math.floor(nowMs);
  const slaIds = new IdMaker(new Random(`parley-telco-sla:${seed}`), idBase - 16);
  const slas: Record<string, string> = {};
  const slaRefs: Record<string, Doc> = {};
  await migrate(db, SELFCARE_MIGRATIONS);
  const setup = new BulkWriter(db);
  await setup.prepare(SEED_TABLES);
  for (const plan of SLA_PLANS) {
    const id = slaIds.next();
    slas[plan.name] = id;
    slaRefs[plan.name] = { id, name: plan.name, '@referredType': 'ServiceLevelAgreement' };
    const rule = (
      metric: string,
      unit: string,
      referenceValue: number,
      operator: '>=' | '<=',
      consequence: string,
    ) => ({
      id: `${plan.name.toLowerCase()}-${metric}`,
      metric,
      unit,
      referenceValue,
      operator,
      consequence,
    });
    const created = iso(nowMs - 365 * DAY);
    setup.add(
      SLA.table,
      resourceRow(
        SLA,
        tenantId,
        id,
        {
          '@type': SLA.type,
          name: plan.name,
          description: `${plan.name} service level`,
          version: '1',
          state: 'active',
          validFor: { startDateTime: created },
          rule: [
            rule('availability', '%', plan.availability, '>=', 'service credit of 10% of the monthly fee'),
            rule('throughput', 'Mbit/s', plan.throughput, '>=', 'service credit of 5% of the monthly fee'),
            rule('latency', 'ms', plan.latency, '<=', 'service credit of 5% of the monthly fee'),
            rule('packetLoss', '%', plan.packetLoss, '<=', 'service credit of 5% of the monthly fee'),
            rule('resolutionTime', 'h', plan.resolutionHours, '<=', 'priority handling of the next ticket'),
          ],
        },
        created,
        created,
      ),
    );
  }
  await setup.close();
  count(setup.written);

  const ctx: AccountContext = {
    tenantId,
    nowMs,
    seed,
    cdrsPerUser: options.cdrsPerUser ?? 20,
    qoePerService,
    cells: Math.max(100, Math.ceil(accounts / 10)),
    idBase,
    idBlock,
    slaRefs,
  };
  const file =
    db.kind === 'sqlite' && db.location !== ':memory:' && db.location !== '' ? db.location : undefined;
  const threads = Math.max(
    1,
    Math.floor(options.threads ?? (file ? Math.min(2, availableParallelism()) : 1)),
  );
  if (db.kind === 'sqlite' && file && threads > 1) {
    let done = 0;
    // The write turn, passed between the threads without SQLite's busy polling (see telco-worker.ts).
    const lock = new Int32Array(new SharedArrayBuffer(4));
    await Promise.all(
      Array.from(
        { length: threads },
        (_, index) =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(new URL('./telco-worker.js', import.meta.url), {
              workerData: {
                file,
                synchronous:
                  Number(db.sqlite.pragma('synchronous', { simple: true })) >= 2 ? 'full' : 'normal',
                ctx,
                accounts,
                batch,
                index,
                threads,
                lock,
              },
              resourceLimits: { maxYoungGenerationSizeMb: 64 },
            });
            worker.on('message', (m: { accounts: number; rows: Record<string, number> }) => {
              done += m.accounts;
              count(m.rows);
              progress('accounts', done);
            });
            worker.on('error', reject);
            worker.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`seed: worker ${index} stopped (${code})`)),
            );
          }),
      ),
    );
  } else {
    // One thread: generate a batch while the previous one is written (PostgreSQL), or in turn (SQLite).
    const writer = new BulkWriter(db);
    await writer.prepare(SEED_TABLES);
    const generate = accountGenerator(ctx, (table, row) => writer.add(table, row));
    try {
      for (let start = 0; start < accounts; start += batch) {
        const end = Math.min(accounts, start + batch);
        for (let n = start; n < end; n++) generate(n);
        await writer.flush();
        progress('accounts', end);
      }
      await writer.close();
    } finally {
      await writer.close().catch(() => undefined);
    }
    written.clear();
    count(setup.written);
    count(writer.written);
  }

  // Threads writing in turn leave a long write-ahead log behind: copy it into the database and empty it.
  if (db.kind === 'sqlite' && threads > 1) db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  if (options.analyze !== false) {
    progress('analyze', accounts);
    if (db.kind === 'sqlite') {
      db.sqlite.pragma('analysis_limit = 1000');
      db.sqlite.exec('ANALYZE');
    } else {
      // VACUUM too: it sets the visibility map, without which index-only scans still read the table.
      await db.pool.query(`VACUUM (ANALYZE) ${SEED_TABLES.join(', ')}`);
    }
  }
  const result: SeedResult = {
    tenantId,
    accounts,
    rows: Object.fromEntries(SEED_TABLES.map((t) => [t, written.get(t) ?? 0])),
    totalRows: total(),
    seconds: seconds(),
    slas,
  };
  progress('done', accounts);
  return result;
}
