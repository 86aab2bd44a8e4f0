import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseStrictJson, ProtocolError } from '@parley/protocol';
import { requireRole, WRITERS } from '../http/authorize.js';
import { answerDataRequest } from './data-export.js';
import { protocolProblem, refused } from './errors.js';
import { receiveEvent } from './events.js';
import { createInvitation, INVITATION_DAYS } from './invitations.js';
import { answerCounter, offering, proffer } from './negotiation.js';
import {
  checkProfile,
  VENDOR_PROFILE_SCHEMA,
  vendorDocument,
  type Tenant,
  type VendorProfile,
} from './profile.js';
import { vendorOf, vendorPath, type VendorContext } from './vendor.js';

/** Vendor endpoint bodies: at most 1 MiB (docs/relationships.md). */
export const VENDOR_BODY_LIMIT = 1024 * 1024;
export const VENDOR_PREFIX = '/parley/v1/vendors';
export const VENDOR_PROFILE_PATH = '/crm/v1/vendorProfile';
export const INVITATIONS_PATH = '/crm/v1/agreementInvitations';

const VENDOR_TAGS = ['Parley vendor endpoint'];
const STAFF_TAGS = ['Parley agreements'];
const tenantParams = {
  type: 'object',
  properties: { tenantId: { type: 'string', description: 'The tenant whose vendor endpoint this is' } },
  required: ['tenantId'],
};
const signedBody = (description: string) => ({ type: 'object', description });

/**
 * Bodies from another party, parsed strictly (duplicate members, lone surrogates and deep nesting refused,
 * at most `limit`): for an encapsulated Fastify scope of vendor endpoint routes.
 */
export function strictJsonBodies(scope: FastifyInstance, limit = VENDOR_BODY_LIMIT): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: limit },
    (_request, text, done) => {
      if (text === '') return done(null, undefined);
      try {
        done(null, parseStrictJson(text as string, { field: 'body', maxLength: limit }));
      } catch (error) {
        done(error instanceof ProtocolError ? protocolProblem(error) : (error as Error), undefined);
      }
    },
  );
}

/** The tenant of a `{vendor}` route (`:tenantId`), or 404 `unknown-vendor`. */
export async function vendorTenant(ctx: VendorContext, request: FastifyRequest): Promise<Tenant> {
  const { tenantId } = request.params as { tenantId: string };
  const tenant = await ctx.profiles.tenant(tenantId);
  if (!tenant) throw refused(404, `tenantId: no vendor ${tenantId} here`, 'tenantId', 'unknown-vendor');
  return tenant;
}

/**
 * The vendor endpoint of every tenant (`/parley/v1/vendors/{tenantId}`, no API key: signatures authenticate)
 * and the staff routes that set it up (`/crm/v1/vendorProfile`, `/crm/v1/agreementInvitations`, with an API
 * key). Bodies of the vendor endpoint are parsed strictly (duplicate members, lone surrogates and deep nesting
 * refused), as every message from another party is.
 */
