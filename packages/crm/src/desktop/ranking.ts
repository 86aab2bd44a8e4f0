import { REASON_IDS, REASONS, type ReasonId } from './reasons.js';

/**
 * The in-context ranking: which ten facts about a customer matter for the reason she is in touch. A fact's
 * score is what past resolved contacts teach (how often a fact of its type resolved contacts for this reason),
 * times how recent it is, lifted by how anomalous it is. Every score comes with the sentences that explain it.
 */

export const FACT_TYPES = [
  'outage',
  'qoe-below-sla',
  'sla-violation',
  'service',
  'open-ticket',
  'similar-contact',
  'recent-contact',
  'recent-charges',
  'usage-anomaly',
  'selfcare-attempt',
  'account-state',
  'agreement',
] as const;
export type FactType = (typeof FACT_TYPES)[number];

export interface Fact {
  id: string;
  type: FactType;
  title: string;
  detail: string;
  /** When it happened (ISO); null for standing facts (a service, an agreement). */
  at: string | null;
  /** 0 (ordinary) to 1 (far out of the ordinary): how much it stands out, when measurable. */
  anomaly?: number;
  /** A sentence on the anomaly, shown with it. */
  anomalyWhy?: string;
  href?: string;
}

export interface RankedFact extends Fact {
  score: number;
  why: string[];
}

