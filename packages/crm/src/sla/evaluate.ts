import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '@parley/store';

export interface SlaRule {
  metric: string;
  unit?: string;
  referenceValue: number;
  operator: '>=' | '<=';
  tolerance?: number;
}

const MEASURED: Record<string, string> = {
  availability: 'availability',
  throughput: 'throughput',
  latency: 'latency',
  packetLoss: 'packet_loss',
};

/** Whether an observed value breaks a rule (tolerance counts in the measured value's favour). */
export function breaks(rule: SlaRule, actual: number): boolean {
  const tolerance = rule.tolerance ?? 0;
  return rule.operator === '>='
    ? actual < rule.referenceValue - tolerance
    : actual > rule.referenceValue + tolerance;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

export interface EvaluationResult {
  servicesEvaluated: number;
  violations: number;
}

/**
 * Computes SLA violations for one period: each service's measurements in [from, to) are averaged per metric
 * and compared with the rules of the service's SLA. A violation is recorded once per service, metric and
 * period; evaluating the same period again updates it (measurements may arrive late).
 */
export async function evaluateSlaViolations(
  db: Database,
  tenantId: string,
  period: { from: string; to: string },
): Promise<EvaluationResult> {
  const rows = (await db.kysely
    .selectFrom('crm_qoe_measurements as m')
    .innerJoin('crm_services as s', (j) =>
      j.onRef('s.tenant_id', '=', 'm.tenant_id').onRef('s.id', '=', 'm.service_id'),
    )
    .where('m.tenant_id', '=', tenantId)
    .where('m.measured_at', '>=', period.from)
    .where('m.measured_at', '<', period.to)
    .where('s.sla_id', 'is not', null)
    .groupBy(['m.service_id', 's.sla_id', 's.account_id', 's.user_party_id'])
    .select([
      'm.service_id',
      's.sla_id',
      's.account_id',
      's.user_party_id',
      sql<number>`count(*)`.as('samples'),
      ...Object.values(MEASURED).map((c) => sql<number | null>`avg(m.${sql.ref(c)})`.as(c)),
    ])
    .execute()) as Record<string, unknown>[];
  const slaIds = [...new Set(rows.map((r) => String(r.sla_id)))];
  const rules = new Map<string, SlaRule[]>();
  for (let i = 0; i < slaIds.length; i += 500) {
    const slas = (await db.kysely
      .selectFrom('crm_slas')
      .select(['id', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', slaIds.slice(i, i + 500))
      .execute()) as { id: string; doc: unknown }[];
    for (const s of slas) {
      const doc = (typeof s.doc === 'string' ? JSON.parse(s.doc) : s.doc) as { rule?: SlaRule[] };
      rules.set(s.id, doc.rule ?? []);
    }
  }
  const now = new Date().toISOString();
  const violations: Record<string, unknown>[] = [];
  for (const r of rows) {
    for (const rule of rules.get(String(r.sla_id)) ?? []) {
      const column = MEASURED[rule.metric];
      const actual = column === undefined ? null : (r[column] as number | null);
      if (actual === null || actual === undefined || !breaks(rule, Number(actual))) continue;
      const doc = {
        sla: { id: r.sla_id, '@referredType': 'ServiceLevelAgreement' },
        service: { id: r.service_id, '@referredType': 'Service' },
        ...(r.user_party_id
          ? { relatedParty: [{ id: r.user_party_id, '@referredType': 'Individual', role: 'user' }] }
          : {}),
        rule,
        actualValue: Number(actual),
        samples: Number(r.samples),
        period: { startDateTime: iso(period.from), endDateTime: iso(period.to) },
        date: now,
        '@type': 'SlaViolation',
      };
      violations.push({
        tenant_id: tenantId,
        id: randomUUID(),
        sla_id: r.sla_id,
        service_id: r.service_id,
        account_id: r.account_id ?? null,
        party_id: r.user_party_id ?? null,
        metric: rule.metric,
        period_start: period.from,
        period_end: period.to,
        actual_value: Number(actual),
        created_at: now,
        updated_at: now,
        doc: JSON.stringify(doc),
      });
    }
  }
  await db.kysely.transaction().execute(async (tx) => {
    for (let i = 0; i < violations.length; i += 200) {
      await tx
        .insertInto('crm_sla_violations')
        .values(violations.slice(i, i + 200))
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'service_id', 'metric', 'period_start']).doUpdateSet((eb) => ({
            actual_value: eb.ref('excluded.actual_value'),
            updated_at: eb.ref('excluded.updated_at'),
            doc: eb.ref('excluded.doc'),
          })),
        )
        .execute();
    }
  });
  return { servicesEvaluated: rows.length, violations: violations.length };
}
