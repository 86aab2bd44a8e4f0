import { sql, type RawBuilder } from 'kysely';
import type { AnyKysely } from '@parley/store';
import type { Exclusion } from '../compliance/purpose.js';
import { breaks, type SlaRule } from '../sla/evaluate.js';
import { analyticsScope, ANALYTICS_USES } from './scope.js';

/**
 * Quality of experience against SLA, per user, account, user group, cell or service, over any window. Each
 * entity's services' measurements are aggregated per metric (average, or worst sample) and compared with the
 * rules of each service's SLA (sla/evaluate.ts `breaks`); a service and metric that misses its target is a
 * violation, and its evidence is the measurements that broke the rule. Set-based and paged by key: one query
 * finds the page's entities, one aggregates their measurements, one fetches their evidence (a bounded number
 * per entity), whatever the size of the store.
 */
export const QOE_BY = ['user', 'account', 'group', 'cell', 'service'] as const;
export type QoeBy = (typeof QOE_BY)[number];
export type QoeBasis = 'average' | 'worst';

/** Metric name (SLA rule) -> measurement column, and which way is better. */
export const QOE_METRICS = {
  availability: { column: 'availability', higherIsBetter: true },
  throughput: { column: 'throughput', higherIsBetter: true },
  latency: { column: 'latency', higherIsBetter: false },
  packetLoss: { column: 'packet_loss', higherIsBetter: false },
} as const;
export type QoeMetric = keyof typeof QOE_METRICS;
const METRICS = Object.keys(QOE_METRICS) as QoeMetric[];

export interface QoeQuery {
  by: QoeBy;
  from: string;
  to: string;
  basis: QoeBasis;
  limit: number;
  after?: string;
  /** Evidence measurements per entity (default 10). */
  evidence?: number;
  /** Only this entity (the single-entity view). */
  id?: string;
}

export interface QoeEvidence {
  id: string;
  measuredAt: string;
  serviceId: string;
  metric: QoeMetric;
  value: number;
  target: number;
  operator: '>=' | '<=';
}

export interface QoeMetricResult {
  metric: QoeMetric;
  unit: string | null;
  samples: number;
  observed: number;
  /** The target (the strictest when its services' SLAs differ); null when no SLA sets one. */
  target: number | null;
  operator: '>=' | '<=' | null;
  /** Its services' SLAs set different targets for this metric (`target` is then the strictest). */
  targetsDiffer: boolean;
  /** Whether every service with a target met its own; null when none has a target. */
  met: boolean | null;
  services: number;
  /** Services with a target for this metric, and how many of them met it. */
  servicesWithTarget: number;
  servicesMet: number;
}

export interface QoeViolation {
  serviceId: string;
  serviceName: string;
  slaId: string;
  metric: QoeMetric;
  unit: string | null;
  observed: number;
  target: number;
  operator: '>=' | '<=';
  samples: number;
  /** The measurements that broke the rule, newest first (bounded). */
  evidence: QoeEvidence[];
}

export interface QoeServiceResult {
  id: string;
  name: string;
  sla: { id: string; name: string } | null;
  userPartyId: string | null;
  accountId: string | null;
  samples: number;
  metrics: Omit<QoeMetricResult, 'services' | 'servicesWithTarget' | 'servicesMet' | 'targetsDiffer'>[];
}

export interface QoeEntity {
  by: QoeBy;
  id: string;
  name: string | null;
  samples: number;
  services: number;
  /** Share of its services' (service, metric) pairs with a target that met it; null when none has one. */
  compliance: number | null;
  metrics: QoeMetricResult[];
  violations: QoeViolation[];
  /** Per service (the single-entity view). */
  serviceResults?: QoeServiceResult[];
}

