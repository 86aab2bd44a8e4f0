import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sha256Hex } from '@parley/protocol';
import { requireRole } from '../http/authorize.js';
import { badRequest, HttpProblem, notFound } from '../http/problem.js';
import type { Principal } from '../tenant/keys.js';
import { AlreadyErased, eraseIndividual, type RightsContext } from './erasure.js';
import { CSV_KINDS, personCsv, personJson, type PersonKind } from './person-export.js';

export const SELFCARE_EXPORT_PATH = '/crm/v1/selfcare/export';
export const SELFCARE_ERASURE_PATH = '/crm/v1/selfcare/erasure';
export const STAFF_EXPORT_PATH = '/crm/v1/individual/:id/export';
export const STAFF_ERASURE_PATH = '/crm/v1/individual/:id/erasure';

const TAGS = ['Rights of the person'];

/** The kinds an export can hold, in the order of the JSON answer (default: all). */
export const EXPORT_KINDS = [
  'party',
  'agreements',
  'accounts',
  'services',
  'usage',
  'interactions',
  'tickets',
] as const satisfies readonly PersonKind[];

const ExportQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('csv')], {
        description:
          'json (default): one object with a member per kind; csv: one kind (party, accounts or usage)',
      }),
    ),
    include: Type.Optional(
      Type.String({
        pattern: '^[a-z]+(,[a-z]+)*$',
        maxLength: 200,
        description: `Kinds, comma separated, from ${EXPORT_KINDS.join(', ')} (default: all; csv: exactly one)`,
      }),
    ),
  },
  { additionalProperties: false },
);
type ExportQuery = Static<typeof ExportQuery>;

const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'An Individual' }),
});

const Reason = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'Why the person is erased (her request, its date and channel); stored with the report',
});

const ErasureReportSchema = Type.Object(
  {
    id: Type.String(),
    partyId: Type.String(),
    erasedAt: Type.String({ format: 'date-time' }),
    reason: Type.String(),
    removed: Type.Array(Type.Object({ what: Type.String(), count: Type.Integer() })),
    kept: Type.Array(
      Type.Object({
        what: Type.String(),
        count: Type.Integer(),
        why: Type.String({ description: 'The legal ground of keeping it' }),
        anonymisedAs: Type.String({ description: 'The pseudonym that replaces the party in it' }),
      }),
    ),
    ledger: Type.Object(
      {
        record: Type.Object({}, { additionalProperties: true }),
        index: Type.Integer(),
        proof: Type.Array(Type.String()),
        checkpoint: Type.String(),
      },
      { description: "The receipt of the `erasure` record in the vendor's ledger" },
    ),
  },
  { description: 'What was removed, what was kept and why, and the ledger receipt' },
);

const ExportSchema = {
  tags: TAGS,
  querystring: ExportQuery,
  produces: ['application/json', 'text/csv'],
};

/** The kinds asked for, checked; for CSV the one kind and its CRM export. */
function exportPlan(query: ExportQuery): { kinds: PersonKind[]; csv?: 'parties' | 'accounts' | 'usage' } {
  const kinds = query.include ? query.include.split(',') : [...EXPORT_KINDS];
  for (const kind of kinds) {
    if (!(EXPORT_KINDS as readonly string[]).includes(kind))
      throw badRequest(`include: ${kind} is not one of ${EXPORT_KINDS.join(', ')}`, 'include');
  }
  if (new Set(kinds).size !== kinds.length) throw badRequest('include: a kind is named twice', 'include');
  if (query.format !== 'csv') return { kinds: kinds as PersonKind[] };
  const csv = kinds.length === 1 ? CSV_KINDS[kinds[0] as PersonKind] : undefined;
  if (!csv) {
    throw new HttpProblem(
      422,
      'Unprocessable Entity',
      `include: CSV holds exactly one kind, one of ${Object.keys(CSV_KINDS).join(', ')}; ask for the others as json`,
      'include',
    );
  }
  return { kinds: kinds as PersonKind[], csv };
}

