import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AnyKysely } from '@parley/store';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { badRequest, HttpProblem, notFound } from '../http/problem.js';
import { FEATURES, FEATURE_DESCRIPTIONS } from './segments-features.js';
import {
  getSegmentation,
  runSegmentation,
  segmentMembers,
  segmentsOfCustomer,
  SegmentationError,
  type SegmentationRequest,
} from './segments.js';

export const ANALYTICS_BASE = '/crm/v1/analytics';
const TAGS = ['Analytics'];
const Id = Type.String({ minLength: 1, maxLength: 200 });
const FeatureName = Type.Union(
  FEATURES.map((f) => Type.Literal(f, { description: FEATURE_DESCRIPTIONS[f] })),
);
const Bound = Type.Object(
  { gte: Type.Optional(Type.Number()), lte: Type.Optional(Type.Number()) },
  { additionalProperties: false },
);
const Where = Type.Object(Object.fromEntries(FEATURES.map((f) => [f, Type.Optional(Bound)])), {
  additionalProperties: false,
});
const KMeansBody = Type.Object(
  {
    method: Type.Literal('kmeans'),
    k: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 50 }), Type.Literal('auto')], {
        description: 'The number of segments, or "auto" (default) for the best silhouette over 2..8',
      }),
    ),
    features: Type.Optional(Type.Array(FeatureName, { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);
const RulesBody = Type.Object(
  {
    method: Type.Literal('rules'),
    segments: Type.Array(
      Type.Object(
        { name: Type.String({ minLength: 1, maxLength: 100 }), where: Where },
        { additionalProperties: false },
      ),
      {
        minItems: 1,
        maxItems: 50,
        description: 'The first segment whose bounds all hold wins; the rest are "other"',
      },
    ),
  },
  { additionalProperties: false },
);
const MembersQuery = Type.Object(
  {
    after: Type.Optional(
      Type.String({ maxLength: 200, description: 'Start after this party id (keyset paging)' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'At most 1000 (default 100)' })),
  },
  { additionalProperties: false },
);

/** Checks what JSON Schema cannot say and names the field at fault. */
function check(body: SegmentationRequest): void {
  if (body.method !== 'rules') return;
  const names = new Set<string>();
  body.segments.forEach((s, i) => {
    if (names.has(s.name) || s.name === 'other')
      throw badRequest(
        `segments.${i}.name: "${s.name}" is taken (names are unique; "other" is kept for the rest)`,
        `body.segments.${i}.name`,
      );
    names.add(s.name);
    for (const [f, r] of Object.entries(s.where))
      if (r && r.gte !== undefined && r.lte !== undefined && r.gte > r.lte)
        throw badRequest(
          `segments.${i}.where.${f}: gte ${r.gte} is above lte ${r.lte}`,
          `body.segments.${i}.where.${f}`,
        );
  });
}

/** Segmentations over HTTP (docs/analytics.md, "Segments and satisfaction"): staff keys only. */
export function registerSegmentRoutes(app: FastifyInstance, db: AnyKysely, now: () => Date): void {
  app.post<{ Body: SegmentationRequest }>(
    `${ANALYTICS_BASE}/segmentations`,
    {
      schema: {
        tags: TAGS,
        summary:
          'Segment the customers whose agreements allow it, by k-means on RFM-style features or by rules; ' +
          'stores the result with a profile a marketer can read per segment',
        body: Type.Union([KMeansBody, RulesBody]),
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, WRITERS, 'run segmentations');
      check(request.body);
      try {
        const result = await runSegmentation(db, tenantId, request.body, now());
        const { considered: _considered, ...body } = result;
        return reply
          .code(201)
          .header('location', `${ANALYTICS_BASE}/segmentations/${result.id}`)
          .send({ ...body, href: `${ANALYTICS_BASE}/segmentations/${result.id}` });
      } catch (e) {
        if (e instanceof SegmentationError)
          throw new HttpProblem(422, 'Unprocessable Entity', e.message, `body.${e.field}`);
        throw e;
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    `${ANALYTICS_BASE}/segmentations/:id`,
    {
      schema: {
        tags: TAGS,
        summary: 'A segmentation: its segments and their profiles',
        params: Type.Object({ id: Id }),
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read segmentations');
      const s = await getSegmentation(db, tenantId, request.params.id);
      if (!s) throw notFound(`id: no segmentation ${request.params.id}`, 'id');
      const { considered: _considered, ...body } = s;
      return { ...body, href: `${ANALYTICS_BASE}/segmentations/${s.id}` };
    },
  );

  app.get<{ Params: { id: string; segmentId: string }; Querystring: Static<typeof MembersQuery> }>(
    `${ANALYTICS_BASE}/segmentations/:id/segments/:segmentId/members`,
    {
      schema: {
        tags: TAGS,
        summary: 'The members of a segment in party id order, paged by keyset (Link rel="next")',
        params: Type.Object({ id: Id, segmentId: Id }),
        querystring: MembersQuery,
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, STAFF, 'read segmentations');
      const { id, segmentId } = request.params;
      const s = await getSegmentation(db, tenantId, id);
      if (!s) throw notFound(`id: no segmentation ${id}`, 'id');
      if (!s.segments.some((g) => g.id === segmentId))
        throw notFound(
          `segmentId: segmentation ${id} has no segment ${segmentId} (it has ${s.segments.map((g) => g.id).join(', ')})`,
          'segmentId',
        );
      const limit = Number(request.query.limit ?? 100);
      if (limit < 1 || limit > 1000) throw badRequest('limit: between 1 and 1000', 'limit');
      const page = await segmentMembers(db, tenantId, id, segmentId, request.query.after ?? '', limit + 1);
      const more = page.length > limit;
      const items = page.slice(0, limit);
      void reply.header('x-result-count', String(items.length));
      if (more) {
        const next = new URLSearchParams({ after: items[items.length - 1] as string, limit: String(limit) });
        void reply.header(
          'link',
          `<${ANALYTICS_BASE}/segmentations/${encodeURIComponent(id)}/segments/${encodeURIComponent(segmentId)}/members?${next}>; rel="next"`,
        );
      }
      return items.map((partyId) => ({ partyId, href: `/tmf-api/party/v4/individual/${partyId}` }));
    },
  );

  app.get<{ Params: { partyId: string } }>(
    `${ANALYTICS_BASE}/customers/:partyId/segments`,
    {
      schema: {
        tags: TAGS,
        summary: 'Her segment in each segmentation, newest first (none where her agreement kept her out)',
        params: Type.Object({ partyId: Id }),
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read segmentations');
      const { partyId } = request.params;
      const party = await db
        .selectFrom('crm_parties')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', partyId)
        .executeTakeFirst();
      if (!party) throw notFound(`partyId: no party ${partyId}`, 'partyId');
      return segmentsOfCustomer(db, tenantId, partyId);
    },
  );
}
