import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findTerms, intentIsOpen } from '@parley/protocol';
import { strictJsonBodies, VENDOR_PREFIX, vendorTenant } from '../agreement/routes.js';
import { vendorPath } from '../agreement/vendor.js';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { badRequest, notFound } from '../http/problem.js';
import { tmfBasePath } from '../tmf/schemas.js';
import { PRODUCT_OFFERING } from './catalogue.js';
import type { IntentContext } from './context.js';
import type { StaffDecision } from './evaluate.js';
import { followFeed, listFeeds, publicFeed, unfollowFeed } from './feeds.js';
import { decidePending, receiveIntent } from './receive.js';
import { findIntent, listIntents, type IntentRow, type IntentStatus } from './store.js';

export const INTENTS_PATH = '/crm/v1/intents';
export const INTENT_FEEDS_PATH = '/crm/v1/intentFeeds';
/** `POST {vendor}/intents` reads at most this; an intentcast itself is at most 16 KiB (413 `too-large`). */
export const INTENT_BODY_LIMIT = 64 * 1024;

const VENDOR_TAGS = ['Parley vendor endpoint'];
const STAFF_TAGS = ['Parley intentcasts'];
const STATUSES: IntentStatus[] = ['pending', 'decided', 'accepted'];
const PAGE_MAX = 1000;

const termsView = (id: string) => findTerms(id)?.code ?? id;

/** What staff see of an intentcast: what she asked, on which terms, and what the vendor answered. */
export function intentView(row: IntentRow, now = Date.now()) {
  const c = row.intentcast;
  const { decision, offer } = row.answer;
  const expired = !intentIsOpen(c, now) && now >= Date.parse(c.validUntil);
  return {
    id: row.intentId,
    status: row.status,
    open: !expired,
    source: row.source,
    from: c.from,
    receivedAt: row.receivedAt,
    validFrom: c.validFrom,
    validUntil: c.validUntil,
    intent: c.intent,
    price: c.price,
    ...(c.location ? { location: c.location } : {}),
    terms: c.terms.map((t) => termsView(t.id)),
    ...(decision
      ? {
          decision: {
            decision: decision.decision,
            ...(decision.terms ? { terms: termsView(decision.terms.id) } : {}),
            ...(decision.reason ? { reason: decision.reason } : {}),
            decidedAt: row.decidedAt,
          },
        }
      : {}),
    ...(offer
      ? {
          offer: {
            id: offer.id,
            items: offer.items,
            total: offer.total,
            terms: termsView(offer.terms.id),
            validUntil: offer.validUntil,
            status:
              row.status === 'accepted' ? 'taken' : Date.parse(offer.validUntil) <= now ? 'expired' : 'open',
          },
        }
      : {}),
    ...(row.delivery.status
      ? {
          delivery: {
            status: row.delivery.status,
            attempts: row.delivery.attempts,
            ...(row.delivery.error ? { error: row.delivery.error } : {}),
          },
        }
      : {}),
    intentcast: c,
    ...(decision ? { signedDecision: decision } : {}),
    ...(offer ? { signedOffer: offer } : {}),
  };
}

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 200 } },
  required: ['id'],
};

/**
 * The vendor's side of intentcasting over HTTP: `POST {vendor}/intents` (no API key: the intentcast is signed),
 * and the staff routes under `/crm/v1`: pending intentcasts and a person's decision on them, the feeds the
 * tenant follows. Every catalogue change made through this server refreshes the tenant's matching index.
 */
