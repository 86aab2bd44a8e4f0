import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AnyKysely } from '@parley/store';
import { principalOf, requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { badRequest, HttpProblem } from '../http/problem.js';
import { windowOf } from './qoe-routes.js';
import { ingestSelfcareEvents, SELFCARE_EVENT_KINDS, sessionsOf, wastedReport } from './selfcare.js';

const TAGS = ['Analytics'];
const Id = Type.String({ minLength: 1, maxLength: 200 });
const Event = Type.Object(
  {
    sessionId: Id,
    at: Type.String({ minLength: 10, maxLength: 40, description: 'When it happened (ISO 8601)' }),
    kind: Type.Union(SELFCARE_EVENT_KINDS.map((k) => Type.Literal(k))),
    page: Type.String({ minLength: 1, maxLength: 300, description: 'The page or screen (a path or a name)' }),
    loadMs: Type.Optional(
      Type.Number({ minimum: 0, maximum: 3_600_000, description: 'page_load: load time' }),
    ),
    detail: Type.Optional(Type.String({ maxLength: 1000, description: 'e.g. the form error shown' })),
    partyId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'The person (staff keys: required; a self-care key sends its own party)',
      }),
    ),
  },
  { additionalProperties: false },
);
const Batch = Type.Object(
  { events: Type.Array(Event, { minItems: 1, maxItems: 5000 }) },
  { additionalProperties: false },
);
const WastedQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({ maxLength: 40, description: 'Start (ISO 8601; default: `to` minus 30 days)' }),
    ),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'End, exclusive (default: now)' })),
  },
  { additionalProperties: false },
);
const SessionsQuery = Type.Object(
  {
    partyId: Id,
    limit: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,3}$', description: 'Sessions (default 20, at most 200)' }),
    ),
  },
  { additionalProperties: false },
);

/** Wasted self-care over HTTP (docs/analytics.md, "Wasted self-care"). */
export function registerSelfcareRoutes(app: FastifyInstance, db: AnyKysely, now: () => number): void {
  app.post<{ Body: Static<typeof Batch> }>(
    '/crm/v1/selfcare/events',
    {
      schema: {
        tags: TAGS,
        summary:
          'Self-care session events, in a batch: a staff key names the party of every event, a self-care key ' +
          "sends its own party's. All or nothing; an event sent again is stored once.",
        body: Batch,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      let events: (Static<typeof Event> & { partyId: string })[];
      if (principal.role === 'selfcare') {
        const own = principal.partyId;
        if (own === undefined) throw new HttpProblem(403, 'Forbidden', 'authorization: the key has no party');
        request.body.events.forEach((e, i) => {
          if (e.partyId !== undefined && e.partyId !== own)
            throw new HttpProblem(
              403,
              'Forbidden',
              `body.events[${i}].partyId: a self-care key sends events of its own party only`,
              'body.events.partyId',
            );
        });
        events = request.body.events.map((e) => ({ ...e, partyId: own }));
      } else {
        requireRole(request, WRITERS, 'send self-care events');
        events = request.body.events.map((e, i) => {
          if (e.partyId === undefined)
            throw badRequest(
              `body.events[${i}].partyId: a staff key names the party of each event`,
              'partyId',
            );
          return { ...e, partyId: e.partyId };
        });
      }
      const result = await ingestSelfcareEvents(db, principal.tenantId, events, new Date(now()));
      return reply.code(201).send(result);
    },
  );

  app.get<{ Querystring: Static<typeof WastedQuery> }>(
    '/crm/v1/analytics/selfcare/wasted',
    {
      schema: {
        tags: TAGS,
        summary:
          'Wasted self-care over a window: sessions, wasted sessions and their rate, by page (where it went ' +
          'wrong) and by cause (slow-page, form-error, abandoned-form, no-success), and the funnel (sessions ' +
          'with a page view, a form start, a submit, a success)',
        querystring: WastedQuery,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read analytics (they are for staff keys)');
      return wastedReport(db, tenantId, windowOf(request.query, now(), 30));
    },
  );

  app.get<{ Querystring: Static<typeof SessionsQuery> }>(
    '/crm/v1/analytics/selfcare/sessions',
    {
      schema: {
        tags: TAGS,
        summary:
          "A person's recent self-care sessions (90 days), newest first, each with its verdict: wasted or not, " +
          'the cause, the page, and whether she contacted us within 2 h',
        querystring: SessionsQuery,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read analytics (they are for staff keys)');
      const limit = Number(request.query.limit ?? 20);
      if (limit < 1 || limit > 200) throw badRequest('limit: expected a whole number from 1 to 200', 'limit');
      return sessionsOf(db, tenantId, request.query.partyId, { limit, now: now() });
    },
  );
}
