import { FEATURES, type Feature } from './segments-features.js';

/**
 * Profiles a marketer can read: how a segment's features stand against the whole population, as a label ("High
 * value, long tenure, rarely contacts us") and a sentence with the numbers. A feature stands out when the
 * segment's mean of log(1 + x) is at least half a population standard deviation (of log(1 + x)) away from the
 * population's: counts and amounts are skewed, and on the log scale "twice as much" weighs the same anywhere.
 */
export interface FeatureStats {
  mean: number;
  median: number;
}

export type Profile = Record<Feature, FeatureStats>;

/** What each feature says when it is high or low, from the customer's side of the relationship. */
const WORDS: Record<Feature, { high: string; low: string; unit: (x: number) => string }> = {
  monetary30d: {
    high: 'high value',
    low: 'low spend',
    unit: (x) => `${x.toFixed(2)} per 30 days in charges`,
  },
  frequency30d: {
    high: 'heavy users',
    low: 'light users',
    unit: (x) => `${x.toFixed(1)} usage records per 30 days`,
  },
  recencyDays: {
    high: 'recently quiet',
    low: 'active lately',
    unit: (x) => `last used the service ${x.toFixed(1)} days ago`,
  },
  tenureDays: {
    high: 'long tenure',
    low: 'new customers',
    unit: (x) => `with us ${(x / 365).toFixed(1)} years`,
  },
  contacts90d: {
    high: 'contacts us often',
    low: 'rarely contacts us',
    unit: (x) => `${x.toFixed(1)} contacts in 90 days`,
  },
  openTickets: {
    high: 'many complaints',
    low: 'no open complaints',
    unit: (x) => `${x.toFixed(2)} open tickets`,
  },
  slaViolations90d: {
    high: 'service below its SLA',
    low: 'service within its SLA',
    unit: (x) => `${x.toFixed(1)} SLA violations in 90 days`,
  },
};

/** The order features are named in when they stand out equally: value first, as a marketer reads. */
const ORDER: Feature[] = [
  'monetary30d',
  'recencyDays',
  'tenureDays',
  'frequency30d',
  'openTickets',
  'contacts90d',
  'slaViolations90d',
];

const THRESHOLD = 0.5;

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export interface Population {
  /** Per feature: mean and standard deviation of log(1 + x) over the whole scoped population, and raw means. */
  logMean: Record<Feature, number>;
  logSd: Record<Feature, number>;
  mean: Record<Feature, number>;
}

export function population(rows: Record<Feature, number>[]): Population {
  const logMean = {} as Record<Feature, number>;
  const logSd = {} as Record<Feature, number>;
  const mean = {} as Record<Feature, number>;
  const n = Math.max(1, rows.length);
  for (const f of FEATURES) {
    let s = 0;
    let raw = 0;
    for (const r of rows) {
      s += Math.log1p(r[f]);
      raw += r[f];
    }
    const m = s / n;
    let v = 0;
    for (const r of rows) v += (Math.log1p(r[f]) - m) ** 2;
    logMean[f] = m;
    logSd[f] = Math.sqrt(v / n);
    mean[f] = raw / n;
  }
  return { logMean, logSd, mean };
}

/** The label and sentence of a segment of `rows` against the population. */
export function describe(
  rows: Record<Feature, number>[],
  pop: Population,
  total: number,
): { profile: Profile; label: string; description: string; standing: Partial<Record<Feature, number>> } {
  const profile = {} as Profile;
  const standing: Partial<Record<Feature, number>> = {};
  for (const f of FEATURES) {
    const values = rows.map((r) => r[f]);
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    profile[f] = { mean: round(mean), median: round(median(values)) };
    const logMean = values.reduce((a, b) => a + Math.log1p(b), 0) / Math.max(1, values.length);
    const sd = pop.logSd[f];
    standing[f] = sd > 1e-9 ? (logMean - pop.logMean[f]) / sd : 0;
  }
  const notable = ORDER.filter((f) => Math.abs(standing[f] ?? 0) >= THRESHOLD).sort(
    (a, b) => Math.abs(standing[b] ?? 0) - Math.abs(standing[a] ?? 0),
  );
  const word = (f: Feature) => ((standing[f] ?? 0) > 0 ? WORDS[f].high : WORDS[f].low);
  const high = (f: Feature) => (standing[f] ?? 0) >= THRESHOLD;
  const atRisk =
    high('recencyDays') && (high('openTickets') || high('contacts90d') || high('slaViolations90d'));
  // The three that stand out most, named in the marketer's order (value, recency, tenure, use, contacts...).
  const named = notable.slice(0, 3).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  let label = named.length > 0 ? named.map(word).join(', ') : 'typical customers';
  if (atRisk) label += ': at risk';
  label = label.charAt(0).toUpperCase() + label.slice(1);
  const share = total > 0 ? Math.round((100 * rows.length) / total) : 0;
  const facts = (notable.length > 0 ? notable : ORDER.slice(0, 3)).map((f) => {
    const times = pop.mean[f] > 0 ? profile[f].mean / pop.mean[f] : null;
    const against =
      times === null
        ? ''
        : Math.abs(times - 1) >= 0.2
          ? ` (${times.toFixed(1)}x the average)`
          : ' (about average)';
    return `${WORDS[f].unit(profile[f].mean)}${against}`;
  });
  const description =
    `${rows.length} customers (${share}%), ${label.charAt(0).toLowerCase()}${label.slice(1)}: on average ` +
    `${facts.join('; ')}.` +
    (atRisk ? ' Quiet and unhappy at once: worth a call before they leave.' : '');
  return { profile, label, description, standing };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
