import {
  AgreementError,
  answer,
  answerByPolicy,
  checkOfferIsOwn,
  createSisaOffering,
  findTerms,
  followNegotiation,
  issueConsentReceipt,
  messageHash,
  ProtocolError,
  validateParleyMessage,
  validateSisa,
  type InformationSharingAgreement,
  type Party,
  type SignedMessage,
  type SisaOffering,
  type TermsAnswer,
  type TermsProposal,
} from '@parley/protocol';
import type { AnyKysely } from '@parley/store';
import { badRequest } from '../http/problem.js';
import { INDIVIDUAL } from '../party/party.js';
import { checked, protocolProblem, refused } from './errors.js';
import { linkIndividual, newIndividual } from './individual.js';
import { consumeInvitation, findInvitation } from './invitations.js';
import { agreementRecord, consentReceiptRecord } from './ledger.js';
import type { Tenant } from './profile.js';
import { insertResource, readResource, updateResource } from './records.js';
import {
  vendorOf,
  vendorPath,
  type BoundOffer,
  type OfferAcceptances,
  type Permissions,
  type VendorContext,
} from './vendor.js';

/** `POST {vendor}/offerings`: a fresh SISA offering for the roster terms the vendor accepts first. */
export function offering(ctx: VendorContext, tenant: Tenant): SisaOffering {
  const first = tenant.profile.policy.accepts[0] ?? 'SD-BASE';
  const terms = findTerms(first) ?? (findTerms('SD-BASE') as NonNullable<ReturnType<typeof findTerms>>);
  return createSisaOffering(vendorOf(ctx, tenant), terms.id);
}

export interface NegotiationAnswer {
  status: 'agreed' | 'countered' | 'refused';
  answer: SignedMessage<TermsAnswer>;
  agreement?: InformationSharingAgreement;
  consentReceipt?: string;
  ledger?: unknown;
}

function members(body: unknown, required: string[], optional: string[] = []): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('body: expected a JSON object', 'body');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b))
    if (![...required, ...optional].includes(key))
      throw badRequest(`${key}: is not a member of this request`, key);
  for (const key of required) if (b[key] === undefined) throw badRequest(`${key}: is required`, key);
  return b;
}

const negotiationKey = (tenantId: string, sisaId: string) => `negotiation:${tenantId}:${sisaId}`;
const offerKey = (tenantId: string, offerId: string) => `offer:${tenantId}:${offerId}`;

/**
 * `POST {vendor}/negotiations`: checks the SISA (its own offering, the person's signature), the proposal
 * (signed by the SISA's rights holder, to this vendor), that the SISA was never used, and answers by the
 * tenant's policy, refusing a proposal whose schema lacks a field the vendor requires. The same request sent
 * again gets the same answer. With an `acceptance` of one of the vendor's offers (intentcasting), the offer's
 * terms are accepted instead of the policy's, and the offer is taken with the agreement (one at a time).
 */
