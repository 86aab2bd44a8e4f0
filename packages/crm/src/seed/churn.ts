import type { Database } from '@parley/store';
import { parseDoc } from '../agreement/records.js';
import { evaluateSlaViolations } from '../sla/evaluate.js';
import { Random } from './random.js';

const DAY = 86_400_000;

/** The hazard the simulation gives each covariate (per unit), so that a fitted model can be checked against it. */
export const SIMULATED_CHURN_EFFECTS = {
  tickets: 0.25,
  slaViolations: 0.15,
  contacts: 0.04,
  gold: -0.6,
  members: -0.2,
} as const;

/**
 * Churn for a seeded telco, opt-in and after seeding (the seed's own draws do not move): each account gets a
 * churn time from a proportional hazard on its tickets, SLA violations (evaluated first, over the seed's two
 * weeks of measurements), contacts, plan and members (SIMULATED_CHURN_EFFECTS, base `dailyHazard`), and an account whose churn time falls before `now` is closed
 * then: state `closed`, `validFor.endDateTime`. Returns how many it closed.
 */
export async function simulateChurn(
  db: Database,
  tenantId: string,
  options: { seed?: number | string; now?: Date; dailyHazard?: number } = {},
): Promise<{ accounts: number; closed: number }> {
  const random = new Random(`churn:${options.seed ?? 1}`);
  const now = (options.now ?? new Date()).getTime();
  const base = options.dailyHazard ?? 0.0006;
  const k = db.kysely;
  // The seed's QoE measurements cover the last 14 days: the SLA violations of those two weeks first.
  for (const week of [2, 1])
    await evaluateSlaViolations(db, tenantId, {
      from: new Date(now - week * 7 * DAY).toISOString(),
      to: new Date(now - (week - 1) * 7 * DAY).toISOString(),
    });
  let after = '';
  let accounts = 0;
  let closed = 0;
  for (;;) {
    const page = (await k
      .selectFrom('crm_accounts')
      .select(['id', 'created_at', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'BillingAccount')
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute()) as { id: string; created_at: unknown; doc: unknown }[];
    if (page.length === 0) break;
    after = page[page.length - 1]?.id as string;
    const covariates = await churnCovariates(
      db,
      tenantId,
      page.map((a) => a.id),
    );
    await k.transaction().execute(async (tx) => {
      for (const a of page) {
        accounts++;
        const x = covariates.get(a.id);
        if (!x) continue;
        const eta = Object.entries(SIMULATED_CHURN_EFFECTS).reduce(
          (s, [name, beta]) => s + beta * x[name as keyof ChurnCovariates],
          0,
        );
        const start = Date.parse(new Date(a.created_at as string).toISOString());
        const churnAt = start + (-Math.log(1 - random.next()) / (base * Math.exp(eta))) * DAY;
        if (churnAt >= now) continue;
        const at = new Date(Math.max(start + DAY, churnAt)).toISOString();
        const doc = { ...parseDoc(a.doc), state: 'closed', validFor: { endDateTime: at } };
        await tx
          .updateTable('crm_accounts')
          .set({ state: 'closed', doc: JSON.stringify(doc), updated_at: at })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', a.id)
          .execute();
        closed++;
      }
    });
  }
  return { accounts, closed };
}

export interface ChurnCovariates {
  tickets: number;
  slaViolations: number;
  contacts: number;
  /** 1 when the account's services are on the Gold plan. */
  gold: number;
  /** Members besides the holder. */
  members: number;
}

/** The churn covariates of these accounts, in five grouped queries. */
export async function churnCovariates(
  db: Database,
  tenantId: string,
  accountIds: readonly string[],
): Promise<Map<string, ChurnCovariates>> {
  const k = db.kysely;
  const out = new Map<string, ChurnCovariates>(
    accountIds.map((id) => [id, { tickets: 0, slaViolations: 0, contacts: 0, gold: 0, members: 0 }]),
  );
  if (accountIds.length === 0) return out;
  const ids = [...accountIds];
  const count = async (table: string, field: keyof ChurnCovariates) => {
    const rows = (await k
      .selectFrom(table)
      .select(['account_id', (eb) => eb.fn.countAll().as('n')])
      .where('tenant_id', '=', tenantId)
      .where('account_id', 'in', ids)
      .groupBy('account_id')
      .execute()) as { account_id: string; n: number | string }[];
    for (const r of rows) {
      const x = out.get(r.account_id);
      if (x) x[field] = Number(r.n);
    }
  };
  await count('crm_tickets', 'tickets');
  await count('crm_sla_violations', 'slaViolations');
  await count('crm_interactions', 'contacts');
  await count('crm_account_members', 'members');
  for (const x of out.values()) x.members = Math.max(0, x.members - 1);
  const gold = (await k
    .selectFrom('crm_services as s')
    .innerJoin('crm_slas as l', (j) =>
      j.onRef('l.tenant_id', '=', 's.tenant_id').onRef('l.id', '=', 's.sla_id'),
    )
    .select('s.account_id')
    .distinct()
    .where('s.tenant_id', '=', tenantId)
    .where('s.account_id', 'in', ids)
    .where('l.name', 'like', 'Gold%')
    .execute()) as { account_id: string }[];
  for (const g of gold) {
    const x = out.get(g.account_id);
    if (x) x.gold = 1;
  }
  return out;
}
