import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Database } from '@parley/store';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { notFound, HttpProblem } from '../http/problem.js';
import { churnRisk, fitChurnModel, latestChurnModel, survivalBy } from './churn.js';

const BASE = '/crm/v1/analytics';
const TAGS = ['Analytics'];

/**
 * Attrition (docs/analytics.md): Kaplan-Meier curves of account survival by plan or account type with the
 * log-rank test; the churn model (Cox, Efron ties) fitted on the tenant's accounts; each customer's churn risk
 * from it. Only accounts whose holder's agreements allow service analytics. Staff keys only.
 */
export function registerChurnRoutes(app: FastifyInstance, db: Database, now: () => number): void {
  const SurvivalQuery = Type.Object(
    {
      by: Type.Optional(
        Type.Union(
          [Type.Literal('plan'), Type.Literal('accountType'), Type.Literal('segment'), Type.Literal('all')],
          {
            description:
              "plan (Gold or other), accountType, segment (the newest segmentation's labels) or all",
          },
        ),
      ),
      confType: Type.Optional(
        Type.Union([Type.Literal('log'), Type.Literal('log-log'), Type.Literal('plain')]),
      ),
    },
    { additionalProperties: false },
  );
  app.get<{ Querystring: Static<typeof SurvivalQuery> }>(
    `${BASE}/survival`,
    {
      schema: {
        tags: TAGS,
        summary:
          'Kaplan-Meier survival of accounts (to closing) by plan, account type or segment, with confidence intervals, ' +
          'medians and the log-rank test',
        querystring: SurvivalQuery,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read analytics');
      return survivalBy(db, tenantId, request.query.by ?? 'plan', now(), request.query.confType ?? 'log');
    },
  );
  app.post(
    `${BASE}/churnModel`,
    {
      schema: {
        tags: TAGS,
        summary: 'Fit the churn model (Cox proportional hazards, Efron ties) on the accounts now',
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, WRITERS, 'fit the churn model');
      try {
        return reply.code(201).send(await fitChurnModel(db, tenantId, now()));
      } catch (error) {
        if (error instanceof RangeError)
          throw new HttpProblem(
            422,
            'Unprocessable Entity',
            `accounts: ${error.message}`,
            'accounts',
            'cannot-fit',
          );
        throw error;
      }
    },
  );
  app.get(
    `${BASE}/churnModel`,
    {
      schema: {
        tags: TAGS,
        summary: 'The newest fitted churn model: coefficients, SEs, hazard ratios, p, concordance',
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read analytics');
      const model = await latestChurnModel(db, tenantId);
      if (!model)
        throw notFound('churnModel: none fitted yet; POST /crm/v1/analytics/churnModel', 'churnModel');
      return model;
    },
  );
  const RiskQuery = Type.Object(
    { partyId: Type.String({ minLength: 1, maxLength: 200 }) },
    { additionalProperties: false },
  );
  app.get<{ Querystring: Static<typeof RiskQuery> }>(
    `${BASE}/churnRisk`,
    {
      schema: {
        tags: TAGS,
        summary:
          "A customer's probability of closing an account within 90 days, from the fitted model, with its drivers",
        querystring: RiskQuery,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read analytics');
      const model = await latestChurnModel(db, tenantId);
      if (!model)
        throw notFound('churnModel: none fitted yet; POST /crm/v1/analytics/churnModel', 'churnModel');
      const risk = await churnRisk(db, tenantId, request.query.partyId, model);
      if (!risk) throw notFound(`partyId: ${request.query.partyId} holds no open account`, 'partyId');
      return risk;
    },
  );
}
