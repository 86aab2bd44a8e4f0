import type { FastifyInstance } from 'fastify';
import type { Database } from '@parley/store';
import { badRequest, notFound } from '../http/problem.js';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import type { ResourceEventSink } from '../tmf/resource.js';
import { escalateTickets } from './escalation.js';
import { isOpenTicket, slaClockAt } from './ticket.js';

const tags = ['Trouble ticket SLA clock'];
const parse = (doc: unknown) => (typeof doc === 'string' ? JSON.parse(doc) : doc) as Record<string, unknown>;

/** The SLA clock of tickets: one ticket's clock, the queue of open tickets by due date, escalation on demand. */
export function registerTicketRoutes(app: FastifyInstance, db: Database, events?: ResourceEventSink): void {
  app.get(
    '/crm/v1/troubleTicket/:id/slaClock',
    {
      schema: {
        tags,
        summary: "A ticket's SLA clock: response and resolution due, breaches, escalation level, time left",
        params: { type: 'object', properties: { id: { type: 'string' } } },
      },
    },
    async (request) => {
      // The clock and the queue are the service desk's tools: not for self-care keys.
      const { tenantId } = requireRole(request, STAFF, "read a ticket's SLA clock");
      const { id } = request.params as { id: string };
      const row = (await db.kysely
        .selectFrom('crm_tickets')
        .select(['doc'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst()) as { doc: unknown } | undefined;
      if (!row) throw notFound(`id: no TroubleTicket ${id}`, 'id');
      return { id, ...slaClockAt(parse(row.doc), new Date()) };
    },
  );

  app.get(
    '/crm/v1/ticketQueue',
    {
      schema: {
        tags,
        summary: 'Open tickets, soonest resolution due first, each with its SLA clock',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            breached: {
              type: 'string',
              enum: ['true', 'false'],
              description: 'Only tickets past (or within) their resolution target',
            },
            offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
          },
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, STAFF, 'read the ticket queue');
      const query = request.query as { breached?: string; offset?: string; limit?: string };
      const limit = Number(query.limit ?? 100);
      if (limit > 1000) throw badRequest('limit: expected a whole number from 0 to 1000', 'limit');
      const now = new Date();
      let q = db.kysely.selectFrom('crm_tickets').where('tenant_id', '=', tenantId).where(isOpenTicket());
      if (query.breached === 'true') q = q.where('resolution_due', '<', now.toISOString());
      if (query.breached === 'false') q = q.where('resolution_due', '>=', now.toISOString());
      const rows = (await q
        .select(['id', 'doc'])
        .orderBy('resolution_due')
        .orderBy('id')
        .offset(Number(query.offset ?? 0))
        .limit(limit)
        .execute()) as { id: string; doc: unknown }[];
      reply.header('x-result-count', String(rows.length));
      return rows.map((row) => {
        const doc = parse(row.doc);
        return {
          id: row.id,
          status: doc.status,
          priority: doc.priority,
          description: doc.description,
          slaClock: slaClockAt(doc, now),
        };
      });
    },
  );

  app.post(
    '/crm/v1/troubleTicket/escalation',
    {
      schema: {
        tags,
        summary:
          'Escalates now every open ticket whose SLA clock ran out (the server also does it every minute)',
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, WRITERS, 'escalate tickets');
      return { escalated: await escalateTickets(db, tenantId, new Date(), events) };
    },
  );
}
