import type { FastifyInstance } from 'fastify';
import type { Database } from '@parley/store';
import { notFound } from '../http/problem.js';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import type { ResourceEventSink } from '../tmf/resource.js';
import { escalateTickets, type OnEscalated } from './escalation.js';
import { slaClockAt } from './ticket.js';

const tags = ['Trouble ticket SLA clock'];
const parse = (doc: unknown) => (typeof doc === 'string' ? JSON.parse(doc) : doc) as Record<string, unknown>;

/**
 * The SLA clock of tickets: one ticket's clock and escalation on demand (`onEscalated` runs in each
 * escalation's transaction: the desk's rules, channels/desk.ts). The queue is the desk's (channels/queue.ts).
 */
export function registerTicketRoutes(
  app: FastifyInstance,
  db: Database,
  events?: ResourceEventSink,
  onEscalated?: OnEscalated,
): void {
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
      return { escalated: await escalateTickets(db, tenantId, new Date(), events, onEscalated) };
    },
  );
}
