import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AnyKysely } from '@parley/store';
import { requireRole, STAFF } from '../http/authorize.js';
import { badRequest, notFound } from '../http/problem.js';
import { QOE_BY, qoeAgainstSla, type QoeBasis, type QoeBy } from './qoe.js';

const BASE = '/crm/v1/analytics/qoe';
const TAGS = ['Analytics'];
const DAY = 86_400_000;
const LIMIT_DEFAULT = 50;
const LIMIT_MAX = 500;

const By = Type.Union(
  QOE_BY.map((b) => Type.Literal(b)),
  { description: 'The entity: user, account, group (user group), cell or service' },
);
const Window = {
  from: Type.Optional(
    Type.String({ maxLength: 40, description: 'Start of the window (ISO 8601; default: `to` minus 7 days)' }),
  ),
  to: Type.Optional(
    Type.String({ maxLength: 40, description: 'End of the window, exclusive (default: now)' }),
  ),
  basis: Type.Optional(
    Type.Union([Type.Literal('average'), Type.Literal('worst')], {
      description: "Compare the window's average (default) or its worst sample with the target",
    }),
  ),
};
const ListQuery = Type.Object(
  {
    by: By,
    ...Window,
    limit: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,4}$',
        description: `Entities per page (default ${LIMIT_DEFAULT}, at most ${LIMIT_MAX})`,
      }),
    ),
    after: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Start after this key (keyset paging; the `next` of the previous page)',
      }),
    ),
  },
  { additionalProperties: false },
);
const OneParams = Type.Object({ by: By, id: Type.String({ minLength: 1, maxLength: 200 }) });
const OneQuery = Type.Object(Window, { additionalProperties: false });

function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(ms))
    throw badRequest(`${field}: expected an ISO 8601 date-time such as 2026-01-31T00:00:00Z`, field);
  return new Date(ms).toISOString();
}

/** The window of a query: [from, to), `days` before `to` (default now) unless given. */
export function windowOf(
  query: { from?: string; to?: string },
  now: number,
  days = 7,
): { from: string; to: string } {
  const to = instant(query.to, 'to') ?? new Date(now).toISOString();
  const from = instant(query.from, 'from') ?? new Date(Date.parse(to) - days * DAY).toISOString();
  if (from >= to) throw badRequest('from: the window must start before `to`', 'from');
  return { from, to };
}

/** QoE against SLA over HTTP (docs/analytics.md, "QoE against SLA"): staff keys only. */
export function registerQoeRoutes(app: FastifyInstance, db: AnyKysely, now: () => number): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    BASE,
    {
      schema: {
        tags: TAGS,
        summary:
          'QoE against SLA per user, account, user group, cell or service over a window: samples, per metric ' +
          'the observed value, target and whether it was met, compliance, and violations with the measurements ' +
          'that prove them. Per user and account only for parties whose agreements allow service analytics ' +
          '(the others are counted in `excluded`). Keyset paging: pass `next` as `after`.',
        querystring: ListQuery,
      },
    },
    async (request: FastifyRequest<{ Querystring: Static<typeof ListQuery> }>, reply: FastifyReply) => {
      const { tenantId } = requireRole(request, STAFF, 'read analytics (they are for staff keys)');
      const q = request.query;
      const limit = Number(q.limit ?? LIMIT_DEFAULT);
      if (limit < 1 || limit > LIMIT_MAX)
        throw badRequest(`limit: expected a whole number from 1 to ${LIMIT_MAX}`, 'limit');
      const page = await qoeAgainstSla(db, tenantId, {
        by: q.by as QoeBy,
        ...windowOf(q, now()),
        basis: (q.basis ?? 'average') as QoeBasis,
        limit,
        ...(q.after !== undefined ? { after: q.after } : {}),
        evidence: 10,
      });
      reply.header('x-result-count', String(page.items.length));
      if (page.next !== null) {
        const url = new URL(request.url, 'http://localhost');
        url.searchParams.set('after', page.next);
        reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
      }
      return page;
    },
  );

  app.get<{ Params: Static<typeof OneParams>; Querystring: Static<typeof OneQuery> }>(
    `${BASE}/:by/:id`,
    {
      schema: {
        tags: TAGS,
        summary:
          'One entity in full: its QoE against SLA per service and metric, and its violations with up to 500 ' +
          'measurements of evidence',
        params: OneParams,
        querystring: OneQuery,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read analytics (they are for staff keys)');
      const { by, id } = request.params;
      const q = request.query;
      const page = await qoeAgainstSla(db, tenantId, {
        by: by as QoeBy,
        ...windowOf(q, now()),
        basis: (q.basis ?? 'average') as QoeBasis,
        limit: 1,
        id,
        evidence: 500,
      });
      const item = page.items[0];
      if (!item) {
        if (page.excludedEntities > 0)
          throw notFound(
            `id: the agreements of ${by} ${id} do not allow service analytics (${Object.keys(page.excluded).join(', ')})`,
            'id',
          );
        throw notFound(`id: no ${by} ${id} with QoE measurements in the window`, 'id');
      }
      return { ...item, from: page.from, to: page.to, basis: page.basis, excluded: page.excluded };
    },
  );
}
