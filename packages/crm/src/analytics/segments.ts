import { randomUUID } from 'node:crypto';
import { assign, chooseK, kmeans, silhouette, standardize, type Points } from '@parley/analytics';
import type { AnyKysely } from '@parley/store';
import { parseDoc } from '../agreement/records.js';
import { ANALYTICS_USES, type Scope } from './scope.js';
import { FEATURES, featuresOf, walkPopulation, type Feature } from './segments-features.js';
import { describe, population, type Profile } from './segments-profile.js';

export type Range = { gte?: number; lte?: number };
export type SegmentationRequest =
  | { method: 'kmeans'; k?: number | 'auto'; features?: Feature[] }
  | { method: 'rules'; segments: { name: string; where: Partial<Record<Feature, Range>> }[] };

export interface Segment {
  id: string;
  label: string;
  size: number;
  profile: Profile;
  description: string;
}

export interface Segmentation {
  id: string;
  method: 'kmeans' | 'rules';
  k: number;
  silhouette: number | null;
  features: Feature[];
  segments: Segment[];
  /** Parties left out because their agreements do not allow segmentation, by reason. */
  excluded: Scope['excluded'];
  /** Parties considered (the scoped population plus the excluded). */
  considered: number;
  createdAt: string;
}

/** k-means fits on at most this many customers (a deterministic sample); every customer is then assigned. */
export const FIT_SAMPLE = 20_000;

/** The segment a rule set puts a customer in: the first whose every bound holds, else "other". */
export function ruleSegment(
  rules: { name: string; where: Partial<Record<Feature, Range>> }[],
  values: Record<Feature, number>,
): number {
  for (let i = 0; i < rules.length; i++) {
    const where = (rules[i] as (typeof rules)[number]).where;
    const ok = Object.entries(where).every(([f, r]) => {
      const v = values[f as Feature];
      return (r?.gte === undefined || v >= r.gte) && (r?.lte === undefined || v <= r.lte);
    });
    if (ok) return i;
  }
  return rules.length;
}

/**
 * Runs a segmentation over the tenant's customers whose agreements allow segmentation (profiling), stores it
 * with its members and returns it. Features are read a page of 1,000 parties at a time; k-means works on z-scores
 * of log(1 + x) of the chosen features.
 */
export async function runSegmentation(
  db: AnyKysely,
  tenantId: string,
  request: SegmentationRequest,
  now: Date,
): Promise<Segmentation> {
  const parties: string[] = [];
  const rows: Record<Feature, number>[] = [];
  const walked = await walkPopulation(db, tenantId, ANALYTICS_USES.segmentation, async ({ allowed }) => {
    for (const f of await featuresOf(db, tenantId, allowed, now)) {
      parties.push(f.partyId);
      rows.push(f.values);
    }
  });
  const n = rows.length;
  let labels: Int32Array;
  let names: (string | null)[];
  let k: number;
  let silhouetteValue: number | null = null;
  let features: Feature[];
  if (request.method === 'kmeans') {
    features =
      request.features && request.features.length > 0 ? [...new Set(request.features)] : [...FEATURES];
    const d = features.length;
    const data = new Float64Array(n * d);
    rows.forEach((r, i) => features.forEach((f, j) => (data[i * d + j] = Math.log1p(Math.max(0, r[f])))));
    const z = standardize({ n, d, data });
    const fitOn = sample(z, FIT_SAMPLE);
    const wanted = request.k ?? 'auto';
    if (wanted === 'auto') {
      if (fitOn.n < 3)
        throw new SegmentationError(`k: choosing k needs at least 3 customers in scope, got ${n}`, 'k');
      const chosen = chooseK(fitOn, { kMin: 2, kMax: Math.min(8, fitOn.n - 1), seed: tenantId });
      k = chosen.k;
      silhouetteValue = chosen.silhouette;
      labels = assign(z, chosen.centroids, k).labels;
    } else {
      if (wanted > fitOn.n)
        throw new SegmentationError(
          `k: ${wanted} segments need at least ${wanted} customers in scope, got ${n}`,
          'k',
        );
      const fit = kmeans(fitOn, wanted, { seed: tenantId });
      k = wanted;
      labels = assign(z, fit.centroids, k).labels;
      if (k > 1) silhouetteValue = silhouette(z, labels);
    }
    names = new Array<string | null>(k).fill(null);
  } else {
    features = [...FEATURES];
    labels = Int32Array.from(rows, (r) => ruleSegment(request.segments, r));
    names = [...request.segments.map((s) => s.name), 'other'];
    k = names.length;
  }
  // Segments in the order of their size (k-means) or of the rules; an empty rule segment stays, empty "other" goes.
  const groups = Array.from({ length: k }, () => [] as number[]);
  labels.forEach((c, i) => (groups[c] as number[]).push(i));
  let order = groups.map((_, c) => c);
  if (request.method === 'kmeans')
    order.sort((a, b) => (groups[b] as number[]).length - (groups[a] as number[]).length);
  else if ((groups[k - 1] as number[]).length === 0) order = order.slice(0, k - 1);
  const pop = population(rows);
  const id = randomUUID();
  const segments: Segment[] = [];
  const memberRows: Record<string, string>[] = [];
  order.forEach((c, position) => {
    const members = groups[c] as number[];
    const segmentId =
      request.method === 'kmeans'
        ? `s${position + 1}`
        : names[c] === 'other' && c === k - 1
          ? 'other'
          : `s${c + 1}`;
    const d = describe(
      members.map((i) => rows[i] as Record<Feature, number>),
      pop,
      n,
    );
    segments.push({
      id: segmentId,
      label: names[c] ?? d.label,
      size: members.length,
      profile: d.profile,
      description: names[c] ? `${names[c]}: ${d.description}` : d.description,
    });
    for (const i of members)
      memberRows.push({
        tenant_id: tenantId,
        segmentation_id: id,
        segment_id: segmentId,
        party_id: parties[i] as string,
      });
  });
  const result: Segmentation = {
    id,
    method: request.method,
    k: segments.length,
    silhouette: silhouetteValue === null ? null : Math.round(silhouetteValue * 10_000) / 10_000,
    features,
    segments,
    excluded: walked.excluded,
    considered: walked.considered,
    createdAt: now.toISOString(),
  };
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('crm_segmentations')
      .values({
        tenant_id: tenantId,
        id,
        method: result.method,
        k: result.k,
        silhouette: result.silhouette,
        created_at: result.createdAt,
        doc: JSON.stringify({ ...result, request }),
      })
      .execute();
    for (let i = 0; i < memberRows.length; i += 500)
      await tx
        .insertInto('crm_segment_members')
        .values(memberRows.slice(i, i + 500))
        .execute();
  });
  return result;
}

