import type { FastifyInstance } from 'fastify';
import type { Database } from '@parley/store';
import { badRequest } from '../http/problem.js';
import { requireRole, WRITERS } from '../http/authorize.js';
import { evaluateSlaViolations } from './evaluate.js';

/** Runs the SLA evaluation for a period on demand. */
export function registerSlaRoutes(app: FastifyInstance, db: Database): void {
  app.post(
    '/crm/v1/sla/evaluation',
    {
      schema: {
        tags: ['SLA evaluation'],
        summary: 'Computes SLA violations from the QoE measurements of a period (default: the last 24 hours)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, WRITERS, 'run SLA evaluations');
      const body = (request.body ?? {}) as { from?: string; to?: string };
      const to = new Date(body.to ?? Date.now());
      const from = new Date(body.from ?? to.getTime() - 86_400_000);
      if (!(from < to)) throw badRequest('body.from: must be before body.to', 'body.from');
      const period = { from: from.toISOString(), to: to.toISOString() };
      return { ...period, ...(await evaluateSlaViolations(db, tenantId, period)) };
    },
  );
}
