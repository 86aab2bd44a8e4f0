import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AnyKysely } from '@parley/store';
import { requireRole, STAFF } from '../http/authorize.js';
import { badRequest, HttpProblem, notFound } from '../http/problem.js';
import { EXCLUSIONS } from '../compliance/purpose.js';
import {
  REPEAT_WITHIN_DAYS,
  SATISFACTION_WINDOW_DAYS,
  satisfactionOf,
  SIGNALS,
  summarize,
  type Satisfaction,
} from './satisfaction.js';
import { analyticsScope, ANALYTICS_USES } from './scope.js';
import { walkPopulation } from './segments-features.js';
import { getSegmentation } from './segments.js';
import { ANALYTICS_BASE } from './segments-routes.js';

const TAGS = ['Analytics'];
const Id = Type.String({ minLength: 1, maxLength: 200 });
const formula = {
  windowDays: SATISFACTION_WINDOW_DAYS,
  repeatWithinDays: REPEAT_WITHIN_DAYS,
  score: '100 - sum over signals of min(cap, points x events)',
  signals: SIGNALS,
};

/** Satisfaction measured from behaviour, per customer and per segment: staff keys only. */
export function registerSatisfactionRoutes(app: FastifyInstance, db: AnyKysely, now: () => Date): void {
  app.get<{ Querystring: { partyId?: string } }>(
    `${ANALYTICS_BASE}/satisfaction`,
    {
      schema: {
        tags: TAGS,
        summary:
          "A customer's satisfaction from her behaviour (0-100): repeat contacts, abandoned self-care, late " +
          'resolutions, reopened or escalated tickets, with what each took off',
        querystring: Type.Object({ partyId: Type.Optional(Id) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read satisfaction');
      const { partyId } = request.query;
      if (!partyId) throw badRequest('partyId: name the customer (?partyId=...)', 'partyId');
      const party = await db
        .selectFrom('crm_parties')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', partyId)
        .executeTakeFirst();
      if (!party) throw notFound(`partyId: no party ${partyId}`, 'partyId');
      const scope = await analyticsScope(db, tenantId, [partyId], ANALYTICS_USES.serviceAnalytics);
      if (!scope.allowed.has(partyId)) {
        const reason = Object.keys(scope.excluded)[0] as keyof typeof EXCLUSIONS | undefined;
        throw new HttpProblem(
          403,
          'Forbidden',
          `partyId: her agreements do not allow service analytics${reason ? ` (${EXCLUSIONS[reason]})` : ''}`,
          'partyId',
          reason,
        );
      }
      const [s] = await satisfactionOf(db, tenantId, [partyId], now());
      return { ...(s as Satisfaction), formula };
    },
  );

  app.get<{ Querystring: { segmentationId?: string } }>(
    `${ANALYTICS_BASE}/satisfaction/summary`,
    {
      schema: {
        tags: TAGS,
        summary:
          'Satisfaction over all customers whose agreements allow service analytics, and per segment of a ' +
          'segmentation when one is named',
        querystring: Type.Object({ segmentationId: Type.Optional(Id) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read satisfaction');
      const { segmentationId } = request.query;
      const segmentation = segmentationId ? await getSegmentation(db, tenantId, segmentationId) : null;
      if (segmentationId && !segmentation)
        throw notFound(`segmentationId: no segmentation ${segmentationId}`, 'segmentationId');
      const at = now();
      const all: Satisfaction[] = [];
      const bySegment = new Map<string, Satisfaction[]>();
      const walked = await walkPopulation(
        db,
        tenantId,
        ANALYTICS_USES.serviceAnalytics,
        async ({ allowed }) => {
          const scores = await satisfactionOf(db, tenantId, allowed, at);
          all.push(...scores);
          if (!segmentationId || allowed.length === 0) return;
          const rows = (await db
            .selectFrom('crm_segment_members')
            .select(['party_id', 'segment_id'])
            .where('tenant_id', '=', tenantId)
            .where('segmentation_id', '=', segmentationId)
            .where('party_id', 'in', allowed)
            .execute()) as { party_id: string; segment_id: string }[];
          const segmentOf = new Map(rows.map((r) => [r.party_id, r.segment_id]));
          for (const s of scores) {
            const g = segmentOf.get(s.partyId);
            if (g) bySegment.set(g, [...(bySegment.get(g) ?? []), s]);
          }
        },
      );
      return {
        ...summarize(all),
        excluded: walked.excluded,
        ...(segmentation
          ? {
              segmentationId: segmentation.id,
              segments: segmentation.segments.map((g) => ({
                id: g.id,
                label: g.label,
                ...summarize(bySegment.get(g.id) ?? []),
              })),
            }
          : {}),
        formula,
      };
    },
  );
}