export async function registerAgreementRoutes(app: FastifyInstance, ctx: VendorContext): Promise<void> {
  await app.register(async (scope) => {
    strictJsonBodies(scope);
    const tenantOf = (request: FastifyRequest) => vendorTenant(ctx, request);
    const route = { bodyLimit: VENDOR_BODY_LIMIT };
    const base = `${VENDOR_PREFIX}/:tenantId`;

    scope.get(
      base,
      {
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary:
            'Who the vendor is, the terms it accepts, what it asks for, its publications, its intent policy, ' +
            'its catalogue categories and its ledger',
          params: tenantParams,
        },
      },
      async (request) => {
        const tenant = await tenantOf(request);
        const categories = (await ctx.catalogue?.categories(tenant.id)) ?? [];
        return vendorDocument(tenant.profile, vendorOf(ctx, tenant), ctx.ledger, categories);
      },
    );

    scope.post(
      `${base}/offerings`,
      {
        ...route,
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary: "A fresh JLINC v7 SISA offering for the roster IRI of the vendor's first accepted terms",
          params: tenantParams,
        },
      },
      async (request, reply) => {
        const tenant = await tenantOf(request);
        return reply.code(201).send(offering(ctx, tenant));
      },
    );

    scope.post(
      `${base}/negotiations`,
      {
        ...route,
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary: 'Proffer terms: a SISA accepted with the pairwise identity and a signed TermsProposal',
          description:
            'Body {sisa, proposal, invitation?, acceptance?}. Answer 201 {status: agreed|countered|refused, answer, ' +
            'agreement?, consentReceipt?, ledger?} with Location {vendor}/negotiations/{proposal id}. 409 when the ' +
            'SISA was used. With acceptance (a signed OfferAcceptance of one of its offers, docs/intentcasting.md) ' +
            'the offer’s terms are accepted; 409 taken, 410 expired.',
          params: tenantParams,
          body: signedBody('{ sisa, proposal, invitation?, acceptance? }'),
        },
      },
      async (request, reply) => {
        const tenant = await tenantOf(request);
        const { location, answer } = await proffer(ctx, tenant, request.body);
        return reply.code(201).header('location', location).send(answer);
      },
    );

    scope.post(
      `${base}/negotiations/:proposalId/answer`,
      {
        ...route,
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary: 'The person accepts or rejects the pending counter-offer',
          description: 'Body {answer: signed TermsAnswer}. Answer 200, the shape of the negotiation answer.',
          params: {
            type: 'object',
            properties: { tenantId: { type: 'string' }, proposalId: { type: 'string' } },
            required: ['tenantId', 'proposalId'],
          },
          body: signedBody('{ answer }'),
        },
      },
      async (request) => {
        const tenant = await tenantOf(request);
        const { proposalId } = request.params as { proposalId: string };
        return answerCounter(ctx, tenant, proposalId, request.body);
      },
    );

    scope.post(
      `${base}/events`,
      {
        ...route,
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary: "An event on the SISA's chain, signed by the person: data, permissions, status",
          description:
            'Answer 200 {acknowledged, ledger, consentReceipt?, confirmation?, returnedData?}; the same event sent ' +
            'again gets the same answer. 409 fork or gap (code), 410 after termination, 404 unknown SISA.',
          params: tenantParams,
          body: signedBody('A JLINC v7 SISA event'),
        },
      },
      async (request) => {
        const tenant = await tenantOf(request);
        return receiveEvent(ctx, tenant, request.body);
      },
    );

    scope.post(
      `${base}/data`,
      {
        ...route,
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary: "The person's data back: a signed DataRequest answered as JSON or CSV, streamed",
          description:
            'Refused when older than five minutes or already answered (409 replay). JSON holds the kinds asked ' +
            'for; CSV one kind (party, accounts or usage) in the columns of the CRM export.',
          params: tenantParams,
          body: signedBody('A signed DataRequest'),
          produces: ['application/json', 'text/csv'],
        },
      },
      async (request, reply) => {
        const tenant = await tenantOf(request);
        const answer = await answerDataRequest(ctx, tenant, request.body);
        reply.type(answer.contentType);
        if (answer.filename) reply.header('content-disposition', `attachment; filename="${answer.filename}"`);
        return reply.send(Readable.from(answer.body));
      },
    );
  });

  app.get(
    VENDOR_PROFILE_PATH,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: "The tenant's vendor profile: what GET {vendor} publishes (the defaults until one is set)",
        description: 'Role admin.',
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, ['admin'], 'read the vendor profile');
      return (await ctx.profiles.tenant(tenantId))?.profile;
    },
  );

  app.put(
    VENDOR_PROFILE_PATH,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: "Sets the tenant's vendor profile",
        description:
          'Terms are roster codes (stored as such), the request schema follows the protocol’s schema rules, ' +
          'publications have a kind (newsletter, publication, service) and channels. Role admin.',
        body: VENDOR_PROFILE_SCHEMA,
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, ['admin'], 'set the vendor profile');
      const profile = checkProfile(request.body as VendorProfile, ctx.keys.forTenant(tenantId));
      await ctx.profiles.save(tenantId, profile);
      return profile;
    },
  );

  app.post(
    INVITATIONS_PATH,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: 'A one-time invitation binding the agreement a customer’s agent makes to her existing party',
        description:
          `Answer 201 {code, url, expiresAt}: give the customer the vendor url and the code (shown once, valid ` +
          `${INVITATION_DAYS} days, one use). Roles admin and agent.`,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['partyId'],
          properties: {
            partyId: { type: 'string', minLength: 1, maxLength: 200, description: 'An Individual' },
          },
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, WRITERS, 'invite a customer');
      const { partyId } = request.body as { partyId: string };
      const { code, expiresAt } = await createInvitation(ctx.db, tenantId, partyId);
      const url = `${request.protocol}://${request.host}${vendorPath(tenantId)}`;
      return reply.code(201).send({ code, url, expiresAt });
    },
  );
}
