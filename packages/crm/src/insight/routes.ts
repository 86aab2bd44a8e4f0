import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '@parley/store';
import { badRequest, notFound } from '../http/problem.js';
import { requireRole, STAFF } from '../http/authorize.js';
import {
  customer360,
  qoeBelowSla,
  selfcareGuestsOutsideBilling,
  supervisedSecondariesWithOpenTickets,
  type PageResult,
} from './queries.js';

/** Base path of Parley's own (non-TMF) CRM APIs. */
export const INSIGHT_BASE = '/crm/v1';

const PAGE_DEFAULT = 50;
const PAGE_MAX = 500;
const TAGS = ['Insight'];
const WHOLE = '^[0-9]{1,9}$';
const DAY = 86_400_000;

const pageQuery = {
  offset: {
    type: 'string',
    pattern: WHOLE,
    description: 'Results to skip (default 0); with `after`, counted after it',
  },
  limit: {
    type: 'string',
    pattern: WHOLE,
    description: `Number of results (default ${PAGE_DEFAULT}, at most ${PAGE_MAX})`,
  },
  after: {
    type: 'string',
    minLength: 1,
    maxLength: 200,
    description:
      'Start after this identifier (results are in identifier order): keyset paging, as the Link rel="next" ' +
      'header does, so that a deep page costs what the first one does',
  },
};
const idParams = (what: string) => ({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 200, description: what } },
});

/** The tenant of the caller; insights are for the vendor's staff (admin, agent, read-only), not self-care keys. */
function tenantOf(request: FastifyRequest): string {
  return requireRole(request, STAFF, 'ask for insights (they are for staff keys)').tenantId;
}

function page(query: { offset?: string; limit?: string; after?: string }) {
  const offset = Number(query.offset ?? 0);
  const limit = Number(query.limit ?? PAGE_DEFAULT);
  if (limit < 1 || limit > PAGE_MAX)
    throw badRequest(`limit: expected a whole number from 1 to ${PAGE_MAX}`, 'limit');
  return { offset, limit, ...(query.after !== undefined ? { after: query.after } : {}) };
}

/** ISO 8601 instant to the canonical UTC form the database compares; `undefined` stays undefined. */
function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(ms)) {
    throw badRequest(`${field}: expected an ISO 8601 date-time such as 2025-01-31T00:00:00Z`, field);
  }
  return new Date(ms).toISOString();
}

/**
 * Sends a page: the items, X-Result-Count, and when more follow a `Link: <...>; rel="next"` that continues after
 * the last item's key (keyset paging: the next page costs what this one did, however deep).
 */
