import { Random } from '../seed/random.js';
import {
  FACT_TYPES,
  learnWeights,
  priorWeights,
  rankByRecency,
  rankFacts,
  type Fact,
  type FactType,
  type Weights,
} from './ranking.js';
import { REASON_IDS, type ReasonId } from './reasons.js';

/**
 * Held-out evaluation of the ranking on synthetic contacts. Each contact has a reason, 20 to 40 facts about the
 * customer of every type and age, and the one fact that resolved it. Which type resolves which reason follows a
 * hidden matrix (below), unknown to the ranking, which learns it only from the training contacts' outcomes, as
 * it would from agents marking resolutions. The hidden matrix is deliberately not the ranking's prior.
 */
const TRUTH: Record<ReasonId, Partial<Record<FactType, number>>> = {
  'no-signal': {
    outage: 35,
    'account-state': 20,
    'qoe-below-sla': 15,
    service: 10,
    'open-ticket': 10,
    'similar-contact': 10,
  },
  'slow-data': { 'qoe-below-sla': 40, 'usage-anomaly': 20, outage: 15, 'sla-violation': 15, service: 10 },
  'bill-question': {
    'usage-anomaly': 35,
    'recent-charges': 35,
    'selfcare-attempt': 15,
    'similar-contact': 15,
  },
  'plan-change': { 'recent-charges': 35, service: 30, 'usage-anomaly': 20, agreement: 15 },
  cancel: { 'open-ticket': 30, 'sla-violation': 25, 'similar-contact': 25, 'recent-charges': 20 },
  device: { 'open-ticket': 35, service: 30, 'selfcare-attempt': 20, 'similar-contact': 15 },
  account: { 'selfcare-attempt': 45, 'account-state': 30, 'recent-contact': 25 },
  other: { 'recent-contact': 35, 'open-ticket': 35, 'similar-contact': 30 },
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** How old facts of each type usually are when a customer calls (mean of an exponential), standing facts aside. */
const TYPICAL_AGE: Partial<Record<FactType, number>> = {
  outage: 2 * DAY,
  'qoe-below-sla': 4 * DAY,
  'sla-violation': 10 * DAY,
  'open-ticket': 6 * DAY,
  'similar-contact': 8 * DAY,
  'recent-contact': 6 * DAY,
  'recent-charges': 8 * DAY,
  'usage-anomaly': 6 * DAY,
  'selfcare-attempt': 3 * DAY,
  'account-state': 20 * DAY,
};
const STANDING: readonly FactType[] = ['service', 'agreement'];

export interface SyntheticContact {
  reason: ReasonId;
  facts: Fact[];
  resolvedBy: Fact;
}

/** `count` synthetic contacts at `now`, deterministic from `seed`. */
export function syntheticContacts(count: number, seed: number | string, now: number): SyntheticContact[] {
  const random = new Random(seed);
  const contacts: SyntheticContact[] = [];
  const fact = (type: FactType, n: number, ageScale: number): Fact => {
    const typical = TYPICAL_AGE[type];
    const at =
      STANDING.includes(type) || typical === undefined ? null : now - random.exponential(typical * ageScale);
    return {
      id: `f${n}`,
      type,
      title: type,
      detail: '',
      at: at === null ? null : new Date(at).toISOString(),
      anomaly: type === 'usage-anomaly' ? random.next() * 0.6 : 0,
    };
  };
  for (let c = 0; c < count; c++) {
    const reason = random.pick(REASON_IDS);
    const truth = Object.entries(TRUTH[reason]) as [FactType, number][];
    const resolvingType = random.weighted(truth);
    const facts: Fact[] = [];
    const others = random.int(20, 40);
    for (let i = 0; i < others; i++) facts.push(fact(random.pick(FACT_TYPES), i, 1));
    // The resolving fact is usually fresher than the ordinary run of its type, and more anomalous.
    const resolvedBy = fact(resolvingType, others, 0.5);
    if (resolvingType === 'usage-anomaly') resolvedBy.anomaly = 0.4 + 0.6 * random.next();
    facts.splice(random.int(0, facts.length), 0, resolvedBy);
    contacts.push({ reason, facts, resolvedBy });
  }
  return contacts;
}

export interface RankingScore {
  /** Share of contacts whose resolving fact is among the ten shown. */
  hitAt10: number;
  /** Mean reciprocal rank of the resolving fact (0 when it is not in the first ten). */
  mrr: number;
}

function score(contacts: readonly SyntheticContact[], rank: (c: SyntheticContact) => Fact[]): RankingScore {
  let hits = 0;
  let rr = 0;
  for (const c of contacts) {
    const at = rank(c).findIndex((f) => f.id === c.resolvedBy.id);
    if (at >= 0) {
      hits++;
      rr += 1 / (at + 1);
    }
  }
  return { hitAt10: hits / contacts.length, mrr: rr / contacts.length };
}

export interface Evaluation {
  contacts: number;
  train: number;
  test: number;
  /** Weights learned from the training contacts' resolutions. */
  ranking: RankingScore;
  /** The same ranking with the prior only (nothing learned). */
  priorOnly: RankingScore;
  /** Newest facts first. */
  recency: RankingScore;
  weights: Weights;
}

/** Trains on the first half of `count` synthetic contacts, scores the second half, against recency-only. */
export function evaluateRanking(
  count = 4000,
  seed: number | string = 7,
  now = Date.UTC(2026, 10, 1),
): Evaluation {
  const contacts = syntheticContacts(count, seed, now);
  const train = contacts.slice(0, Math.floor(count / 2));
  const test = contacts.slice(train.length);
  const weights = learnWeights(train.map((c) => ({ reason: c.reason, factType: c.resolvedBy.type })));
  const prior = priorWeights();
  return {
    contacts: count,
    train: train.length,
    test: test.length,
    ranking: score(test, (c) => rankFacts(c.facts, c.reason, weights, now)),
    priorOnly: score(test, (c) => rankFacts(c.facts, c.reason, prior, now)),
    recency: score(test, (c) => rankByRecency(c.facts)),
    weights,
  };
}
