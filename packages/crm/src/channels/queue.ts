import type { FastifyInstance } from 'fastify';
import type { Database } from '@parley/store';
import { parseDoc, type Doc } from '../agreement/records.js';
import { requireRole, STAFF } from '../http/authorize.js';
import { badRequest } from '../http/problem.js';
import { isOpenTicket, slaClockAt } from '../ticket/ticket.js';

export const WARNINGS = [
  'response-due-soon',
  'response-breached',
  'resolution-due-soon',
  'resolution-breached',
] as const;
export type Warning = (typeof WARNINGS)[number];

const SOON_FLOOR_MS = 30 * 60_000;

/**
 * Breach warnings of a ticket's SLA clock at `now`. A target is due soon when what is left of it is within a
 * quarter of the target or 30 minutes, whichever window is longer; breached once it passed (a response sent late
 * stays a breached response).
 */
export function breachWarnings(doc: Doc, now: Date): Warning[] {
  const clock = slaClockAt(doc, now);
  const created = Date.parse(String(doc.creationDate ?? '')) || 0;
  const at = now.getTime();
  const warnings: Warning[] = [];
  const judge = (due: string, done: string | null, breached: boolean, kind: 'response' | 'resolution') => {
    const dueAt = Date.parse(due);
    if (done) {
      if (breached) warnings.push(`${kind}-breached`);
      return;
    }
    const window = Math.max((dueAt - created) / 4, SOON_FLOOR_MS);
    if (at > dueAt) warnings.push(`${kind}-breached`);
    else if (dueAt - at <= window) warnings.push(`${kind}-due-soon`);
  };
  judge(clock.responseDue, clock.respondedAt, clock.responseBreached, 'response');
  judge(clock.resolutionDue, clock.resolvedAt, clock.resolutionBreached, 'resolution');
  return warnings;
}

/**
 * The queue: open tickets, soonest resolution due first, each with its SLA clock, channel, assignee, party and
 * breach warnings; filters by breach, assignee and channel.
 */
export function registerQueueRoute(app: FastifyInstance, db: Database, now: () => Date): void {
  app.get(
    '/crm/v1/ticketQueue',
    {
      schema: {
        tags: ['Trouble ticket SLA clock'],
        summary:
          'Open tickets, soonest resolution due first, each with its SLA clock, channel, assignee and breach warnings',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            breached: {
              type: 'string',
              enum: ['true', 'false'],
              description: 'Only tickets past (or within) their resolution target',
            },
            assignee: {
              type: 'string',
              maxLength: 200,
              description: 'Only tickets of this desk agent (`none`: unassigned ones)',
            },
            channel: {
              type: 'string',
              maxLength: 100,
              description: 'Only tickets that came in on this channel',
            },
            offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
          },
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, STAFF, 'read the ticket queue');
      const query = request.query as {
        breached?: string;
        assignee?: string;
        channel?: string;
        offset?: string;
        limit?: string;
      };
      const limit = Number(query.limit ?? 100);
      if (limit > 1000) throw badRequest('limit: expected a whole number from 0 to 1000', 'limit');
      const at = now();
      let q = db.kysely
        .selectFrom('crm_tickets as t')
        .leftJoin('crm_ticket_desk as d', (j) =>
          j.onRef('d.tenant_id', '=', 't.tenant_id').onRef('d.ticket_id', '=', 't.id'),
        )
        .where('t.tenant_id', '=', tenantId)
        .where(isOpenTicket('t.status'));
      if (query.breached === 'true') q = q.where('t.resolution_due', '<', at.toISOString());
      if (query.breached === 'false') q = q.where('t.resolution_due', '>=', at.toISOString());
      if (query.assignee === 'none') q = q.where('d.assignee', 'is', null);
      else if (query.assignee !== undefined) q = q.where('d.assignee', '=', query.assignee);
      if (query.channel !== undefined) q = q.where('t.channel', '=', query.channel);
      const rows = (await q
        .select(['t.id', 't.doc', 't.party_id', 't.channel', 'd.assignee'])
        .orderBy('t.resolution_due')
        .orderBy('t.id')
        .offset(Number(query.offset ?? 0))
        .limit(limit)
        .execute()) as {
        id: string;
        doc: unknown;
        party_id: string | null;
        channel: string | null;
        assignee: string | null;
      }[];
      reply.header('x-result-count', String(rows.length));
      return rows.map((row) => {
        const doc = parseDoc(row.doc);
        const docChannel = (doc.channel as { id?: string } | undefined)?.id ?? null;
        return {
          id: row.id,
          status: doc.status,
          priority: doc.priority,
          description: doc.description,
          channel: row.channel ?? docChannel,
          assignee: row.assignee,
          partyId: row.party_id,
          slaClock: slaClockAt(doc, at),
          warnings: breachWarnings(doc, at),
        };
      });
    },
  );
}