function sendPage<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  result: PageResult<T>,
  at: { limit: number },
  keyOf: (item: T) => string,
) {
  reply.header('x-result-count', String(result.items.length));
  const last = result.items[result.items.length - 1];
  if (result.hasMore && last !== undefined) {
    const url = new URL(request.url, 'http://localhost');
    url.searchParams.delete('offset');
    url.searchParams.set('limit', String(at.limit));
    url.searchParams.set('after', keyOf(last));
    reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return reply.send(result.items);
}

/**
 * The relationship queries over HTTP, under /crm/v1, scoped to the caller's tenant:
 * - GET /crm/v1/account/:id/qoeBelowSla?from&to&basis
 * - GET /crm/v1/insight/supervisedSecondariesWithOpenTickets?offset&limit&ticketOf
 * - GET /crm/v1/insight/selfcareGuestsOutsideBilling?offset&limit&since
 * - GET /crm/v1/customer/:id/360?interactions
 */
export function registerInsightRoutes(app: FastifyInstance, db: Database): void {
  app.get(
    `${INSIGHT_BASE}/account/:id/qoeBelowSla`,
    {
      schema: {
        tags: TAGS,
        summary: "Users of an account whose quality of experience was below their service's SLA in a period",
        description:
          'For each user (party) of the billing account and each of their services, the SLA rules ' +
          '(availability, throughput, latency, packet loss) that the measurements of the period broke: target, ' +
          'observed value (the average, or the worst sample with basis=worst) and number of samples. Users ' +
          'without a breach are left out. Default period: the 7 days before `to` (default now).',
        params: idParams('Identifier of the BillingAccount'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: {
              type: 'string',
              description: 'Start of the period (ISO 8601; default: `to` minus 7 days)',
            },
            to: { type: 'string', description: 'End of the period, exclusive (ISO 8601; default: now)' },
            basis: {
              type: 'string',
              enum: ['average', 'worst'],
              description: "Compare the period's average (default) or its worst sample with the target",
            },
          },
        },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const { id } = request.params as { id: string };
      const query = request.query as { from?: string; to?: string; basis?: 'average' | 'worst' };
      const to = instant(query.to, 'to') ?? new Date().toISOString();
      const from = instant(query.from, 'from') ?? new Date(Date.parse(to) - 7 * DAY).toISOString();
      if (!(from < to)) throw badRequest('from: must be before to', 'from');
      if (Date.parse(to) - Date.parse(from) > 366 * DAY)
        throw badRequest('from: the period may span at most 366 days', 'from');
      const result = await qoeBelowSla(db, tenantId, id, { from, to, basis: query.basis ?? 'average' });
      if (!result) throw notFound(`id: no account ${id}`, 'id');
      return result;
    },
  );

  app.get(
    `${INSIGHT_BASE}/insight/supervisedSecondariesWithOpenTickets`,
    {
      schema: {
        tags: TAGS,
        summary: 'Accounts that have secondary users under parental controls and open trouble tickets',
        description:
          'Accounts in identifier order, each with its supervised secondary members and its open tickets (not ' +
          'resolved, closed, cancelled or rejected). With ticketOf=secondary, only tickets raised by one of ' +
          'the supervised users count. Paged with offset and limit, or after (keyset); a Link header (rel="next") points to the ' +
          'next page when there is one; X-Result-Count gives the size of this page.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageQuery,
            ticketOf: {
              type: 'string',
              enum: ['account', 'secondary'],
              description:
                'account (default): any open ticket on the account; secondary: raised by a supervised user',
            },
          },
        },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const query = request.query as {
        offset?: string;
        limit?: string;
        after?: string;
        ticketOf?: 'account' | 'secondary';
      };
      const at = page(query);
      const result = await supervisedSecondariesWithOpenTickets(db, tenantId, {
        ...at,
        ticketOf: query.ticketOf ?? 'account',
      });
      return sendPage(request, reply, result, at, (item) => item.account.id);
    },
  );

  app.get(
    `${INSIGHT_BASE}/insight/selfcareGuestsOutsideBilling`,
    {
      schema: {
        tags: TAGS,
        summary: 'Guests who used self-care but are not in billing',
        description:
          'Parties in identifier order that are guests of an account outside billing, in billing on no account, ' +
          'and have self-care interactions (channel selfcare), with their accounts and how often and when they ' +
          'last used self-care. Paged with offset and limit, or after (keyset); Link rel="next" and X-Result-Count as above.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageQuery,
            since: {
              type: 'string',
              description: 'Count only self-care interactions from this time on (ISO 8601)',
            },
          },
        },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const query = request.query as { offset?: string; limit?: string; after?: string; since?: string };
      const at = page(query);
      const since = instant(query.since, 'since');
      const result = await selfcareGuestsOutsideBilling(db, tenantId, { ...at, ...(since ? { since } : {}) });
      return sendPage(request, reply, result, at, (item) => item.party.id);
    },
  );

  app.get(
    `${INSIGHT_BASE}/customer/:id/360`,
    {
      schema: {
        tags: TAGS,
        summary: "A customer's 360: parties, accounts, members, services, open tickets, recent interactions",
        description:
          'The id is a TMF629 Customer id or a party (TMF632 Individual or Organization) id. Returns the party, ' +
          'its customer records, the accounts it holds or is a member of (at most 100; truncated says when ' +
          'there are more), their members and parties, services with their SLA, open tickets on those accounts ' +
          "or raised by the party, and the party's most recent interactions, newest first.",
        params: idParams('Identifier of the Customer, or of the party'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            interactions: {
              type: 'string',
              pattern: WHOLE,
              description: 'How many recent interactions to return (default 10, at most 100)',
            },
          },
        },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const { id } = request.params as { id: string };
      const query = request.query as { interactions?: string };
      const interactions = Number(query.interactions ?? 10);
      if (interactions > 100)
        throw badRequest('interactions: expected a whole number from 0 to 100', 'interactions');
      const result = await customer360(db, tenantId, id, { interactions });
      if (!result) throw notFound(`id: no customer or party ${id}`, 'id');
      return result;
    },
  );
}