/** Whether the tenant has this individual. */
async function individualExists(ctx: RightsContext, tenantId: string, id: string): Promise<boolean> {
  const row = await ctx.db.kysely
    .selectFrom('crm_parties')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('kind', '=', 'Individual')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Streams the export: every check done before the first byte, the export logged in the ledger (the party's
 * hash, never its id), then the generator a page at a time.
 */
async function sendExport(
  ctx: RightsContext,
  reply: FastifyReply,
  principal: Principal,
  partyId: string,
  query: ExportQuery,
) {
  const plan = exportPlan(query);
  if (!(await individualExists(ctx, principal.tenantId, partyId)))
    throw notFound(`id: no individual ${partyId}`, 'id');
  await ctx.ledger.append([
    {
      type: 'personExport',
      tenant: principal.tenantId,
      partyHash: sha256Hex(partyId),
      by: principal.role === 'selfcare' ? 'selfcare' : 'staff',
      include: plan.kinds,
      format: plan.csv ? 'csv' : 'json',
    },
  ]);
  if (plan.csv) {
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${plan.csv}.csv"`);
    return reply.send(Readable.from(personCsv(ctx.db, principal.tenantId, partyId, plan.csv)));
  }
  reply.type('application/json; charset=utf-8');
  const head = { partyId, exportedAt: new Date().toISOString() };
  return reply.send(Readable.from(personJson(ctx.db, principal.tenantId, partyId, plan.kinds, { head })));
}

async function sendErasure(
  ctx: RightsContext,
  reply: FastifyReply,
  principal: Principal,
  partyId: string,
  reason: string,
) {
  try {
    const report = await eraseIndividual(ctx, principal.tenantId, partyId, {
      reason,
      requestedBy: `${principal.role}:${principal.keyId}`,
    });
    if (!report) throw notFound(`id: no individual ${partyId}`, 'id');
    return reply.send(report);
  } catch (error) {
    // Asked again: the report of the erasure that happened, unchanged (idempotent).
    if (error instanceof AlreadyErased) return reply.header('parley-erasure', 'repeated').send(error.report);
    throw error;
  }
}

/**
 * The rights of the person (GDPR Art. 15, 17, 20): her export for herself (self-care key) and for the
 * vendor's staff answering a subject-access request, and her erasure (docs/crm.md, "Rights of the person").
 */
export function registerRightsRoutes(app: FastifyInstance, ctx: RightsContext): void {
  app.get(
    SELFCARE_EXPORT_PATH,
    {
      schema: {
        ...ExportSchema,
        summary: 'Everything the CRM holds about the self-care key’s own party, streamed as JSON or CSV',
        description:
          'JSON: {partyId, exportedAt, party, agreements, accounts, services, usage, interactions, tickets} (the ' +
          'kinds of `include`, in that order); usage holds every record of the accounts she holds and her own ' +
          'on accounts she is a member of. CSV: one kind in the columns of the CRM export. Role selfcare.',
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, ['selfcare'], 'export as a person (use a self-care key)');
      return sendExport(ctx, reply, principal, principal.partyId ?? '', request.query as ExportQuery);
    },
  );

  app.get(
    STAFF_EXPORT_PATH,
    {
      schema: {
        ...ExportSchema,
        params: IdParams,
        summary: 'Everything the CRM holds about an individual (a subject-access request), streamed',
        description: 'The answer of the self-care export, for the individual `id`. Roles admin and agent.',
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, ['admin', 'agent'], "export a person's data");
      const { id } = request.params as Static<typeof IdParams>;
      return sendExport(ctx, reply, principal, id, request.query as ExportQuery);
    },
  );

  app.post(
    STAFF_ERASURE_PATH,
    {
      schema: {
        tags: TAGS,
        params: IdParams,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
        summary: 'Erases an individual: personal data removed, records the law keeps anonymised',
        description:
          'One transaction. Answer 200 with the report, which is stored and logged in the ledger (hashes and ' +
          'counts only). Asked again: 200 with the stored report and `Parley-Erasure: repeated`. Role admin.',
        response: { 200: ErasureReportSchema },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, ['admin'], 'erase a person');
      const { id } = request.params as Static<typeof IdParams>;
      const { reason } = request.body as { reason: string };
      return sendErasure(ctx, reply, principal, id, reason);
    },
  );

  app.post(
    SELFCARE_ERASURE_PATH,
    {
      schema: {
        tags: TAGS,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false })),
        summary: 'The self-care key’s own party asks to be erased',
        description:
          'As POST /crm/v1/individual/{id}/erasure, for the key’s own party; her self-care keys stop working ' +
          'with the answer. Role selfcare.',
        response: { 200: ErasureReportSchema },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, ['selfcare'], 'erase herself (use a self-care key)');
      const reason = (request.body as { reason?: string } | undefined)?.reason;
      return sendErasure(
        ctx,
        reply,
        principal,
        principal.partyId ?? '',
        reason ?? 'the person asked through self-care',
      );
    },
  );
}
