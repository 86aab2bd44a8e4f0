import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { nowOf, type VendorContext } from '../agreement/vendor.js';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { badRequest, HttpProblem, notFound, unprocessable } from '../http/problem.js';
import { OutboundError, outboundUrl } from '../intent/outbound.js';
import {
  adapterOf,
  ChannelPayloadError,
  CONNECTOR_KINDS,
  type ConnectorSettings,
  type PostJson,
} from './connector.js';
import {
  connectorById,
  connectorView,
  createConnector,
  deleteConnector,
  listConnectors,
} from './connectors.js';
import { addDeskAgent, assignTicket, deskAgents } from './desk.js';
import { alreadyTaken, takeIn, type Intake, type Intaken } from './intake.js';
import { replyToTicket } from './reply.js';
import { SIGNATURE_HEADER, verifySignature } from './signature.js';

const TAGS = ['Channels and the queue'];
export const CONNECTORS_PATH = '/crm/v1/channelConnectors';
/** Inbound webhooks: public (no API key), each request signed with its connector's secret. */
export const INBOUND_PREFIX = '/crm/v1/channels';

const Settings = Type.Object(
  {
    outboundUrl: Type.Optional(
      Type.String({
        maxLength: 2000,
        description:
          'email, chat: the HTTP API replies are posted to; social: the instance (https://mastodon.example)',
      }),
    ),
    token: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description: 'Sent as Authorization: Bearer (never shown again)',
      }),
    ),
    network: Type.Optional(Type.Literal('mastodon', { description: 'social: the network adapter' })),
    instance: Type.Optional(
      Type.String({ maxLength: 300, description: 'social: the domain local handles belong to' }),
    ),
    fromAddress: Type.Optional(
      Type.String({ maxLength: 300, description: 'email: the address replies come from' }),
    ),
  },
  { additionalProperties: false },
);

const ConnectorBody = Type.Object(
  {
    kind: Type.Union(
      CONNECTOR_KINDS.map((k) => Type.Literal(k)),
      { description: 'The channel' },
    ),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    settings: Type.Optional(Settings),
  },
  { additionalProperties: false },
);
type ConnectorBody = Static<typeof ConnectorBody>;

const IdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
const ConnectorParams = Type.Object({ connectorId: Type.String({ maxLength: 200 }) });

const ReplyBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 5000, description: 'The answer, as plain text' }) },
  { additionalProperties: false },
);
const AssignmentBody = Type.Object(
  {
    assignee: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
      description: 'A desk agent id (GET /crm/v1/deskAgents), or null to unassign',
    }),
  },
  { additionalProperties: false },
);
const DeskAgentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    channels: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 20,
        description: 'Channels this agent takes (empty or absent: all)',
      }),
    ),
    skills: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 })),
    supervisor: Type.Optional(Type.Boolean({ description: 'Takes tickets escalated to level 2' })),
  },
  { additionalProperties: false },
);
type DeskAgentBody = Static<typeof DeskAgentBody>;
const SelfcareBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 5000 }),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    threadId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Continue this conversation (from an earlier answer)',
      }),
    ),
    externalId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'The portal\u2019s id of the message (idempotency)',
      }),
    ),
  },
  { additionalProperties: false },
);
type SelfcareBody = Static<typeof SelfcareBody>;

const ADMIN = ['admin'] as const;

const isUniqueViolation = (error: unknown) => {
  const e = error as { code?: string; message?: string };
  return (
    e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint/.test(e.message ?? '')
  );
};

export interface ChannelOptions {
  /** How replies are posted to providers (default: jsonPoster with its time limits and retries). */
  post: PostJson;
}