export interface QoePage {
  by: QoeBy;
  from: string;
  to: string;
  basis: QoeBasis;
  items: QoeEntity[];
  /** Parties left out on this page because their agreements do not allow service analytics, by reason. */
  excluded: Partial<Record<Exclusion, number>>;
  /** Entities of this page left out (a user, or an account whose holder, is excluded). */
  excludedEntities: number;
  /** The key to pass as `after` for the next page; null on the last page. */
  next: string | null;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const parseDoc = (doc: unknown): Record<string, unknown> =>
  (typeof doc === 'string' ? JSON.parse(doc) : (doc ?? {})) as Record<string, unknown>;

/** The entity key of a measurement row (m: measurement, s: its service, g: the user's membership). */
const KEY: Record<QoeBy, RawBuilder<unknown>> = {
  service: sql`s.id`,
  account: sql`s.account_id`,
  user: sql`s.user_party_id`,
  cell: sql`m.cell_id`,
  group: sql`g.group_id`,
};

function fromClause(by: QoeBy, tenantId: string): RawBuilder<unknown> {
  const base = sql`crm_qoe_measurements m join crm_services s on s.tenant_id = m.tenant_id and s.id = m.service_id`;
  if (by !== 'group') return base;
  return sql`${base} join crm_account_members g on g.tenant_id = s.tenant_id and g.account_id = s.account_id
    and g.party_id = s.user_party_id and g.group_id is not null and g.tenant_id = ${tenantId}`;
}

/** The keys of the page: entities with at least one measurement in the window, in key order after `after`. */
async function pageKeys(db: AnyKysely, tenantId: string, q: QoeQuery): Promise<string[]> {
  const inWindow = (service: RawBuilder<unknown>) =>
    sql`exists (select 1 from crm_qoe_measurements m where m.tenant_id = ${tenantId} and m.service_id = ${service}
      and m.measured_at >= ${q.from} and m.measured_at < ${q.to})`;
  const after = q.after ?? '';
  const only = (column: RawBuilder<unknown>) => (q.id === undefined ? sql`1 = 1` : sql`${column} = ${q.id}`);
  let query: RawBuilder<{ key: string }>;
  switch (q.by) {
    case 'service':
      query = sql`select s.id as key from crm_services s where s.tenant_id = ${tenantId} and s.id > ${after}
        and ${only(sql`s.id`)} and ${inWindow(sql`s.id`)} order by s.id limit ${q.limit}`;
      break;
    case 'account':
      query = sql`select a.id as key from crm_accounts a where a.tenant_id = ${tenantId} and a.id > ${after}
        and ${only(sql`a.id`)} and exists (select 1 from crm_services s where s.tenant_id = ${tenantId}
        and s.account_id = a.id and ${inWindow(sql`s.id`)}) order by a.id limit ${q.limit}`;
      break;
    case 'user':
      query = sql`select distinct s.user_party_id as key from crm_services s where s.tenant_id = ${tenantId}
        and s.user_party_id > ${after} and ${only(sql`s.user_party_id`)} and ${inWindow(sql`s.id`)}
        order by s.user_party_id limit ${q.limit}`;
      break;
    case 'group':
      query = sql`select distinct g.group_id as key from crm_account_members g join crm_services s
        on s.tenant_id = g.tenant_id and s.account_id = g.account_id and s.user_party_id = g.party_id
        where g.tenant_id = ${tenantId} and g.group_id > ${after} and ${only(sql`g.group_id`)}
        and ${inWindow(sql`s.id`)} order by g.group_id limit ${q.limit}`;
      break;
    case 'cell':
      query = sql`select distinct m.cell_id as key from crm_qoe_measurements m where m.tenant_id = ${tenantId}
        and m.cell_id > ${after} and ${only(sql`m.cell_id`)} and m.measured_at >= ${q.from}
        and m.measured_at < ${q.to} order by m.cell_id limit ${q.limit}`;
      break;
  }
  return (await query.execute(db)).rows.map((r) => String(r.key));
}

interface ServiceRow {
  key: string;
  service_id: string;
  name: string;
  sla_id: string | null;
  user_party_id: string | null;
  account_id: string | null;
  n: unknown;
  [aggregate: string]: unknown;
}

/** Names of the page's entities (one indexed read); cells have none. */
async function namesOf(db: AnyKysely, tenantId: string, by: QoeBy, keys: string[]) {
  const table = {
    service: 'crm_services',
    account: 'crm_accounts',
    user: 'crm_parties',
    group: 'crm_user_groups',
    cell: null,
  }[by];
  if (!table || keys.length === 0) return new Map<string, string>();
  const rows = (await db
    .selectFrom(table)
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', keys)
    .execute()) as { id: string; name: string }[];
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** One page of entities with their QoE against SLA, or one entity (`q.id`) in full. */
export async function qoeAgainstSla(db: AnyKysely, tenantId: string, q: QoeQuery): Promise<QoePage> {
  const keys = await pageKeys(db, tenantId, q);
  const page: QoePage = {
    by: q.by,
    from: q.from,
    to: q.to,
    basis: q.basis,
    items: [],
    excluded: {},
    excludedEntities: 0,
    next: keys.length === q.limit ? (keys[keys.length - 1] ?? null) : null,
  };
  if (keys.length === 0) return page;
  const key = KEY[q.by];
  const aggregates = METRICS.map((metric) => {
    const c = sql.ref(`m.${QOE_METRICS[metric].column}`);
    return sql`count(${c}) as ${sql.ref(`${metric}_n`)}, avg(${c}) as ${sql.ref(`${metric}_avg`)},
      min(${c}) as ${sql.ref(`${metric}_min`)}, max(${c}) as ${sql.ref(`${metric}_max`)}`;
  });
  const { rows } = await sql<ServiceRow>`
    select ${key} as key, s.id as service_id, s.name, s.sla_id, s.user_party_id, s.account_id, count(*) as n,
      ${sql.join(aggregates)}
    from ${fromClause(q.by, tenantId)}
    where m.tenant_id = ${tenantId} and m.measured_at >= ${q.from} and m.measured_at < ${q.to}
      and ${key} in (${sql.join(keys)})
    group by ${key}, s.id, s.name, s.sla_id, s.user_party_id, s.account_id`.execute(db);

  // Respect the terms: per user, account and group, only parties whose agreements allow service analytics.
  let allowedParty: (id: string | null) => boolean = () => true;
  let allowedKey: (id: string) => boolean = () => true;
  if (q.by === 'user' || q.by === 'account' || q.by === 'group') {
    const holders =
      q.by === 'account'
        ? ((await db
            .selectFrom('crm_accounts')
            .select(['id', 'holder_party_id'])
            .where('tenant_id', '=', tenantId)
            .where('id', 'in', keys)
            .execute()) as { id: string; holder_party_id: string | null }[])
        : [];
    const parties = [
      ...rows.map((r) => r.user_party_id),
      ...holders.map((h) => h.holder_party_id),
      ...(q.by === 'user' ? keys : []),
    ].filter((p): p is string => typeof p === 'string');
    const scope = await analyticsScope(db, tenantId, parties, ANALYTICS_USES.serviceAnalytics);
    page.excluded = scope.excluded;
    allowedParty = (id) => id === null || scope.allowed.has(id);
    const holderOf = new Map(holders.map((h) => [h.id, h.holder_party_id]));
    allowedKey = (id) =>
      q.by === 'user'
        ? scope.allowed.has(id)
        : q.by === 'account'
          ? allowedParty(holderOf.get(id) ?? null)
          : true;
  }
  const included = keys.filter((k) => allowedKey(k));
  page.excludedEntities = keys.length - included.length;
  const services = rows.filter((r) => allowedKey(String(r.key)) && allowedParty(r.user_party_id));

  const slaIds = [...new Set(services.map((r) => r.sla_id).filter((v): v is string => !!v))];
  const slas = new Map<string, { name: string; rules: Map<QoeMetric, SlaRule> }>();
  if (slaIds.length > 0)
    for (const s of (await db
      .selectFrom('crm_slas')
      .select(['id', 'name', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', slaIds)
      .execute()) as { id: string; name: string; doc: unknown }[]) {
      const rules = parseDoc(s.doc).rule;
      slas.set(s.id, {
        name: s.name,
        rules: new Map(
          (Array.isArray(rules) ? (rules as SlaRule[]) : [])
            .filter((r) => r.metric in QOE_METRICS)
            .map((r) => [r.metric as QoeMetric, r]),
        ),
      });
    }

  // Evidence: the measurements that break a rule of their service's SLA, newest first, a bounded number per entity.
  const breaking = [...slas.entries()].flatMap(([slaId, sla]) =>
    [...sla.rules.values()].map((rule) => {
      const column = sql.ref(`m.${QOE_METRICS[rule.metric as QoeMetric].column}`);
      const tolerance = rule.tolerance ?? 0;
      return rule.operator === '>='
        ? sql`(s.sla_id = ${slaId} and ${column} < ${rule.referenceValue - tolerance})`
        : sql`(s.sla_id = ${slaId} and ${column} > ${rule.referenceValue + tolerance})`;
    }),
  );
  const evidenceRows =
    breaking.length === 0 || included.length === 0
      ? []
      : (
          await sql<Record<string, unknown>>`
        select * from (
          select ${key} as key, m.id, m.measured_at, m.service_id, s.sla_id, s.user_party_id,
            m.availability, m.throughput, m.latency, m.packet_loss,
            row_number() over (partition by ${key} order by m.measured_at desc, m.id) as rn
          from ${fromClause(q.by, tenantId)}
          where m.tenant_id = ${tenantId} and m.measured_at >= ${q.from} and m.measured_at < ${q.to}
            and ${key} in (${sql.join(included)}) and (${sql.join(breaking, sql` or `)})
        ) e where e.rn <= ${q.evidence ?? 10}
        order by e.key, e.measured_at desc, e.id`.execute(db)
        ).rows.filter((r) => allowedParty((r.user_party_id ?? null) as string | null));

  const names = await namesOf(db, tenantId, q.by, included);
  for (const id of included) {
    const mine = services.filter((r) => String(r.key) === id);
    if (mine.length === 0) continue;
    const serviceResults: QoeServiceResult[] = mine.map((r) => {
      const sla = r.sla_id ? slas.get(r.sla_id) : undefined;
      return {
        id: r.service_id,
        name: r.name,
        sla: r.sla_id && sla ? { id: r.sla_id, name: sla.name } : null,
        userPartyId: r.user_party_id,
        accountId: r.account_id,
        samples: Number(r.n),
        metrics: METRICS.filter((m) => Number(r[`${m}_n`] ?? 0) > 0).map((metric) => {
          const rule = sla?.rules.get(metric);
          const worst = QOE_METRICS[metric].higherIsBetter ? r[`${metric}_min`] : r[`${metric}_max`];
          const observed = Number(q.basis === 'worst' ? worst : r[`${metric}_avg`]);
          return {
            metric,
            unit: rule?.unit ?? null,
            samples: Number(r[`${metric}_n`]),
            observed: round(observed),
            target: rule?.referenceValue ?? null,
            operator: rule?.operator ?? null,
            met: rule ? !breaks(rule, observed) : null,
          };
        }),
      };
    });
    const metrics: QoeMetricResult[] = [];
    for (const metric of METRICS) {
      const parts = serviceResults.flatMap((s) => s.metrics.filter((m) => m.metric === metric));
      if (parts.length === 0) continue;
      const samples = parts.reduce((sum, p) => sum + p.samples, 0);
      const better = QOE_METRICS[metric].higherIsBetter;
      const observed =
        q.basis === 'worst'
          ? (better ? Math.min : Math.max)(...parts.map((p) => p.observed))
          : parts.reduce((sum, p) => sum + p.observed * p.samples, 0) / samples;
      const targeted = parts.filter((p) => p.target !== null);
      const strictest = targeted.reduce<(typeof parts)[number] | undefined>(
        (best, p) =>
          best === undefined ||
          (p.operator === '>='
            ? Number(p.target) > Number(best.target)
            : Number(p.target) < Number(best.target))
            ? p
            : best,
        undefined,
      );
      metrics.push({
        metric,
        unit: strictest?.unit ?? null,
        samples,
        observed: round(observed),
        target: strictest?.target ?? null,
        operator: strictest?.operator ?? null,
        targetsDiffer: new Set(targeted.map((p) => `${p.operator}${p.target}`)).size > 1,
        met: targeted.length === 0 ? null : targeted.every((p) => p.met === true),
        services: parts.length,
        servicesWithTarget: targeted.length,
        servicesMet: targeted.filter((p) => p.met === true).length,
      });
    }
    const evaluated = serviceResults.flatMap((s) => s.metrics.filter((m) => m.met !== null));
    const evidence = evidenceRows.filter((e) => String(e.key) === id);
    const violations: QoeViolation[] = serviceResults.flatMap((s) =>
      s.metrics
        .filter((m) => m.met === false)
        .map((m) => {
          const rule = s.sla ? slas.get(s.sla.id)?.rules.get(m.metric) : undefined;
          const column = QOE_METRICS[m.metric].column;
          return {
            serviceId: s.id,
            serviceName: s.name,
            slaId: s.sla?.id ?? '',
            metric: m.metric,
            unit: m.unit,
            observed: m.observed,
            target: Number(m.target),
            operator: m.operator ?? '>=',
            samples: m.samples,
            evidence: evidence
              .filter(
                (e) =>
                  e.service_id === s.id &&
                  rule !== undefined &&
                  e[column] !== null &&
                  e[column] !== undefined &&
                  breaks(rule, Number(e[column])),
              )
              .map((e) => ({
                id: String(e.id),
                measuredAt: iso(e.measured_at),
                serviceId: s.id,
                metric: m.metric,
                value: Number(e[column]),
                target: Number(m.target),
                operator: m.operator ?? '>=',
              })),
          };
        }),
    );
    page.items.push({
      by: q.by,
      id,
      name: q.by === 'cell' ? id : (names.get(id) ?? null),
      samples: serviceResults.reduce((sum, s) => sum + s.samples, 0),
      services: serviceResults.length,
      compliance:
        evaluated.length === 0
          ? null
          : round(evaluated.filter((m) => m.met === true).length / evaluated.length, 4),
      metrics,
      violations,
      ...(q.id !== undefined ? { serviceResults } : {}),
    });
  }
  return page;
}
