import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PURPOSES, type Purpose } from '@parley/protocol';
import { requireRole, STAFF, WRITERS } from '../http/authorize.js';
import { strictJsonBodies, VENDOR_BODY_LIMIT, VENDOR_PREFIX, vendorTenant } from '../agreement/routes.js';
import type { VendorContext } from '../agreement/vendor.js';
import { acceptOffering, receiveBisaEvent } from './recipient.js';
import { createShare, listShares, withdrawShare } from './sharer.js';
import type { OnwardService } from './service.js';
import { SHARES_PATH } from './store.js';

const VENDOR_TAGS = ['Parley vendor endpoint'];
const STAFF_TAGS = ['Parley onward sharing'];

const SHARE_SCHEMA = {
  type: 'object',
  description: 'An onward share: field names only, never values',
  properties: {
    id: { type: 'string' },
    href: { type: 'string' },
    agreementId: { type: 'string' },
    partyId: { type: 'string' },
    recipient: { type: 'string' },
    recipientDid: { type: 'string' },
    bisaId: { type: 'string' },
    fields: { type: 'array', items: { type: 'string' } },
    purpose: { type: 'string' },
    status: { type: 'string', enum: ['sending', 'active', 'withdrawal-pending', 'withdrawn'] },
    sharedAt: { type: 'string', format: 'date-time' },
    acknowledged: { type: 'boolean' },
    ledgerIndex: { type: ['integer', 'null'] },
    withdrawal: {
      type: 'object',
      properties: {
        reason: { type: ['string', 'null'] },
        requestedAt: { type: ['string', 'null'] },
        confirmedAt: { type: ['string', 'null'] },
        removed: { type: ['integer', 'null'] },
        ledgerIndex: { type: ['integer', 'null'] },
        lastError: { type: ['string', 'null'] },
      },
    },
  },
} as const;

/**
 * Onward sharing (docs/relationships.md, "Onward sharing"): the recipient's side on each tenant's vendor
 * endpoint (`POST {vendor}/bisa`, `POST {vendor}/bisa/{bisaId}/events`, signatures authenticate, bodies parsed
 * strictly), and the sharer's staff routes under `/crm/v1/onwardShares` (API key).
 */