export async function proffer(
  ctx: VendorContext,
  tenant: Tenant,
  body: unknown,
): Promise<{ location: string; answer: NegotiationAnswer }> {
  const vendor = vendorOf(ctx, tenant);
  const b = members(body, ['sisa', 'proposal'], ctx.offers ? ['invitation', 'acceptance'] : ['invitation']);
  const sisa = checked('sisa', () => validateSisa(b.sisa));
  checked('sisa', () => checkOfferIsOwn(sisa, vendor, 'acceptedSisaJwt.payload.offeredSisaJwt.payload'));
  const proposal = checked('proposal', () =>
    validateParleyMessage<TermsProposal>(b.proposal, { type: 'TermsProposal' }),
  );
  if (proposal.proposer !== 'person')
    throw refused(
      422,
      'proposal.proposer: the person proffers her terms ("person")',
      'proposal.proposer',
      'wrong-party',
    );
  if (proposal.from !== sisa.rightsHolderDid)
    throw refused(422, "proposal.from: is not the SISA's rights holder", 'proposal.from', 'wrong-party');
  if (proposal.to !== vendor.did)
    throw refused(422, `proposal.to: expected this vendor, ${vendor.did}`, 'proposal.to', 'wrong-party');
  const offers = ctx.offers as OfferAcceptances;
  const accepted = b.acceptance === undefined ? undefined : offers.validate(b.acceptance);
  const invitation =
    b.invitation === undefined ? undefined : await findInvitation(ctx.db.kysely, tenant.id, b.invitation);
  const location = `${vendorPath(tenant.id)}/negotiations/${encodeURIComponent(proposal.id)}`;
  const proposalHash = messageHash(proposal);

  return ctx.lock.run(negotiationKey(tenant.id, sisa.sisaId), async () => {
    const used = (await ctx.db.kysely
      .selectFrom('crm_agreement_negotiations')
      .select(['proposal_id', 'proposal_hash', 'response'])
      .where('tenant_id', '=', tenant.id)
      .where((eb) => eb.or([eb('sisa_id', '=', sisa.sisaId), eb('proposal_id', '=', proposal.id)]))
      .execute()) as { proposal_id: string; proposal_hash: string; response: string }[];
    const same = used.find((u) => u.proposal_hash === proposalHash);
    if (same) return { location, answer: JSON.parse(same.response) as NegotiationAnswer };
    if (used.length > 0) {
      const sisaUsed = used.some((u) => u.proposal_id !== proposal.id);
      throw refused(
        409,
        sisaUsed
          ? 'sisa.sisaId: this SISA was already used for a negotiation; ask for a new offering'
          : 'proposal.id: a proposal with this id was already received',
        sisaUsed ? 'sisa.sisaId' : 'proposal.id',
        sisaUsed ? 'sisa-used' : 'duplicate',
      );
    }
    if (accepted) {
      return ctx.lock.run(offerKey(tenant.id, accepted.offerId), async () =>
        decide(await offers.bind(tenant, vendor, b.acceptance, proposal)),
      );
    }
    return decide(undefined);
  });

  async function decide(
    offer: BoundOffer | undefined,
  ): Promise<{ location: string; answer: NegotiationAnswer }> {
    const reply = policyAnswer(tenant, proposal, vendor, offer);
    const now = new Date().toISOString();
    const row = {
      tenant_id: tenant.id,
      proposal_id: proposal.id,
      sisa_id: sisa.sisaId,
      person_did: proposal.from,
      sisa: JSON.stringify(b.sisa),
      proposal: JSON.stringify(proposal),
      proposal_hash: proposalHash,
      answer: JSON.stringify(reply),
      reply_hash: null,
      invitation_hash: invitation?.hash ?? null,
      created_at: now,
      updated_at: now,
    };
    if (reply.decision === 'accept') {
      const agreement = checked('proposal', () => {
        const state = followNegotiation([proposal, reply]);
        if (state.status !== 'AgreementAccepted') throw new AgreementError('decision', 'not accepted');
        return state.agreement;
      });
      const result = await conclude(ctx, tenant, vendor, agreement, reply, {
        sisaId: sisa.sisaId,
        sisaText: row.sisa,
        invitationHash: invitation?.hash ?? null,
        ...(offer ? { offer } : {}),
        negotiation: (tx, response) =>
          tx
            .insertInto('crm_agreement_negotiations')
            .values({ ...row, status: 'agreed', agreement_id: agreement.id, response })
            .execute(),
      });
      return { location, answer: result };
    }
    const result: NegotiationAnswer = {
      status: reply.decision === 'counter' ? 'countered' : 'refused',
      answer: reply,
    };
    await ctx.db.kysely
      .insertInto('crm_agreement_negotiations')
      .values({ ...row, status: result.status, agreement_id: null, response: JSON.stringify(result) })
      .execute();
    return { location, answer: result };
  }
}