export async function registerIntentRoutes(app: FastifyInstance, ctx: IntentContext): Promise<void> {
  const vendorUrl = (request: FastifyRequest, tenantId: string) =>
    `${ctx.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`}${vendorPath(tenantId)}`;

  await app.register(async (scope) => {
    strictJsonBodies(scope, INTENT_BODY_LIMIT);
    scope.post(
      `${VENDOR_PREFIX}/:tenantId/intents`,
      {
        bodyLimit: INTENT_BODY_LIMIT,
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary: 'An intentcast: decided by the intent policy against the catalogue, or pending a person',
          description:
            'Body: a signed Intentcast. Answer 200 {status: decided, decision, offer?, ledger: {intentcast, ' +
            'decision, offer?}} or, in manual mode, 202 {status: pending, ledger: {intentcast}} (the decision ' +
            'goes to its replyTo). The same intentcast again gets the same answer; 409 an id reused with other ' +
            'content, 410 expired or not yet valid, 413 larger than 16 KiB, 400 malformed or a bad signature.',
          params: {
            type: 'object',
            properties: { tenantId: { type: 'string' } },
            required: ['tenantId'],
          },
          body: { type: 'object', description: 'A signed Intentcast' },
        },
      },
      async (request, reply) => {
        const tenant = await vendorTenant(ctx, request);
        const received = await receiveIntent(ctx, tenant, request.body, {
          source: 'push',
          vendorUrl: vendorUrl(request, tenant.id),
        });
        return reply.code(received.httpStatus).send(received.answer);
      },
    );
  });

  // A catalogue change, once committed and answered, drops the tenant's matching index.
  const catalogue = `${tmfBasePath(PRODUCT_OFFERING.api)}${PRODUCT_OFFERING.path}`;
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || reply.statusCode >= 300) return;
    if (!request.principal || !request.url.startsWith(catalogue)) return;
    ctx.catalogues.invalidate(request.principal.tenantId);
  });

  app.get(
    INTENTS_PATH,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: 'The intentcasts received, newest first (status=pending: those waiting for a person)',
        description:
          'Query status (pending, decided, accepted; comma for several), offset, limit (default 100). ' +
          'X-Total-Count and X-Result-Count as TMF lists. Roles admin, agent, readonly.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string' },
            offset: { type: 'string' },
            limit: { type: 'string' },
          },
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, STAFF, 'read intentcasts');
      const query = request.query as { status?: string; offset?: string; limit?: string };
      const status = query.status?.split(',').map((s) => s.trim());
      for (const s of status ?? [])
        if (!STATUSES.includes(s as IntentStatus))
          throw badRequest(`status: expected ${STATUSES.join(', ')} (comma for several)`, 'status');
      const offset = Number(query.offset ?? 0);
      const limit = Number(query.limit ?? 100);
      if (!Number.isInteger(offset) || offset < 0)
        throw badRequest('offset: expected a whole number >= 0', 'offset');
      if (!Number.isInteger(limit) || limit < 0 || limit > PAGE_MAX)
        throw badRequest(`limit: expected a whole number from 0 to ${PAGE_MAX}`, 'limit');
      const { total, rows } = await listIntents(ctx.db.kysely, tenantId, {
        ...(status ? { status: status as IntentStatus[] } : {}),
        offset,
        limit,
      });
      const now = Date.now();
      return reply
        .header('x-total-count', String(total))
        .header('x-result-count', String(rows.length))
        .send(rows.map((r) => intentView(r, now)));
    },
  );

  app.get(
    `${INTENTS_PATH}/:id`,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: 'One intentcast, its decision and offer (signed), and the delivery of the answer',
        description: 'Roles admin, agent, readonly.',
        params: idParams,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read intentcasts');
      const { id } = request.params as { id: string };
      const row = await findIntent(ctx.db.kysely, tenantId, id);
      if (!row) throw notFound(`id: no intentcast ${id}`, 'id');
      return intentView(row);
    },
  );

  app.post(
    `${INTENTS_PATH}/:id/decision`,
    {
      schema: {
        tags: STAFF_TAGS,
        summary:
          'A person decides on a pending intentcast; the answer is signed, logged and sent to its replyTo',
        description:
          'accept: the first of her terms the intent policy accepts (else her first); counter: the policy’s ' +
          'counter; reject: no, with the reason. items name catalogue offerings (default: the best matches); ' +
          'with accept, reason becomes the offer’s note. Answer 200 {status: decided, decision, offer?, ' +
          'ledger}. 404 unknown, 409 decided already, 410 expired, 422 nothing to offer. Roles admin, agent.',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision'],
          properties: {
            decision: { type: 'string', enum: ['accept', 'counter', 'reject'] },
            items: {
              type: 'array',
              minItems: 1,
              maxItems: 50,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['sku'],
                properties: {
                  sku: { type: 'string', minLength: 1, maxLength: 100, description: 'A productOffering id' },
                  quantity: { type: 'integer', minimum: 1, maximum: 10000 },
                  unitPrice: { type: 'number', minimum: 0, maximum: 1e12 },
                },
              },
            },
            reason: { type: 'string', minLength: 1, maxLength: 1000 },
          },
        },
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, WRITERS, 'decide on intentcasts');
      const { id } = request.params as { id: string };
      const tenant = await ctx.profiles.tenant(tenantId);
      if (!tenant) throw notFound(`id: no intentcast ${id}`, 'id');
      return decidePending(ctx, tenant, id, request.body as StaffDecision, vendorUrl(request, tenantId));
    },
  );

  app.post(
    INTENT_FEEDS_PATH,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: "Follows an agent's intent feed: its new intentcasts are answered at their replyTo",
        description:
          'Body {url} (http or https: GET {url}?after={cursor} answers {intents, next}). Answer 201 with the ' +
          'feed, or 200 with the one already followed at that URL. Role admin.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: { url: { type: 'string', minLength: 1, maxLength: 2000 } },
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, ['admin'], 'follow intent feeds');
      const { url } = request.body as { url: string };
      const { feed, created } = await followFeed(ctx.db.kysely, tenantId, url, vendorUrl(request, tenantId));
      return reply.code(created ? 201 : 200).send(feed);
    },
  );

  app.get(
    INTENT_FEEDS_PATH,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: 'The intent feeds the tenant follows, with their cursors and last errors',
        description: 'Role admin.',
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, ['admin'], 'read intent feeds');
      return (await listFeeds(ctx.db.kysely, tenantId)).map(publicFeed);
    },
  );

  app.delete(
    `${INTENT_FEEDS_PATH}/:id`,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: 'Stops following an intent feed',
        description: 'Role admin.',
        params: idParams,
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, ['admin'], 'stop following intent feeds');
      const { id } = request.params as { id: string };
      if (!(await unfollowFeed(ctx.db.kysely, tenantId, id)))
        throw notFound(`id: no intent feed ${id}`, 'id');
      return reply.code(204).send();
    },
  );
}