/** A deterministic sample of at most `size` points (every (n/size)-th point), or all of them. */
function sample(points: Points, size: number): Points {
  if (points.n <= size) return points;
  const { d } = points;
  const data = new Float64Array(size * d);
  for (let s = 0; s < size; s++) {
    const i = Math.floor((s * points.n) / size);
    data.set(points.data.subarray(i * d, i * d + d), s * d);
  }
  return { n: size, d, data };
}

export class SegmentationError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export async function getSegmentation(
  db: AnyKysely,
  tenantId: string,
  id: string,
): Promise<Segmentation | null> {
  const row = (await db
    .selectFrom('crm_segmentations')
    .select('doc')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()) as { doc: unknown } | undefined;
  if (!row) return null;
  const { request: _request, ...doc } = parseDoc(row.doc) as unknown as Segmentation & { request: unknown };
  return doc;
}

/** A page of a segment's members in party id order, after `after`. */
export async function segmentMembers(
  db: AnyKysely,
  tenantId: string,
  segmentationId: string,
  segmentId: string,
  after: string,
  limit: number,
): Promise<string[]> {
  const rows = (await db
    .selectFrom('crm_segment_members')
    .select('party_id')
    .where('tenant_id', '=', tenantId)
    .where('segmentation_id', '=', segmentationId)
    .where('segment_id', '=', segmentId)
    .where('party_id', '>', after)
    .orderBy('party_id')
    .limit(limit)
    .execute()) as { party_id: string }[];
  return rows.map((r) => r.party_id);
}

/** The segment of a customer in each segmentation, newest first. */
export async function segmentsOfCustomer(db: AnyKysely, tenantId: string, partyId: string) {
  const rows = (await db
    .selectFrom('crm_segment_members as m')
    .innerJoin('crm_segmentations as s', (j) =>
      j.onRef('s.tenant_id', '=', 'm.tenant_id').onRef('s.id', '=', 'm.segmentation_id'),
    )
    .select(['m.segmentation_id', 'm.segment_id', 's.method', 's.created_at', 's.doc'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.party_id', '=', partyId)
    .orderBy('s.created_at', 'desc')
    .execute()) as {
    segmentation_id: string;
    segment_id: string;
    method: string;
    created_at: unknown;
    doc: unknown;
  }[];
  return rows.map((r) => {
    const doc = parseDoc(r.doc) as unknown as Segmentation;
    const segment = doc.segments.find((s) => s.id === r.segment_id);
    return {
      segmentationId: r.segmentation_id,
      method: r.method,
      createdAt: doc.createdAt,
      segmentId: r.segment_id,
      label: segment?.label ?? r.segment_id,
      description: segment?.description ?? '',
    };
  });
}