export async function registerOnwardRoutes(
  app: FastifyInstance,
  ctx: VendorContext,
  service: OnwardService,
): Promise<void> {
  await app.register(async (scope) => {
    strictJsonBodies(scope);
    const tenantOf = (request: FastifyRequest) => vendorTenant(ctx, request);
    const base = `${VENDOR_PREFIX}/:tenantId`;
    scope.post(
      `${base}/bisa`,
      {
        bodyLimit: VENDOR_BODY_LIMIT,
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary: 'Another custodian offers a JLINC BISA for onward sharing; the vendor accepts it',
          description:
            'Body: a BisaOffering whose targetAcceptorDid is this vendor and whose agreementURI is a roster ' +
            'terms IRI the vendor accepts. Answer 201 the Bisa (200 with the same Bisa when the offering was ' +
            'accepted before). 422 wrong-party, unknown-terms, terms-not-accepted; 400 a malformed offering.',
          params: {
            type: 'object',
            properties: { tenantId: { type: 'string' } },
            required: ['tenantId'],
          },
          body: { type: 'object', description: 'A JLINC v7 BisaOffering' },
        },
      },
      async (request, reply) => {
        const tenant = await tenantOf(request);
        const { bisa, created } = await acceptOffering(ctx, tenant, request.body);
        return reply.code(created ? 201 : 200).send(bisa);
      },
    );
    scope.post(
      `${base}/bisa/:bisaId/events`,
      {
        bodyLimit: VENDOR_BODY_LIMIT,
        schema: {
          tags: VENDOR_TAGS,
          security: [],
          summary: 'A permissionEvent of a BISA from its offeror: an OnwardShare or an OnwardWithdrawal',
          description:
            'Answer 200 {acknowledged, ledger, received?, confirmation?}: an OnwardShare is stored with its ' +
            'provenance; an OnwardWithdrawal deletes everything received under its share and is answered with ' +
            'a signed OnwardWithdrawalConfirmation (counts, no data). The same event again gets the same ' +
            'answer. 404 unknown BISA, 409 fork, gap or replay, 422 not from the offeror.',
          params: {
            type: 'object',
            properties: { tenantId: { type: 'string' }, bisaId: { type: 'string' } },
            required: ['tenantId', 'bisaId'],
          },
          body: { type: 'object', description: 'A JLINC v7 BISA event' },
        },
      },
      async (request) => {
        const tenant = await tenantOf(request);
        const { bisaId } = request.params as { bisaId: string };
        return receiveBisaEvent(ctx, tenant, bisaId, request.body);
      },
    );
  });

  app.post(
    SHARES_PATH,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: 'Shares values a person sent under an agreement with another vendor, under a BISA',
        description:
          'Refused 403 (the reason named) unless the agreement is active and allows onward sharing, its terms ' +
          'permit third-party sharing (anonymised-only: no directly identifying field), her consent to ' +
          'ThirdPartySharing stands and her policies (NoThirdPartyMail, DoNotTrack) allow it. 422 for a field ' +
          'she did not send; 502 when the recipient refuses or does not answer. Answer 201 {share, ledger}. ' +
          'Roles admin and agent.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['agreementId', 'recipient', 'fields', 'purpose'],
          properties: {
            agreementId: { type: 'string', minLength: 1, maxLength: 200 },
            recipient: {
              type: 'string',
              minLength: 8,
              maxLength: 2000,
              description: "The recipient's vendor URL (GET answers its did)",
            },
            fields: {
              type: 'array',
              minItems: 1,
              maxItems: 200,
              uniqueItems: true,
              items: { type: 'string', minLength: 1, maxLength: 100 },
            },
            purpose: { type: 'string', enum: [...PURPOSES] },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: { share: SHARE_SCHEMA, ledger: { type: 'object', additionalProperties: true } },
          },
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, WRITERS, 'share data onward');
      const tenant = await ctx.profiles.tenant(tenantId);
      if (!tenant) throw new Error('the caller’s tenant is gone');
      const body = request.body as {
        agreementId: string;
        recipient: string;
        fields: string[];
        purpose: Purpose;
      };
      const { share, ledger } = await createShare(ctx, tenant, body, service.options);
      return reply.code(201).header('location', share.href).send({ share, ledger });
    },
  );

  app.get(
    SHARES_PATH,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: "The onward shares of the tenant's agreements (field names, recipients, status)",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { agreementId: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: { 200: { type: 'array', items: SHARE_SCHEMA } },
      },
    },
    async (request) => {
      const { tenantId } = requireRole(request, STAFF, 'list onward shares');
      const { agreementId } = request.query as { agreementId?: string };
      return listShares(ctx, tenantId, agreementId);
    },
  );

  app.post(
    `${SHARES_PATH}/:shareId/withdrawal`,
    {
      schema: {
        tags: STAFF_TAGS,
        summary: 'Withdraws an onward share: the recipient deletes what it received under it',
        description:
          'Answer 200 with the share, withdrawn (the recipient confirmed), or 202 when the recipient did not ' +
          'answer: the share stays withdrawal-pending and is retried. Roles admin and agent.',
        params: {
          type: 'object',
          properties: { shareId: { type: 'string' } },
          required: ['shareId'],
        },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { reason: { type: 'string', maxLength: 500 } },
        },
        response: { 200: SHARE_SCHEMA, 202: SHARE_SCHEMA },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireRole(request, WRITERS, 'withdraw onward shares');
      const { shareId } = request.params as { shareId: string };
      const reason = (request.body as { reason?: string } | undefined)?.reason ?? 'Withdrawn by the vendor';
      const share = await withdrawShare(ctx, tenantId, shareId, reason, service.options);
      return reply.code(share.status === 'withdrawn' ? 200 : 202).send(share);
    },
  );
}
