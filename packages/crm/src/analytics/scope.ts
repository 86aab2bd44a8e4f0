import type { AnyKysely } from '@parley/store';
import { activeAgreementsOf } from '../agreement/vendor.js';
import { judge, type Exclusion, type UseDeclaration } from '../compliance/purpose.js';

/**
 * Analytics serve the relationship and respect the terms: a computation over customers' data declares what it
 * is (a segment is profiling, churn and QoE studies are service analytics) and takes only the parties whose
 * agreements in force allow it, by the same rules as any declared use (compliance/purpose.ts). The vendor's
 * own records (no agreement) serve its own service analytics.
 */
export const ANALYTICS_USES = {
  /** Survival, churn risk, QoE against SLA, self-care, satisfaction: analysing the service. */
  serviceAnalytics: { kind: 'export', purpose: 'ServiceAnalytics' },
  /** Segmentation: profiling; DoNotTrack keeps her out of every segment. */
  segmentation: { kind: 'segment', purpose: 'ServiceAnalytics' },
} as const satisfies Record<string, UseDeclaration>;

export interface Scope {
  /** Parties whose data the computation may use. */
  allowed: Set<string>;
  /** Parties left out, counted by reason. */
  excluded: Partial<Record<Exclusion, number>>;
}

/** Which of these parties a computation declared as `use` may include (1,000 at a time, one query each). */
export async function analyticsScope(
  db: AnyKysely,
  tenantId: string,
  partyIds: readonly string[],
  use: UseDeclaration,
): Promise<Scope> {
  const allowed = new Set<string>();
  const excluded: Scope['excluded'] = {};
  const unique = [...new Set(partyIds)];
  for (let i = 0; i < unique.length; i += 1000) {
    const page = unique.slice(i, i + 1000);
    const agreements = await activeAgreementsOf(db, tenantId, page);
    for (const partyId of page) {
      const j = judge(use, agreements.get(partyId) ?? []);
      if (j.included) allowed.add(partyId);
      else if (j.reason) excluded[j.reason] = (excluded[j.reason] ?? 0) + 1;
    }
  }
  return { allowed, excluded };
}