/** P(fact type resolves | reason), with the evidence behind each number. */
export interface Weights {
  p: Record<ReasonId, Record<FactType, number>>;
  /** Resolved contacts learned from, per reason. */
  n: Record<ReasonId, number>;
  /** Pseudo-counts the prior weighs as. */
  priorStrength: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** How fast each kind of fact stops mattering (half-life). */
const HALF_LIFE: Record<FactType, number> = {
  outage: 12 * HOUR,
  'qoe-below-sla': 3 * DAY,
  'sla-violation': 7 * DAY,
  service: 30 * DAY,
  'open-ticket': 7 * DAY,
  'similar-contact': 5 * DAY,
  'recent-contact': 3 * DAY,
  'recent-charges': 10 * DAY,
  'usage-anomaly': 3 * DAY,
  'selfcare-attempt': 6 * HOUR,
  'account-state': 30 * DAY,
  agreement: 365 * DAY,
};

/**
 * What a support team would say before any contact is resolved in Parley: the starting point learning moves
 * away from as resolutions are recorded (each counts as much as one resolved contact per `priorStrength`).
 */
const PRIOR: Record<ReasonId, Partial<Record<FactType, number>>> = {
  'no-signal': {
    outage: 8,
    'qoe-below-sla': 5,
    service: 4,
    'account-state': 4,
    'open-ticket': 3,
    'sla-violation': 2,
    'similar-contact': 2,
    'selfcare-attempt': 1,
  },
  'slow-data': {
    'qoe-below-sla': 8,
    outage: 4,
    'sla-violation': 4,
    service: 3,
    'usage-anomaly': 3,
    'open-ticket': 2,
    'similar-contact': 2,
  },
  'bill-question': {
    'recent-charges': 8,
    'usage-anomaly': 6,
    'account-state': 3,
    'similar-contact': 3,
    'open-ticket': 2,
    'selfcare-attempt': 2,
  },
  'plan-change': { service: 6, 'recent-charges': 4, 'usage-anomaly': 3, agreement: 2, 'recent-contact': 2 },
  cancel: {
    'sla-violation': 5,
    'qoe-below-sla': 4,
    'open-ticket': 4,
    'similar-contact': 4,
    'recent-charges': 3,
    agreement: 2,
    'account-state': 2,
  },
  device: {
    service: 5,
    'open-ticket': 4,
    'similar-contact': 3,
    outage: 2,
    'qoe-below-sla': 2,
    'selfcare-attempt': 2,
  },
  account: {
    'account-state': 6,
    'selfcare-attempt': 5,
    agreement: 3,
    'recent-contact': 3,
    'similar-contact': 2,
  },
  other: {
    'open-ticket': 4,
    'recent-contact': 4,
    'similar-contact': 3,
    'account-state': 2,
    'recent-charges': 2,
    'qoe-below-sla': 2,
  },
};

function normalised(counts: Partial<Record<FactType, number>>): Record<FactType, number> {
  const total = FACT_TYPES.reduce((s, t) => s + (counts[t] ?? 0), 0);
  return Object.fromEntries(FACT_TYPES.map((t) => [t, total > 0 ? (counts[t] ?? 0) / total : 0])) as Record<
    FactType,
    number
  >;
}

/** The prior alone: nothing learned yet. A small floor keeps every type reachable. */
export function priorWeights(): Weights {
  return learnWeights([]);
}

/**
 * Learns P(type | reason) from resolved contacts (which fact type resolved a contact for which reason): counts
 * smoothed toward the prior with `priorStrength` pseudo-contacts per reason, plus a floor for unseen types.
 */
export function learnWeights(
  resolved: readonly { reason: ReasonId; factType: FactType; count?: number }[],
  priorStrength = 20,
): Weights {
  const counts = Object.fromEntries(
    REASON_IDS.map((r) => [r, {} as Partial<Record<FactType, number>>]),
  ) as Record<ReasonId, Partial<Record<FactType, number>>>;
  const n = Object.fromEntries(REASON_IDS.map((r) => [r, 0])) as Record<ReasonId, number>;
  for (const r of resolved) {
    const c = counts[r.reason];
    if (!c || !(FACT_TYPES as readonly string[]).includes(r.factType)) continue;
    const k = r.count ?? 1;
    c[r.factType] = (c[r.factType] ?? 0) + k;
    n[r.reason] += k;
  }
  const floor = 0.005;
  const p = Object.fromEntries(
    REASON_IDS.map((reason) => {
      const prior = normalised(PRIOR[reason]);
      const seen = counts[reason];
      const total = n[reason];
      const row = Object.fromEntries(
        FACT_TYPES.map((t) => [
          t,
          ((seen[t] ?? 0) + priorStrength * prior[t]) / (total + priorStrength) + floor,
        ]),
      );
      return [reason, row];
    }),
  ) as Weights['p'];
  return { p, n, priorStrength };
}

/** 1 for a fact of now, halving with each half-life of its type; 0.5 for standing facts. */
export function recency(fact: Fact, now: number): number {
  if (!fact.at) return 0.5;
  const age = Math.max(0, now - Date.parse(fact.at));
  return Math.pow(0.5, age / HALF_LIFE[fact.type]);
}

const ago = (ms: number) =>
  ms < HOUR
    ? `${Math.max(1, Math.round(ms / 60_000))} min ago`
    : ms < 2 * DAY
      ? `${Math.round(ms / HOUR)} h ago`
      : `${Math.round(ms / DAY)} days ago`;

const reasonLabel = (reason: ReasonId) => REASONS.find((r) => r.id === reason)?.label ?? reason;

/**
 * Scores and orders the facts for a reason: weight × (0.35 + 0.65 × recency) × (1 + anomaly). Returns the
 * best `limit`, each with why it is there.
 */
export function rankFacts(
  facts: readonly Fact[],
  reason: ReasonId,
  weights: Weights,
  now: number,
  limit = 10,
): RankedFact[] {
  const row = weights.p[reason];
  const ranked = facts.map((fact) => {
    const w = row[fact.type];
    const r = recency(fact, now);
    const anomaly = Math.min(1, Math.max(0, fact.anomaly ?? 0));
    const score = w * (0.35 + 0.65 * r) * (1 + anomaly);
    const learnt = weights.n[reason];
    const why = [
      `${reasonLabel(reason)} contacts were resolved by ${fact.type.replace(/-/g, ' ')} facts ${Math.round(w * 100)}% of the time` +
        (learnt > 0
          ? ` (learned from ${learnt} resolved contacts and the team's prior)`
          : " (the team's prior: no resolved contacts yet)"),
      fact.at ? `${ago(now - Date.parse(fact.at))}: recency ${r.toFixed(2)}` : 'standing fact',
      ...(anomaly > 0 ? [fact.anomalyWhy ?? `anomaly ${anomaly.toFixed(2)}`] : []),
    ];
    return { ...fact, score: Math.round(score * 10_000) / 10_000, why };
  });
  ranked.sort(
    (a, b) => b.score - a.score || (b.at ?? '').localeCompare(a.at ?? '') || a.id.localeCompare(b.id),
  );
  return ranked.slice(0, limit);
}

/** The baseline the ranking must beat: the newest facts first (standing facts last). */
export function rankByRecency(facts: readonly Fact[], limit = 10): Fact[] {
  return [...facts]
    .sort((a, b) => (b.at ?? '').localeCompare(a.at ?? '') || a.id.localeCompare(b.id))
    .slice(0, limit);
}
