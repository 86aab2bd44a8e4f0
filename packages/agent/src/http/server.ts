import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import { Type, type Static } from '@sinclair/typebox';
import {
  CHANNELS,
  DATA_KINDS,
  FEEDBACK_KINDS,
  POLICIES,
  PURPOSES,
  ProtocolError,
  type DataKind,
} from '@parley/protocol';
import { Agent, AgentInputError, type AgentOptions } from '../agent.js';
import { Profile } from '../profile/profile.js';
import { VendorError } from '../vendor/client.js';
import { VendorAnswerError } from '../vendor/identity.js';
import { intentView } from '../intent/intents.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Connect = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2000,
      description: "the vendor's URL, {crm}/parley/v1/vendors/{tenant}",
    }),
    invitation: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    fields: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 200 }),
    ),
  },
  { additionalProperties: false },
);
const Decision = Type.Object({ accept: Type.Boolean() }, { additionalProperties: false });
const Policies = Type.Object(
  { policies: Type.Array(literals(POLICIES), { maxItems: POLICIES.length, uniqueItems: true }) },
  { additionalProperties: false },
);
const Preferences = Type.Object(
  {
    terms: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
    }),
    acceptCounters: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      maxItems: 50,
      uniqueItems: true,
    }),
  },
  { additionalProperties: false },
);
const Permissions = Type.Object(
  {
    consents: Type.Optional(
      Type.Array(
        Type.Object(
          { purpose: literals(PURPOSES), granted: Type.Boolean() },
          { additionalProperties: false },
        ),
        {
          maxItems: PURPOSES.length,
        },
      ),
    ),
    channels: Type.Optional(
      Type.Array(
        Type.Object(
          { channel: literals(CHANNELS), allowed: Type.Boolean() },
          { additionalProperties: false },
        ),
        {
          maxItems: CHANNELS.length,
        },
      ),
    ),
    subscriptions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            publication: Type.String({ minLength: 1, maxLength: 200 }),
            subscribed: Type.Boolean(),
            channels: Type.Array(literals(CHANNELS), { maxItems: CHANNELS.length, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
  },
  { additionalProperties: false },
);
const Feedback = Type.Object(
  {
    kind: literals(FEEDBACK_KINDS),
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    body: Type.String({ minLength: 1, maxLength: 5000 }),
    inReplyTo: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,200}$' })),
  },
  { additionalProperties: false },
);
const Termination = Type.Object(
  {
    dataDisposition: Type.Union([Type.Literal('return'), Type.Literal('destroy')]),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);
const DataQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
    kind: Type.Optional(literals(DATA_KINDS)),
  },
  { additionalProperties: false },
);
const Money = Type.Number({ minimum: 0, maximum: 1e12 });
const NewIntent = Type.Object(
  {
    intent: Type.Object(
      {
        category: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' }),
        description: Type.String({ minLength: 1, maxLength: 1000 }),
        tags: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' }), {
          maxItems: 20,
          uniqueItems: true,
        }),
        brands: Type.Optional(
          Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' }), {
            minItems: 1,
            maxItems: 20,
            uniqueItems: true,
          }),
        ),
      },
      { additionalProperties: false },
    ),
    price: Type.Object(
      { min: Type.Optional(Money), max: Money, currency: Type.String({ pattern: '^[A-Z]{3}$' }) },
      { additionalProperties: false },
    ),
    location: Type.Optional(
      Type.Object(
        {
          country: Type.String({ pattern: '^[A-Z]{2}$' }),
          region: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          postCode: Type.Optional(Type.String({ minLength: 1, maxLength: 10 })),
          radiusKm: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
        },
        { additionalProperties: false },
      ),
    ),
    validUntil: Type.String({ format: 'date-time' }),
    terms: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        minItems: 1,
        maxItems: 5,
        uniqueItems: true,
      }),
    ),
    vendors: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 5000, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);
const IntentId = Type.Object({ id: Type.String({ pattern: '^urn:uuid:[0-9a-f-]{36}$' }) });
const OfferParams = Type.Object({
  id: Type.String({ pattern: '^urn:uuid:[0-9a-f-]{36}$' }),
  offerId: Type.String({ pattern: '^urn:uuid:[0-9a-f-]{36}$' }),
});
const AcceptOffer = Type.Object(
  {
    fields: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 200 }),
    ),
  },
  { additionalProperties: false },
);
const FeedQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ maxLength: 500 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);

