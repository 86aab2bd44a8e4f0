import { randomUUID } from 'node:crypto';
import {
  eventProbability,
  fitCox,
  kaplanMeier,
  linearPredictor,
  logRank,
  type CoxFit,
} from '@parley/analytics';
import type { Database } from '@parley/store';
import { parseDoc } from '../agreement/records.js';
import { churnCovariates, type ChurnCovariates } from '../seed/churn.js';
import { analyticsScope, ANALYTICS_USES, type Scope } from './scope.js';

const DAY = 86_400_000;
export const CHURN_COVARIATES: (keyof ChurnCovariates)[] = [
  'tickets',
  'slaViolations',
  'contacts',
  'gold',
  'members',
];
/** The horizon a churn risk is given for. */
export const CHURN_HORIZON_DAYS = 90;

/** One account's life: tenure in days to closing (event) or to now (censored), its holder, its covariates. */
export interface Subject {
  accountId: string;
  partyId: string;
  days: number;
  churned: 0 | 1;
  accountType: string;
  plan: string;
  x: ChurnCovariates;
}

/**
 * Every billing account whose holder's agreements allow service analytics (the vendor's own customers
 * included), as a survival subject: from its creation to its closing (`validFor.endDateTime`), or censored
 * now. Pages of 1,000 accounts, grouped queries per page.
 */
