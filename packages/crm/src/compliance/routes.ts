import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CHANNELS, PURPOSES } from '@parley/protocol';
import type { VendorContext } from '../agreement/vendor.js';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { badRequest, notFound } from '../http/problem.js';
import { complianceOfAgreement, complianceOfParty } from './report.js';
import { provenanceOf } from './provenance.js';
import { declarationProblem, EXCLUSIONS, USE_KINDS } from './purpose.js';
import { runUse, useById, useMembers } from './uses.js';

export const USES_PATH = '/crm/v1/dataUses';
const TAGS = ['Compliance'];
const literals = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

const UseBody = Type.Object(
  {
    kind: literals(
      USE_KINDS,
      'What the data is taken for: a campaign, a segment, an export, a third-party share',
    ),
    purpose: literals(PURPOSES, 'The purpose declared; each party is judged against it'),
    description: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'What this use is, for the record',
    }),
    channel: Type.Optional(literals(CHANNELS, 'campaign: the channel people are contacted on')),
    publication: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'campaign: the publication sent; a subscription to it on the channel is consent',
      }),
    ),
    thirdParty: Type.Optional(Type.Boolean({ description: 'campaign: sent on behalf of a third party' })),
    partyIds: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 100_000,
        description: 'The Individuals to consider (default: every one of the tenant)',
      }),
    ),
  },
  { additionalProperties: false },
);
type UseBody = Static<typeof UseBody>;

const Exclusions = Type.Array(
  Type.Object({
    reason: literals(Object.keys(EXCLUSIONS) as (keyof typeof EXCLUSIONS)[], 'Why they were left out'),
    count: Type.Integer(),
    explanation: Type.String(),
  }),
);

const UseSchema = Type.Object(
  {
    id: Type.String(),
    href: Type.String(),
    kind: Type.String(),
    purpose: Type.String(),
    channel: Type.Optional(Type.String()),
    publication: Type.Optional(Type.String()),
    thirdParty: Type.Boolean(),
    description: Type.String(),
    requestedBy: Type.String({ description: 'The API key that declared it' }),
    createdAt: Type.String({ format: 'date-time' }),
    considered: Type.Integer(),
    included: Type.Integer(),
    excluded: Type.Integer(),
    anonymisedOnly: Type.Integer({ description: 'Included as fully anonymised data only' }),
    exclusions: Exclusions,
    ledgerIndex: Type.Integer(),
    ledger: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const MembersQuery = Type.Object(
  {
    included: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    after: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Start after this party id' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'At most 1000 (default 100)' })),
  },
  { additionalProperties: false },
);

/**
 * The CRM's compliance routes (docs/compliance.md): declared uses of personal data judged party by
 * party against the agreements in force; provenance of what the CRM holds about a person; compliance
 * reports per agreement and per person with ledger proofs. Staff keys only.
 */
export function registerComplianceRoutes(app: FastifyInstance, ctx: VendorContext): void {
  const href = (id: string) => `${USES_PATH}/${id}`;
  app.post<{ Body: UseBody }>(
    USES_PATH,
    {
      schema: {
        tags: TAGS,
        summary:
          'Declare a use of personal data (campaign, segment, export, share) and its purpose: every party is ' +
          'included only where her agreement, consents and policies allow it; the rest are counted by reason',
        body: UseBody,
        response: { 201: UseSchema },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, WRITERS, 'declare a use of personal data');
      const problem = declarationProblem(request.body);
      if (problem) throw badRequest(`${problem.field}: ${problem.detail}`, problem.field);
      const { use, ledger } = await runUse(ctx, principal.tenantId, request.body, principal.keyId);
      return reply
        .code(201)
        .header('location', href(use.id))
        .send({ ...use, href: href(use.id), ledger });
    },
  );
  app.get<{ Params: Static<typeof IdParams> }>(
    `${USES_PATH}/:id`,
    {
      schema: {
        tags: TAGS,
        summary: 'A declared use: what it took and left out, and why',
        params: IdParams,
        response: { 200: UseSchema },
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read the uses of personal data');
      const use = await useById(ctx, tenantId, request.params.id);
      if (!use) throw notFound(`id: no data use ${request.params.id}`, 'id');
      return { ...use, href: href(use.id) };
    },
  );
  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof MembersQuery> }>(
    `${USES_PATH}/:id/members`,
    {
      schema: {
        tags: TAGS,
        summary:
          'The parties a use considered, in id order: included (what it may take) or left out, and why',
        params: IdParams,
        querystring: MembersQuery,
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, STAFF, 'read the uses of personal data');
      if (!(await useById(ctx, tenantId, request.params.id)))
        throw notFound(`id: no data use ${request.params.id}`, 'id');
      const limit = Math.min(Number(request.query.limit ?? 100), 1000);
      const members = await useMembers(ctx, tenantId, request.params.id, {
        ...(request.query.included ? { included: request.query.included === 'true' } : {}),
        ...(request.query.after ? { after: request.query.after } : {}),
        limit,
      });
      const last = members.at(-1);
      if (last && members.length === limit) {
        const next = new URLSearchParams({ ...request.query, after: last.partyId, limit: String(limit) });
        void reply.header('link', `<${href(request.params.id)}/members?${next}>; rel="next"`);
      }
      return members;
    },
  );
  app.get<{ Params: Static<typeof IdParams> }>(
    '/crm/v1/individual/:id/provenance',
    {
      schema: {
        tags: TAGS,
        summary:
          'Where each personal data item held about a person came from (an agreement and its event, or the ' +
          'vendor itself), the purposes it may serve now, its retention deadline, whether it may be shared',
        params: IdParams,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read provenance');
      const provenance = await provenanceOf(ctx, tenantId, request.params.id);
      if (!provenance) throw notFound(`id: no individual ${request.params.id}`, 'id');
      return provenance;
    },
  );
  app.get<{ Params: Static<typeof IdParams> }>(
    '/crm/v1/compliance/agreement/:id',
    {
      schema: {
        tags: TAGS,
        summary:
          'What was received, used, shared and purged under one agreement, each with a ledger proof against ' +
          'the newest checkpoint',
        params: IdParams,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read compliance reports');
      const report = await complianceOfAgreement(ctx, tenantId, request.params.id);
      if (!report) throw notFound(`id: no agreement ${request.params.id}`, 'id');
      return report;
    },
  );
  app.get<{ Params: Static<typeof IdParams> }>(
    '/crm/v1/compliance/individual/:id',
    {
      schema: {
        tags: TAGS,
        summary:
          "The compliance report of every agreement with a person, and the uses of the vendor's own data",
        params: IdParams,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'read compliance reports');
      const report = await complianceOfParty(ctx, tenantId, request.params.id);
      if (!report) throw notFound(`id: no individual ${request.params.id}`, 'id');
      return report;
    },
  );
}