const ChangesQuery = Type.Object(
  { status: Type.Optional(Type.Literal('unconfirmed')) },
  { additionalProperties: false },
);
const EventsQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
);

export interface AgentServerOptions {
  /** The bearer token every /api call must carry. */
  token: string;
  /** The built dashboard (packages/web dist/agent); served at / when given. */
  dashboardDir?: string;
  logger?: boolean | object;
}

function problem(
  reply: FastifyReply,
  status: number,
  title: string,
  detail: string,
  field?: string,
  code?: string,
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title,
      status,
      detail,
      ...(field ? { field } : {}),
      ...(code ? { code } : {}),
    });
}

function sameToken(given: string, expected: Buffer): boolean {
  const g = Buffer.from(given);
  return g.length === expected.length && timingSafeEqual(g, expected);
}

/** The agent's API for her dashboard (docs/relationships.md), and the dashboard itself. */
export async function buildAgentServer(agent: Agent, options: AgentServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: true } },
  });
  const token = Buffer.from(options.token);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Parley personal agent',
        version: '1',
        description: "The API of the person's dashboard.",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof AgentInputError)
      return problem(
        reply,
        error.status,
        error.status === 404 ? 'Not Found' : 'Bad Request',
        error.message,
        error.field,
      );
    if (error instanceof VendorError) {
      const unreachable = error.status === 0 || error.retryable;
      return problem(
        reply,
        unreachable ? 502 : 422,
        unreachable ? 'Vendor Unreachable' : 'Refused by the Vendor',
        error.message,
        error.field ?? 'url',
        error.code,
      );
    }
    if (error instanceof VendorAnswerError)
      return problem(
        reply,
        502,
        'Bad Answer from the Vendor',
        `the vendor's answer did not verify: ${error.message}`,
        'answer',
      );
    if (error instanceof ProtocolError)
      return problem(reply, 422, 'Unprocessable Content', error.message, error.field, error.code);
    const e = error as FastifyError;
    if (e.validation) {
      const first = e.validation[0];
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const field = `${e.validationContext ?? 'body'}${(first?.instancePath ?? '').replace(/\//g, '.')}${extra ? '.' + extra : ''}`;
      return problem(
        reply,
        400,
        'Bad Request',
        extra ? `${field}: is not allowed here` : `${field}: ${first?.message ?? 'is not valid'}`,
        field,
      );
    }
    if (e.statusCode && e.statusCode < 500)
      return problem(reply, e.statusCode, 'Bad Request', `body: ${e.message}`, 'body');
    request.log.error({ err: error }, 'unexpected error');
    return problem(reply, 500, 'Internal Server Error', 'The agent could not answer; see its log.');
  });

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        const header = request.headers.authorization ?? '';
        const given = header.startsWith('Bearer ') ? header.slice(7) : '';
        if (!sameToken(given, token)) {
          return problem(
            reply,
            401,
            'Unauthorized',
            'authorization: send the token the agent printed at start, as "Bearer <token>"',
            'authorization',
          );
        }
      });
      const tags = ['agent'];
      api.get(
        '/me',
        { schema: { tags, summary: 'Her details, global policies and terms preferences' } },
        () => agent.me(),
      );
      api.patch<{ Body: Profile }>(
        '/me/profile',
        {
          schema: {
            tags,
            summary: 'Change her details; one signed event per vendor whose agreement covers a changed field',
            body: Profile,
          },
        },
        async (request, reply) => reply.code(202).send(await agent.updateProfile(request.body)),
      );
      api.put<{ Body: Static<typeof Policies> }>(
        '/me/policies',
        { schema: { tags, summary: 'Set the global policies of every relationship', body: Policies } },
        async (request, reply) => reply.code(202).send(await agent.setPolicies(request.body.policies)),
      );
      api.put<{ Body: Static<typeof Preferences> }>(
        '/me/preferences',
        {
          schema: {
            tags,
            summary: 'The terms she proffers, in order, and those she accepts as counters',
            body: Preferences,
          },
        },
        async (request) => agent.setPreferences(request.body),
      );
      api.get('/relationships', { schema: { tags, summary: 'Every vendor she deals with' } }, () =>
        agent.relationships(),
      );
      api.post<{ Body: Static<typeof Connect> }>(
        '/relationships',
        {
          schema: {
            tags,
            summary: 'Connect to a vendor by URL with a fresh pairwise identity',
            body: Connect,
          },
        },
        async (request, reply) => {
          const view = await agent.connect(request.body);
          return reply.code(201).header('location', `/api/v1/relationships/${view.id}`).send(view);
        },
      );
      api.get<{ Params: Static<typeof Id> }>(
        '/relationships/:id',
        { schema: { tags, params: Id } },
        async (request) => agent.relationship(request.params.id),
      );
      api.post<{ Params: Static<typeof Id>; Body: Static<typeof Decision> }>(
        '/relationships/:id/decision',
        {
          schema: { tags, summary: "Accept or reject a vendor's counter-offer", params: Id, body: Decision },
        },
        async (request) => agent.decide(request.params.id, request.body.accept),
      );
      api.post<{ Params: Static<typeof Id>; Body: Static<typeof Permissions> }>(
        '/relationships/:id/permissions',
        {
          schema: {
            tags,
            summary: 'Consents, channels and subscriptions, as a signed permission event',
            params: Id,
            body: Permissions,
          },
        },
        async (request, reply) =>
          reply.code(202).send(await agent.changePermissions(request.params.id, request.body)),
      );
      api.post<{ Params: Static<typeof Id>; Body: Static<typeof Feedback> }>(
        '/relationships/:id/feedback',
        {
          schema: {
            tags,
            summary: 'Feedback, an error report or a survey answer, as a signed event',
            params: Id,
            body: Feedback,
          },
        },
        async (request, reply) => reply.code(202).send(await agent.feedback(request.params.id, request.body)),
      );
      api.post<{ Params: Static<typeof Id>; Body: Static<typeof Termination> }>(
        '/relationships/:id/termination',
        {
          schema: {
            tags,
            summary: 'End the relationship; the vendor returns or destroys the data',
            params: Id,
            body: Termination,
          },
        },
        async (request, reply) =>
          reply
            .code(202)
            .send(
              await agent.terminate(request.params.id, request.body.dataDisposition, request.body.reason),
            ),
      );
      api.get<{ Params: Static<typeof Id>; Querystring: Static<typeof DataQuery> }>(
        '/relationships/:id/data',
        {
          schema: {
            tags,
            summary: 'What the vendor holds about her, usage records included, as JSON or CSV',
            params: Id,
            querystring: DataQuery,
          },
        },
        async (request, reply) => {
          const format = request.query.format ?? 'json';
          const kinds: DataKind[] =
            format === 'csv'
              ? [request.query.kind ?? 'usage']
              : request.query.kind
                ? [request.query.kind]
                : [...DATA_KINDS];
          const answer = await agent.pullData(request.params.id, format, kinds);
          const name = `${request.params.id}-${format === 'csv' ? kinds[0] : 'data'}.${format}`;
          reply
            .type(answer.headers.get('content-type') ?? (format === 'csv' ? 'text/csv' : 'application/json'))
            .header('content-disposition', `attachment; filename="${name}"`);
          return reply.send(answer.body ? Readable.fromWeb(answer.body as never) : '');
        },
      );
      api.get<{ Querystring: Static<typeof ChangesQuery> }>(
        '/changes',
        {
          schema: {
            tags,
            summary: "Her changes and each vendor's acknowledgement",
            querystring: ChangesQuery,
          },
        },
        async (request) => agent.changes(request.query),
      );
      api.post(
        '/notices/check',
        {
          schema: {
            tags,
            summary:
              "Collect the vendors' notices now: signed receipts of data purged when a retention period ended, each checked and kept",
          },
        },
        async () => agent.checkNotices(),
      );
      api.post(
        '/changes/retry',
        { schema: { tags, summary: 'Try every unconfirmed delivery now' } },
        async (_request, reply) => reply.code(202).send({ retrying: agent.retryAll() }),
      );
      api.post<{ Body: Static<typeof NewIntent> }>(
        '/intents',
        {
          schema: {
            tags,
            summary:
              'Intentcast: what she wants, under her terms, with a one-off identity; pushed to the vendors named',
            body: NewIntent,
          },
        },
        async (request, reply) => {
          const record = await agent.intents.create({
            ...request.body,
            validUntil: new Date(request.body.validUntil).toISOString(),
          } as never);
          return reply.code(201).header('location', `/api/v1/intents/${record.id}`).send(intentView(record));
        },
      );
      api.get(
        '/intents',
        { schema: { tags, summary: 'Her intentcasts and the answers, newest first' } },
        () => agent.intents.list().map(intentView),
      );
      api.get<{ Params: Static<typeof IntentId> }>(
        '/intents/:id',
        { schema: { tags, params: IntentId } },
        async (request) => intentView(agent.intents.get(request.params.id)),
      );
      api.post<{ Params: Static<typeof OfferParams>; Body: Static<typeof AcceptOffer> }>(
        '/intents/:id/offers/:offerId/acceptance',
        {
          schema: {
            tags,
            summary: 'Take an offer: an agreement under its terms releases the data the vendor needs',
            params: OfferParams,
            body: AcceptOffer,
          },
        },
        async (request, reply) => {
          const { intent, relationship } = await agent.intents.acceptOffer(
            request.params.id,
            request.params.offerId,
            request.body.fields,
          );
          return reply.code(201).send({ intent: intentView(intent), relationship });
        },
      );
      api.delete<{ Params: Static<typeof IntentId> }>(
        '/intents/:id',
        { schema: { tags, summary: 'Withdraw an intentcast; its offers close', params: IntentId } },
        async (request) => intentView(await agent.intents.withdraw(request.params.id)),
      );
      api.get<{ Querystring: Static<typeof EventsQuery> }>(
        '/events',
        {
          schema: {
            tags,
            summary: 'The last events, newest first, with their receipts',
            querystring: EventsQuery,
          },
        },
        async (request) => agent.events(request.query.limit ?? 50),
      );
    },
    { prefix: '/api/v1' },
  );

  // Public: her open intentcasts (no personal data in them) and the door for vendors' signed answers.
  app.get<{ Querystring: Static<typeof FeedQuery> }>(
    '/intents/feed',
    {
      schema: {
        tags: ['public'],
        summary: 'Her open intentcasts, oldest first, for vendors that follow her',
        querystring: FeedQuery,
        security: [],
      },
    },
    async (request) => agent.intents.feed(request.query.after, request.query.limit ?? 100),
  );
  app.post(
    '/intents/answers',
    {
      schema: {
        tags: ['public'],
        summary: "A vendor's signed decision (and offer) on one of her intentcasts",
        security: [],
      },
      bodyLimit: 64 * 1024,
    },
    async (request, reply) => {
      await agent.intents.receive(request.body);
      return reply.code(202).send({ received: true });
    },
  );

  if (options.dashboardDir && existsSync(options.dashboardDir)) {
    await app.register(fastifyStatic, { root: options.dashboardDir, index: 'index.html' });
  } else {
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply
        .type('text/plain')
        .send('The dashboard is not built: run `npm run build -w @parley/web`. The API is at /api/v1.'),
    );
  }
  return app;
}

