// The shapes of the CRM's analytics answers (docs/analytics.md), as far as the Analytics screen reads them.

export interface SurvivalCurve {
  group: string;
  n: number;
  events: number;
  times: number[];
  atRisk: number[];
  died?: number[];
  censored?: number[];
  survival: number[];
  lower: number[];
  upper: number[];
  median: number | null;
  medianLower: number | null;
  medianUpper: number | null;
  confLevel?: number;
  confType?: string;
}

export interface Survival {
  by: string;
  subjects: number;
  excluded: Record<string, number>;
  curves: SurvivalCurve[];
  logRank?: { chiSquare: number; df: number; p: number; groups: { group: string; n: number }[] };
}

export type PerCovariate = Record<string, number>;

export interface ChurnModel {
  id: string;
  fittedAt: string;
  subjects: number;
  churned: number;
  constantCovariates?: string[];
  fit: {
    n: number;
    events: number;
    covariates: string[];
    coef: PerCovariate;
    se: PerCovariate;
    hazardRatio: PerCovariate;
    hazardRatioLower: PerCovariate;
    hazardRatioUpper: PerCovariate;
    p: PerCovariate;
    concordance: number;
    logLikelihood?: number;
    likelihoodRatio?: { statistic: number; df: number; p: number };
    ties?: string;
  };
}

export interface Segment {
  id: string;
  label: string;
  size: number;
  profile: Record<string, { mean: number; median?: number }>;
  description: string;
}

export interface Segmentation {
  id: string;
  method: string;
  k: number;
  silhouette?: number | null;
  features: string[];
  segments: Segment[];
  createdAt?: string;
}

export interface QoeEvidence {
  id?: string;
  measuredAt: string;
  metric?: string;
  value: number;
  target?: number;
  operator?: string;
}

export interface QoeViolation {
  serviceId: string;
  serviceName?: string;
  slaId?: string;
  metric: string;
  unit?: string;
  observed: number;
  target: number;
  operator: string;
  samples?: number;
  evidence?: QoeEvidence[];
}

export interface QoeItem {
  by: string;
  id: string;
  name?: string;
  samples: number;
  services: number;
  compliance: number | null;
  violations: QoeViolation[];
}

export interface QoeReport {
  by: string;
  from: string;
  to: string;
  basis?: string;
  items: QoeItem[];
  next?: string | null;
}

export interface WastedReport {
  from: string;
  to: string;
  sessions: number;
  wasted: number;
  rate: number;
  followedByContact?: number;
  byPage: { page: string; sessions: number; wasted: number; rate: number; causes: Record<string, number> }[];
  byCause: Record<string, number>;
  funnel: Record<string, number>;
}

export interface SatisfactionSummary {
  customers: number;
  meanScore: number | null;
  medianScore: number | null;
  contributions: Record<string, { meanEvents: number; meanPoints: number }>;
  formula?: { windowDays?: number; score?: string };
}
