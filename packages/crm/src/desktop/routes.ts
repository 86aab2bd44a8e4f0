import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { badRequest, notFound } from '../http/problem.js';
import type { DesktopContext } from './context.js';
import { FACT_TYPES } from './ranking.js';
import { REASON_IDS, REASONS, type ReasonId } from './reasons.js';
import { qoeSeries, ticketLoad } from './series.js';

const BASE = '/crm/v1/desktop';
const TAGS = ['Agent desktop'];
const Id = Type.String({ minLength: 1, maxLength: 200 });
const Reason = Type.Union(
  REASON_IDS.map((r) => Type.Literal(r)),
  { description: 'The contact reason (IVR menu, chat topic, ticket type mapped onto these)' },
);
const ContextQuery = Type.Object(
  {
    partyId: Type.Optional(Id),
    reason: Type.Optional(Reason),
    ticketId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
const Resolution = Type.Object(
  {
    partyId: Id,
    reason: Reason,
    factType: Type.Union(FACT_TYPES.map((t) => Type.Literal(t))),
    factId: Id,
    ticketId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
const Days = (max: number, fallback: number) =>
  Type.Optional(
    Type.String({ pattern: '^[0-9]{1,3}$', description: `Days back (default ${fallback}, at most ${max})` }),
  );

/** The agent desktop's API (docs/crm.md, "The agent desktop"): staff keys only. */
export function registerDesktopRoutes(app: FastifyInstance, desktop: DesktopContext): void {
  app.get(
    `${BASE}/reasons`,
    { schema: { tags: TAGS, summary: 'The contact reasons the ranking knows' } },
    async (request) => {
      requireRole(request, STAFF, 'use the agent desktop');
      return REASONS;
    },
  );

  app.get<{ Querystring: Static<typeof ContextQuery> }>(
    `${BASE}/context`,
    {
      schema: {
        tags: TAGS,
        summary:
          'The customer and the ten facts most relevant to why she is in touch, each with why it is there, and ' +
          'alerts for her (SLA about to be breached, churn risk, a self-care attempt just before the contact)',
        querystring: ContextQuery,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'use the agent desktop');
      let { partyId, reason } = request.query;
      const ticketId = request.query.ticketId ?? null;
      if (ticketId) {
        const ticket = await desktop.ticket(tenantId, ticketId);
        if (!ticket) throw notFound(`ticketId: no TroubleTicket ${ticketId}`, 'ticketId');
        partyId ??= ticket.partyId ?? undefined;
        reason ??= ticket.reason;
      }
      if (!partyId) throw badRequest('partyId: name the customer (or a ticketId that has one)', 'partyId');
      const answer = await desktop.context(tenantId, partyId, (reason ?? 'other') as ReasonId, ticketId);
      if (!answer) throw notFound(`partyId: no party ${partyId}`, 'partyId');
      return answer;
    },
  );

  app.post<{ Body: Static<typeof Resolution> }>(
    `${BASE}/resolutions`,
    {
      schema: {
        tags: TAGS,
        summary:
          'Record which fact resolved a contact: the ranking learns its reason-to-fact weights from these',
        body: Resolution,
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = requireRole(request, WRITERS, 'record resolutions');
      const resolved = await desktop.resolve(tenantId, request.body, keyId);
      if ('unknown' in resolved) {
        const field = resolved.unknown;
        throw notFound(
          `body.${field}: no ${field === 'partyId' ? 'party' : 'TroubleTicket'} ${request.body[field]}`,
          `body.${field}`,
        );
      }
      return reply.code(201).send(resolved);
    },
  );

  app.get(
    `${BASE}/weights`,
    {
      schema: {
        tags: TAGS,
        summary: 'The reason-to-fact weights in use, and how many resolutions they learned from',
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'use the agent desktop');
      return desktop.weights(tenantId);
    },
  );

  app.get<{ Querystring: { partyId: string; days?: string } }>(
    `${BASE}/qoe`,
    {
      schema: {
        tags: TAGS,
        summary: "QoE of a customer's services over time against their SLA targets, with violations",
        querystring: Type.Object({ partyId: Id, days: Days(365, 30) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'use the agent desktop');
      const days = Math.min(365, Number(request.query.days ?? 30));
      return qoeSeries(desktop.db.kysely, tenantId, request.query.partyId, days, desktop.now());
    },
  );

  app.get<{ Querystring: { days?: string } }>(
    `${BASE}/ticketLoad`,
    {
      schema: {
        tags: TAGS,
        summary: 'Tickets opened, resolved and resolved late per day',
        querystring: Type.Object({ days: Days(90, 14) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'use the agent desktop');
      return ticketLoad(
        desktop.db.kysely,
        tenantId,
        Math.min(90, Number(request.query.days ?? 14)),
        desktop.now(),
      );
    },
  );
}