export async function churnSubjects(
  db: Database,
  tenantId: string,
  now: number,
): Promise<{ subjects: Subject[]; excluded: Scope['excluded'] }> {
  const subjects: Subject[] = [];
  const excluded: Scope['excluded'] = {};
  let after = '';
  for (;;) {
    const page = (await db.kysely
      .selectFrom('crm_accounts')
      .select(['id', 'holder_party_id', 'state', 'account_type', 'created_at', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'BillingAccount')
      .where('holder_party_id', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute()) as Record<string, unknown>[];
    if (page.length === 0) break;
    after = page[page.length - 1]?.id as string;
    const scope = await analyticsScope(
      db.kysely,
      tenantId,
      page.map((a) => a.holder_party_id as string),
      ANALYTICS_USES.serviceAnalytics,
    );
    for (const [reason, n] of Object.entries(scope.excluded))
      excluded[reason as keyof Scope['excluded']] =
        (excluded[reason as keyof Scope['excluded']] ?? 0) + (n as number);
    const kept = page.filter((a) => scope.allowed.has(a.holder_party_id as string));
    const covariates = await churnCovariates(
      db,
      tenantId,
      kept.map((a) => a.id as string),
    );
    for (const a of kept) {
      const start = Date.parse(new Date(a.created_at as string).toISOString());
      const closed = a.state === 'closed';
      const endText = (parseDoc(a.doc).validFor as { endDateTime?: string } | undefined)?.endDateTime;
      const end = closed && endText ? Date.parse(endText) : now;
      const x = covariates.get(a.id as string) as ChurnCovariates;
      subjects.push({
        accountId: a.id as string,
        partyId: a.holder_party_id as string,
        days: Math.max(1, Math.ceil((end - start) / DAY)),
        churned: closed && endText ? 1 : 0,
        accountType: String(a.account_type ?? 'unknown'),
        plan: x.gold ? 'Gold' : 'other',
        x,
      });
    }
  }
  return { subjects, excluded };
}

export interface ChurnModel {
  id: string;
  fittedAt: string;
  subjects: number;
  churned: number;
  excluded: Scope['excluded'];
  /** Covariates left out because every subject had the same value. */
  constantCovariates: string[];
  fit: CoxFit;
}

/** Fits the churn model (Cox, Efron ties) on the tenant's accounts now, stores it, and returns it. */
export async function fitChurnModel(db: Database, tenantId: string, now: number): Promise<ChurnModel> {
  const { subjects, excluded } = await churnSubjects(db, tenantId, now);
  // A covariate that never varies (no SLA evaluated yet, a plan nobody has) carries no information: left out.
  const used = CHURN_COVARIATES.filter((c) => new Set(subjects.map((s) => s.x[c])).size > 1);
  const fit = fitCox({
    time: subjects.map((s) => s.days),
    event: subjects.map((s) => s.churned),
    covariates: Object.fromEntries(used.map((c) => [c, subjects.map((s) => s.x[c])])),
  });
  const model: ChurnModel = {
    id: randomUUID(),
    fittedAt: new Date(now).toISOString(),
    subjects: subjects.length,
    churned: subjects.filter((s) => s.churned).length,
    excluded,
    constantCovariates: CHURN_COVARIATES.filter((c) => !used.includes(c)),
    fit,
  };
  await db.kysely
    .insertInto('crm_churn_models')
    .values({ tenant_id: tenantId, id: model.id, fitted_at: model.fittedAt, model: JSON.stringify(model) })
    .execute();
  return model;
}

/** The tenant's newest churn model, if one was fitted. */
export async function latestChurnModel(db: Database, tenantId: string): Promise<ChurnModel | undefined> {
  const row = (await db.kysely
    .selectFrom('crm_churn_models')
    .select('model')
    .where('tenant_id', '=', tenantId)
    .orderBy('fitted_at', 'desc')
    .limit(1)
    .executeTakeFirst()) as { model: string } | undefined;
  return row ? (JSON.parse(row.model) as ChurnModel) : undefined;
}

export interface ChurnRiskAnswer {
  partyId: string;
  accountId: string;
  horizonDays: number;
  /** The probability of closing within the horizon. */
  risk: number;
  relativeHazard: number;
  drivers: { covariate: string; value: number; contribution: number }[];
  model: { id: string; fittedAt: string; concordance: number; subjects: number };
}

/** A customer's churn risk from the fitted model: her accounts' covariates, the riskiest account. */
export async function churnRisk(
  db: Database,
  tenantId: string,
  partyId: string,
  model: ChurnModel,
): Promise<ChurnRiskAnswer | undefined> {
  const accounts = (await db.kysely
    .selectFrom('crm_accounts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('holder_party_id', '=', partyId)
    .where('state', '!=', 'closed')
    .limit(20)
    .execute()) as { id: string }[];
  if (accounts.length === 0) return undefined;
  const covariates = await churnCovariates(
    db,
    tenantId,
    accounts.map((a) => a.id),
  );
  let best: ChurnRiskAnswer | undefined;
  for (const a of accounts) {
    const x = covariates.get(a.id) as ChurnCovariates;
    const lp = linearPredictor(model.fit, x as unknown as Record<string, number>);
    const risk = eventProbability(model.fit, lp, CHURN_HORIZON_DAYS);
    if (best && best.risk >= risk) continue;
    best = {
      partyId,
      accountId: a.id,
      horizonDays: CHURN_HORIZON_DAYS,
      risk,
      relativeHazard: Math.exp(lp),
      drivers: model.fit.covariates
        .map((c) => ({
          covariate: c,
          value: x[c as keyof ChurnCovariates],
          contribution:
            (model.fit.coef[c] as number) * (x[c as keyof ChurnCovariates] - (model.fit.means[c] as number)),
        }))
        .sort((p, q) => q.contribution - p.contribution),
      model: {
        id: model.id,
        fittedAt: model.fittedAt,
        concordance: model.fit.concordance,
        subjects: model.subjects,
      },
    };
  }
  return best;
}

/** The segment label of each member of the tenant's newest segmentation (an empty map when there is none). */
async function newestSegments(db: Database, tenantId: string): Promise<Map<string, string>> {
  const newest = (await db.kysely
    .selectFrom('crm_segmentations')
    .select(['id', 'doc'])
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()) as { id: string; doc: unknown } | undefined;
  const labels = new Map<string, string>();
  if (!newest) return labels;
  const doc = parseDoc(newest.doc) as { segments?: { id: string; label: string }[] };
  const label = new Map((doc.segments ?? []).map((g) => [g.id, g.label]));
  const members = (await db.kysely
    .selectFrom('crm_segment_members')
    .select(['party_id', 'segment_id'])
    .where('tenant_id', '=', tenantId)
    .where('segmentation_id', '=', newest.id)
    .execute()) as { party_id: string; segment_id: string }[];
  for (const m of members) labels.set(m.party_id, label.get(m.segment_id) ?? m.segment_id);
  return labels;
}

/** Kaplan-Meier curves of account survival by an attribute, with the log-rank test between them. */
export async function survivalBy(
  db: Database,
  tenantId: string,
  by: 'plan' | 'accountType' | 'segment' | 'all',
  now: number,
  confType: 'log' | 'log-log' | 'plain' = 'log',
) {
  const { subjects, excluded } = await churnSubjects(db, tenantId, now);
  const segments = by === 'segment' ? await newestSegments(db, tenantId) : undefined;
  const key = (s: Subject) =>
    by === 'plan'
      ? s.plan
      : by === 'accountType'
        ? s.accountType
        : segments
          ? (segments.get(s.partyId) ?? 'not segmented')
          : 'all';
  const groups = [...new Set(subjects.map(key))].sort();
  const curves = groups.map((g) => {
    const mine = subjects.filter((s) => key(s) === g);
    const km = kaplanMeier(
      mine.map((s) => s.days),
      mine.map((s) => s.churned),
      { confType },
    );
    return { group: g, ...km };
  });
  const test =
    groups.length > 1
      ? logRank(
          subjects.map((s) => s.days),
          subjects.map((s) => s.churned),
          subjects.map(key),
        )
      : undefined;
  return { by, subjects: subjects.length, excluded, curves, ...(test ? { logRank: test } : {}) };
}

/**
 * The desktop's churn risk from the newest fitted model (looked up at most once a minute per tenant); none
 * before a model is fitted, so that the desktop falls back to its heuristic.
 */
export function modelChurnRisk(db: Database) {
  const cache = new Map<string, { model: ChurnModel | undefined; expires: number }>();
  return async (tenantId: string, partyId: string) => {
    let hit = cache.get(tenantId);
    if (!hit || hit.expires < Date.now()) {
      hit = { model: await latestChurnModel(db, tenantId), expires: Date.now() + 60_000 };
      cache.set(tenantId, hit);
    }
    if (!hit.model) return undefined;
    const answer = await churnRisk(db, tenantId, partyId, hit.model);
    if (!answer) return undefined;
    const pretty = {
      tickets: 'tickets',
      slaViolations: 'SLA violations',
      contacts: 'contacts',
      gold: 'Gold plan',
      members: 'members',
    };
    return {
      risk: answer.risk,
      drivers: answer.drivers
        .filter((d) => d.contribution > 0.05)
        .slice(0, 3)
        .map(
          (d) =>
            `${pretty[d.covariate as keyof typeof pretty] ?? d.covariate} ${d.value} (hazard x${Math.exp(d.contribution).toFixed(2)})`,
        ),
      source: `Cox model fitted ${answer.model.fittedAt.slice(0, 10)} on ${answer.model.subjects} accounts (C = ${answer.model.concordance.toFixed(2)}); probability of closing within ${answer.horizonDays} days`,
    };
  };
}