/**
 * The vendor's answer: a rejection naming the missing fields when the proposal's schema lacks one the vendor
 * requires; otherwise the terms of the offer she took, or its policy (and a rejection when those terms, or
 * the policy's counter, cannot hold the proposal).
 */
function policyAnswer(
  tenant: Tenant,
  proposal: SignedMessage<TermsProposal>,
  vendor: Party,
  offer?: BoundOffer,
) {
  const offered = new Set(proposal.schema.fields.map((f) => f.name));
  const missing = tenant.profile.request.schema.fields.filter((f) => f.required && !offered.has(f.name));
  if (missing.length > 0) {
    const names = missing.map((f) => f.name).join(', ');
    return answer(proposal, vendor, {
      decision: 'reject',
      reason: `We need ${names} to deliver our service; the proposal's schema does not include ${missing.length > 1 ? 'them' : 'it'}.`,
    });
  }
  try {
    if (offer) return answer(proposal, vendor, { decision: 'accept', terms: offer.termsId });
    return answerByPolicy(proposal, vendor, tenant.profile.policy);
  } catch (error) {
    if (!(error instanceof AgreementError)) throw error;
    return answer(proposal, vendor, {
      decision: 'reject',
      reason: tenant.profile.policy.reason ?? 'None of these terms fits our service.',
    });
  }
}

/**
 * `POST {vendor}/negotiations/{proposalId}/answer`: the person accepts or rejects the pending counter-offer.
 * The same answer sent again gets the same reply; 404 when no counter-offer is pending.
 */
export async function answerCounter(
  ctx: VendorContext,
  tenant: Tenant,
  proposalId: string,
  body: unknown,
): Promise<NegotiationAnswer> {
  const vendor = vendorOf(ctx, tenant);
  const b = members(body, ['answer']);
  const pending = async () =>
    (await ctx.db.kysely
      .selectFrom('crm_agreement_negotiations')
      .select([
        'sisa_id',
        'status',
        'sisa',
        'proposal',
        'answer',
        'reply_hash',
        'invitation_hash',
        'response',
      ])
      .where('tenant_id', '=', tenant.id)
      .where('proposal_id', '=', proposalId)
      .executeTakeFirst()) as Record<string, string | null> | undefined;
  const first = await pending();
  const none = () =>
    refused(404, `proposalId: no counter-offer is pending for ${proposalId}`, 'proposalId', 'not-pending');
  if (!first) throw none();
  return ctx.lock.run(negotiationKey(tenant.id, first.sisa_id as string), async () => {
    const row = (await pending()) as Record<string, string | null>;
    if (row.status !== 'countered') {
      if (typeof b.answer === 'object' && b.answer !== null && row.reply_hash === messageHash(b.answer))
        return JSON.parse(row.response as string) as NegotiationAnswer;
      throw none();
    }
    const proposal = JSON.parse(row.proposal as string) as SignedMessage<TermsProposal>;
    const counter = JSON.parse(row.answer as string) as SignedMessage<TermsAnswer>;
    checked('answer', () => validateParleyMessage<TermsAnswer>(b.answer, { type: 'TermsAnswer' }));
    let state;
    try {
      state = followNegotiation([proposal, counter, b.answer]);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      const inner = error.field.replace(/^messages\[2\]\.?/, '');
      throw protocolProblem(
        new AgreementError(inner, error.message.slice(error.field.length + 2), error.code),
        'answer',
      );
    }
    const replyHash = messageHash(b.answer as object);
    const now = new Date().toISOString();
    if (state.status === 'AgreementAccepted') {
      return conclude(ctx, tenant, vendor, state.agreement, counter, {
        sisaId: row.sisa_id as string,
        sisaText: row.sisa as string,
        invitationHash: row.invitation_hash ?? null,
        negotiation: (tx, response) =>
          tx
            .updateTable('crm_agreement_negotiations')
            .set({
              status: 'agreed',
              agreement_id: state.agreement.id,
              reply_hash: replyHash,
              response,
              updated_at: now,
            })
            .where('tenant_id', '=', tenant.id)
            .where('proposal_id', '=', proposalId)
            .execute(),
      });
    }
    const result: NegotiationAnswer = { status: 'refused', answer: counter };
    await ctx.db.kysely
      .updateTable('crm_agreement_negotiations')
      .set({ status: 'refused', reply_hash: replyHash, response: JSON.stringify(result), updated_at: now })
      .where('tenant_id', '=', tenant.id)
      .where('proposal_id', '=', proposalId)
      .execute();
    return result;
  });
}