/** Connectors, inbound webhooks, self-care messages, replies, assignment and the desk's agents. */
export async function registerChannelRoutes(
  app: FastifyInstance,
  ctx: VendorContext,
  options: ChannelOptions,
): Promise<void> {
  const db = ctx.db.kysely;
  const now = () => nowOf(ctx).toISOString();

  /** Runs the process in a transaction; a concurrent replay of the same message answers as a replay. */
  const intake = async (input: Omit<Intake, 'now' | 'events' | 'dbKind'>): Promise<Intaken> => {
    const full: Intake = {
      ...input,
      now: now(),
      dbKind: ctx.db.kind,
      ...(ctx.events ? { events: ctx.events } : {}),
    };
    try {
      return await db.transaction().execute((tx) => takeIn(tx, full));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const seen = await alreadyTaken(db, input.tenantId, input.source, input.message.externalId);
      if (!seen) throw error;
      return seen;
    }
  };

  app.post(
    CONNECTORS_PATH,
    {
      schema: {
        tags: TAGS,
        summary: 'Adds a channel connector; its inbound secret is in this answer only',
        body: ConnectorBody,
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, ADMIN, 'configure channel connectors');
      const body = request.body as ConnectorBody;
      const settings: ConnectorSettings = body.settings ?? {};
      if (settings.outboundUrl !== undefined) {
        try {
          outboundUrl(settings.outboundUrl);
        } catch (error) {
          throw unprocessable(
            `body.settings.outboundUrl: ${(error as OutboundError).message}`,
            'body.settings.outboundUrl',
          );
        }
      }
      if ((body.kind === 'email' || body.kind === 'chat' || body.kind === 'social') && !settings.outboundUrl)
        throw unprocessable(
          `body.settings.outboundUrl: a ${body.kind} connector needs the URL replies are sent to`,
          'body.settings.outboundUrl',
        );
      if (body.kind === 'social' && !settings.token)
        throw unprocessable(
          'body.settings.token: a social connector needs an access token to post replies',
          'body.settings.token',
        );
      const connector = await createConnector(
        db,
        tenantId,
        { kind: body.kind, name: body.name, settings },
        now(),
      );
      reply.code(201).header('location', `${CONNECTORS_PATH}/${connector.id}`);
      return {
        ...connectorView(connector),
        secret: connector.secret,
        signatureHeader: SIGNATURE_HEADER,
      };
    },
  );

  app.get(
    CONNECTORS_PATH,
    { schema: { tags: TAGS, summary: "The tenant's channel connectors (no secrets, no tokens)" } },
    async (request) => {
      const { tenantId } = requireRole(request, ADMIN, 'read channel connectors');
      return (await listConnectors(db, tenantId)).map(connectorView);
    },
  );

  app.get(
    `${CONNECTORS_PATH}/:id`,
    { schema: { tags: TAGS, summary: 'One channel connector', params: IdParams } },
    async (request) => {
      const { tenantId } = requireRole(request, ADMIN, 'read channel connectors');
      const { id } = request.params as { id: string };
      const connector = await connectorById(db, tenantId, id);
      if (!connector) throw notFound(`id: no channel connector ${id}`, 'id');
      return connectorView(connector);
    },
  );

  app.delete(
    `${CONNECTORS_PATH}/:id`,
    { schema: { tags: TAGS, summary: 'Removes a channel connector (its tickets stay)', params: IdParams } },
    async (request, reply) => {
      const { tenantId } = requireRole(request, ADMIN, 'remove channel connectors');
      const { id } = request.params as { id: string };
      if (!(await deleteConnector(db, tenantId, id))) throw notFound(`id: no channel connector ${id}`, 'id');
      return reply.code(204).send();
    },
  );

  // The inbound webhook reads the raw body: the signature is over the bytes sent, not over a re-serialisation.
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
    scope.post(
      `${INBOUND_PREFIX}/:connectorId/inbound`,
      {
        schema: {
          tags: TAGS,
          summary: `A message from a channel provider, signed with the connector's secret (${SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the body>)`,
          params: ConnectorParams,
          security: [],
        },
      },
      async (request: FastifyRequest, reply) => {
        const { connectorId } = request.params as { connectorId: string };
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const connector = await connectorById(db, undefined, connectorId);
        if (!connector || !verifySignature(connector.secret, raw, request.headers[SIGNATURE_HEADER]))
          throw new HttpProblem(
            401,
            'Unauthorized',
            `${SIGNATURE_HEADER}: missing, or not the signature of this body with the connector's secret`,
            SIGNATURE_HEADER,
            'signature',
          );
        let payload: unknown;
        try {
          payload = JSON.parse(raw.toString('utf8'));
        } catch {
          throw badRequest('body: not valid JSON', 'body');
        }
        let message;
        try {
          message = adapterOf(connector.kind, connector.settings).inbound(payload, connector.settings);
        } catch (error) {
          if (error instanceof ChannelPayloadError) throw unprocessable(error.message, error.field);
          throw error;
        }
        const taken = await intake({
          tenantId: connector.tenantId,
          channel: connector.kind,
          source: connector.id,
          connectorId: connector.id,
          message,
        });
        reply.code(taken.replay ? 200 : 201);
        return taken;
      },
    );
  });

  app.post(
    '/crm/v1/selfcare/messages',
    {
      schema: {
        tags: TAGS,
        summary:
          'A message from the person in the self-care portal (self-care key): it opens or continues a ticket',
        body: SelfcareBody,
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, ['selfcare'], 'write self-care messages');
      const partyId = principal.partyId as string;
      const body = request.body as SelfcareBody;
      const party = (await db
        .selectFrom('crm_parties')
        .select(['kind', 'name'])
        .where('tenant_id', '=', principal.tenantId)
        .where('id', '=', partyId)
        .executeTakeFirst()) as { kind: string; name: string } | undefined;
      if (!party) throw notFound('authorization: the party of this key is gone', 'authorization');
      const taken = await intake({
        tenantId: principal.tenantId,
        channel: 'selfcare',
        source: `selfcare:${partyId}`,
        connectorId: null,
        partyId,
        partyType: party.kind,
        message: {
          externalId: body.externalId ?? randomUUID(),
          ...(body.threadId ? { threadId: body.threadId } : {}),
          from: { name: party.name },
          ...(body.subject ? { subject: body.subject } : {}),
          text: body.text,
        },
      });
      reply.code(taken.replay ? 200 : 201);
      return taken;
    },
  );

  app.get(
    '/crm/v1/selfcare/messages',
    {
      schema: {
        tags: TAGS,
        summary: "The self-care key's own conversation: its messages and the replies to them",
      },
    },
    async (request) => {
      const principal = requireRole(request, ['selfcare'], 'read self-care messages');
      const rows = (await db
        .selectFrom('crm_channel_messages')
        .select(['id', 'direction', 'thread_id', 'ticket_id', 'subject', 'body', 'sender', 'sent_at'])
        .where('tenant_id', '=', principal.tenantId)
        .where('party_id', '=', principal.partyId as string)
        .where('channel', '=', 'selfcare')
        .orderBy('sent_at')
        .orderBy('created_at')
        .limit(1000)
        .execute()) as Record<string, string | null>[];
      return rows.map((r) => ({
        id: r.id,
        direction: r.direction,
        threadId: r.thread_id,
        ticketId: r.ticket_id,
        ...(r.subject ? { subject: r.subject } : {}),
        text: r.body,
        from:
          r.direction === 'inbound'
            ? 'you'
            : ((JSON.parse(r.sender ?? '{}') as { name?: string }).name ?? 'us'),
        sentAt: new Date(r.sent_at as string).toISOString(),
      }));
    },
  );

  app.post(
    '/crm/v1/troubleTicket/:id/reply',
    {
      schema: {
        tags: TAGS,
        summary: 'Answers a ticket on the channel it came in on; the first reply stops its response clock',
        params: IdParams,
        body: ReplyBody,
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, WRITERS, 'reply to tickets');
      const { id } = request.params as { id: string };
      const { text } = request.body as { text: string };
      const done = await replyToTicket(
        ctx,
        options.post,
        principal.tenantId,
        id,
        text,
        `desk (${principal.role})`,
      );
      reply.code(201);
      return done;
    },
  );

  app.post(
    '/crm/v1/troubleTicket/:id/assignment',
    {
      schema: {
        tags: TAGS,
        summary: 'Assigns a ticket to a desk agent',
        params: IdParams,
        body: AssignmentBody,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, WRITERS, 'assign tickets');
      const { id } = request.params as { id: string };
      const { assignee } = request.body as { assignee: string | null };
      const ticket = await db
        .selectFrom('crm_tickets')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!ticket) throw notFound(`id: no TroubleTicket ${id}`, 'id');
      if (assignee !== null && !(await deskAgents(db, tenantId)).some((a) => a.id === assignee))
        throw unprocessable(`body.assignee: no desk agent ${assignee}`, 'body.assignee');
      await db.transaction().execute((tx) => assignTicket(tx, tenantId, id, assignee, now()));
      return { ticketId: id, assignee };
    },
  );

  app.post(
    '/crm/v1/deskAgents',
    { schema: { tags: TAGS, summary: 'Adds a desk agent tickets are assigned to', body: DeskAgentBody } },
    async (request, reply) => {
      const { tenantId } = requireRole(request, ADMIN, 'add desk agents');
      const agent = await addDeskAgent(db, tenantId, request.body as DeskAgentBody, now());
      reply.code(201).header('location', `/crm/v1/deskAgents/${agent.id}`);
      return agent;
    },
  );

  app.get(
    '/crm/v1/deskAgents',
    { schema: { tags: TAGS, summary: "The desk's agents, their channels and skills" } },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read desk agents');
      return deskAgents(db, tenantId);
    },
  );
}
