import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Database } from '@parley/store';
import { badRequest, HttpProblem, notFound } from '../http/problem.js';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { tmfBasePath, type TmfApi } from '../tmf/schemas.js';
import { parseHubQuery } from './outbox.js';

export interface HubRouteOptions {
  /** Subscriptions a tenant may hold per API (each write fans out to all of them). Default 100. */
  maxSubscriptions?: number;
}

const CALLBACK_MAX = 2000;
const QUERY_MAX = 2000;

const subscriptionInput = {
  type: 'object',
  description: 'TMF EventSubscriptionInput: where to send the notifications of this API, and which ones.',
  required: ['callback'],
  additionalProperties: false,
  properties: {
    callback: {
      type: 'string',
      maxLength: CALLBACK_MAX,
      description:
        'Absolute http(s) URL that receives each event as a JSON POST; any 2xx answer acknowledges it.',
    },
    query: {
      type: 'string',
      maxLength: QUERY_MAX,
      description:
        'Which events: empty for all; `eventType=CustomerCreateEvent,CustomerDeleteEvent`; equality on the event ' +
        'body, e.g. `event.customer.status=approved`; terms joined with `&` must all hold.',
    },
  },
};

const subscription = {
  type: 'object',
  description: 'TMF EventSubscription',
  required: ['id', 'callback'],
  properties: {
    id: { type: 'string', description: 'Identifier of the subscription (listener)' },
    callback: { type: 'string' },
    query: { type: 'string' },
  },
};

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'Identifier of the subscription' } },
};

/** The callback as a URL the deliverer can POST to, or a 400 naming `body.callback`. */
function checkCallback(callback: string): void {
  let url: URL;
  try {
    url = new URL(callback);
  } catch {
    throw badRequest(
      'body.callback: expected an absolute http or https URL, e.g. https://listener.example/events',
      'body.callback',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badRequest(
      `body.callback: the scheme must be http or https, not ${url.protocol.replace(/:$/, '')}`,
      'body.callback',
    );
  }
  if (url.username || url.password) {
    throw badRequest(
      'body.callback: must not carry credentials (user:password@); put a token in the path or query instead',
      'body.callback',
    );
  }
}

/**
 * TMF event subscriptions for one API: POST/GET/DELETE `${tmfBasePath(api)}/hub`. Subscriptions belong to the
 * tenant of the API key; another tenant's id is simply not found. Creating and deleting need role admin or
 * agent; reading needs any role but selfcare (callbacks can carry tokens).
 */
export function registerHub(
  app: FastifyInstance,
  db: Database,
  api: TmfApi,
  options: HubRouteOptions = {},
): void {
  const hub = `${tmfBasePath(api)}/hub`;
  const tags = ['Hub'];
  const max = options.maxSubscriptions ?? 100;
  const now = () => new Date().toISOString();

  const view = (row: { id: string; callback: string; query: string | null }) => ({
    id: row.id,
    callback: row.callback,
    ...(row.query !== null ? { query: row.query } : {}),
  });

  app.post(
    hub,
    {
      schema: {
        tags,
        summary: 'Subscribes a listener to the events of this API',
        description:
          'Each matching change is POSTed to the callback as a TMF notification ({eventId, eventTime, eventType, ' +
          'event}), in order per subscription, at least once, retried with exponential backoff until a 2xx answer.',
        body: subscriptionInput,
        response: { 201: subscription },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, WRITERS, 'create event subscriptions');
      const body = request.body as Record<string, unknown> | null;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw badRequest('body: expected a JSON object with a callback', 'body');
      }
      // The route schema refuses these too; checked here as well so the rule does not depend on the app's
      // validator options (removeAdditional would otherwise drop unknown members silently).
      for (const key of Object.keys(body)) {
        if (key !== 'callback' && key !== 'query') {
          throw badRequest(`body.${key}: is not a member of EventSubscriptionInput`, `body.${key}`);
        }
      }
      if (typeof body.callback !== 'string') {
        throw badRequest('body.callback: required, an absolute http or https URL', 'body.callback');
      }
      if (body.query !== undefined && typeof body.query !== 'string') {
        throw badRequest('body.query: expected a string such as eventType=CustomerCreateEvent', 'body.query');
      }
      const callback = body.callback;
      const query = body.query === undefined ? null : body.query;
      checkCallback(callback);
      if (query !== null) {
        try {
          parseHubQuery(query);
        } catch (error) {
          throw badRequest(`body.query: ${(error as Error).message}`, 'body.query');
        }
      }
      const count = (await db.kysely
        .selectFrom('crm_hub_subscriptions')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('api', '=', api)
        .executeTakeFirst()) as { n: number | string };
      if (Number(count.n) >= max) {
        throw new HttpProblem(
          409,
          'Conflict',
          `body.callback: this tenant already has ${max} subscriptions to this API; delete one first`,
          'body.callback',
        );
      }
      const id = randomUUID();
      await db.kysely
        .insertInto('crm_hub_subscriptions')
        .values({ tenant_id: tenantId, id, api, callback, query, created_at: now() })
        .execute();
      return reply.code(201).header('location', `${hub}/${id}`).send(view({ id, callback, query }));
    },
  );

  app.get(
    `${hub}/:id`,
    {
      schema: {
        tags,
        summary: 'Retrieves an event subscription by id',
        params: idParams,
        response: { 200: subscription },
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read event subscriptions');
      const { id } = request.params as { id: string };
      const row = (await db.kysely
        .selectFrom('crm_hub_subscriptions')
        .select(['id', 'callback', 'query'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('api', '=', api)
        .executeTakeFirst()) as { id: string; callback: string; query: string | null } | undefined;
      if (!row) throw notFound(`id: no event subscription ${id}`, 'id');
      return view(row);
    },
  );

  app.delete(
    `${hub}/:id`,
    {
      schema: {
        tags,
        summary: 'Unsubscribes a listener (its undelivered events are dropped)',
        params: idParams,
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, WRITERS, 'delete event subscriptions');
      const { id } = request.params as { id: string };
      // Pending deliveries go with it (ON DELETE CASCADE).
      const result = await db.kysely
        .deleteFrom('crm_hub_subscriptions')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('api', '=', api)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound(`id: no event subscription ${id}`, 'id');
      return reply.code(204).send();
    },
  );
}