export interface StartAgentOptions extends AgentOptions, Partial<Omit<AgentServerOptions, 'token'>> {
  host?: string;
  port?: number;
  /** Default PARLEY_AGENT_TOKEN, else a random one. */
  token?: string;
  /** How often vendors are asked for their notices (purge receipts), in ms; 0: only on request. Default 1 h. */
  noticesIntervalMs?: number;
}

export interface RunningAgent {
  agent: Agent;
  app: FastifyInstance;
  url: string;
  token: string;
  close(): Promise<void>;
}

/** Opens the vault and serves the agent on a loopback port (0 = any free one). */
export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const token = options.token ?? process.env.PARLEY_AGENT_TOKEN ?? randomBytes(24).toString('base64url');
  if (token.length < 16) throw new Error('token: use at least 16 characters');
  const agent = await Agent.open(options);
  try {
    const app = await buildAgentServer(agent, { token, ...options });
    const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    agent.setPublicUrl(address);
    const noticesMs = options.noticesIntervalMs ?? 3_600_000;
    let checking: Promise<unknown> = Promise.resolve();
    const notices =
      noticesMs > 0
        ? setInterval(() => {
            checking = checking
              .then(() => agent.checkNotices())
              .catch((err: unknown) => app.log.error({ err }, 'checking notices failed'));
          }, noticesMs).unref()
        : undefined;
    return {
      agent,
      app,
      url: address,
      token,
      async close() {
        clearInterval(notices);
        await checking;
        await app.close();
        await agent.close();
      },
    };
  } catch (error) {
    await agent.close();
    throw error;
  }
}