interface Conclusion {
  sisaId: string;
  sisaText: string;
  invitationHash: string | null;
  /** The offer she took (intentcasting): logged and taken with the agreement. */
  offer?: BoundOffer;
  /** Records the negotiation's outcome inside the agreement's transaction. */
  negotiation(tx: AnyKysely, response: string): Promise<unknown>;
}

/**
 * An accepted negotiation: the consent receipt, the ledger records (agreement, receipt), then in one
 * transaction the party (a new individual for the person's DID, or the invited customer), the agreement and
 * the negotiation's outcome.
 */
async function conclude(
  ctx: VendorContext,
  tenant: Tenant,
  vendor: Party,
  agreement: InformationSharingAgreement,
  vendorAnswer: SignedMessage<TermsAnswer>,
  c: Conclusion,
): Promise<NegotiationAnswer> {
  const { profile } = tenant;
  const consentReceipt = issueConsentReceipt(
    {
      agreement,
      controller: profile.controller,
      jurisdiction: profile.jurisdiction,
      service: profile.service,
    },
    vendor,
  );
  const ledger = await ctx.ledger.append([
    agreementRecord(agreement, c.sisaId),
    consentReceiptRecord(agreement.id, vendor.did, consentReceipt),
    ...(c.offer?.records(agreement.id) ?? []),
  ]);
  const result: NegotiationAnswer = {
    status: 'agreed',
    answer: vendorAnswer,
    agreement,
    consentReceipt,
    ledger,
  };
  const permissions: Permissions = {
    consents: agreement.purposes.map((purpose) => ({ purpose, granted: true })),
    channels: [],
    policies: [],
    subscriptions: [],
  };
  const now = new Date().toISOString();
  await ctx.db.kysely.transaction().execute(async (tx) => {
    let partyId: string;
    if (c.invitationHash) {
      partyId = await consumeInvitation(tx, tenant.id, c.invitationHash, agreement.id, now);
      const before = await readResource(tx, INDIVIDUAL, tenant.id, partyId);
      if (!before)
        throw refused(422, 'invitation: the invited customer no longer exists', 'invitation', 'invitation');
      const linked = linkIndividual(before, agreement.person, agreement.id);
      await updateResource(tx, INDIVIDUAL, tenant.id, partyId, before, linked, now, ctx.events);
    } else {
      const created = await insertResource(
        tx,
        INDIVIDUAL,
        tenant.id,
        newIndividual(agreement.person, agreement.id),
        agreement.id,
        now,
        ctx.events,
      );
      partyId = created.id as string;
    }
    await tx
      .insertInto('crm_agreements')
      .values({
        tenant_id: tenant.id,
        id: agreement.id,
        sisa_id: c.sisaId,
        person_did: agreement.person,
        party_id: partyId,
        status: 'active',
        terms: agreement.terms.id,
        agreement: JSON.stringify(agreement),
        sisa: c.sisaText,
        permissions: JSON.stringify(permissions),
        head_event_id: null,
        person_status: null,
        created_at: now,
        updated_at: now,
        terminated_at: null,
      })
      .execute();
    await c.negotiation(tx, JSON.stringify(result));
    await c.offer?.conclude(tx, agreement.id, partyId, now);
  });
  return result;
}
