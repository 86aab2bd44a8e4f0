import {
  checkAcceptance,
  findTerms,
  IntentError,
  validateIntentMessage,
  type OfferAcceptance,
  type SignedIntentMessage,
} from '@parley/protocol';
import { checked, protocolProblem, refused } from '../agreement/errors.js';
import { insertResource } from '../agreement/records.js';
import type { OfferAcceptances } from '../agreement/vendor.js';
import { offerAcceptanceRecord } from './audit.js';
import type { IntentContext } from './context.js';
import { salesLeadDoc, SALES_LEAD } from './sales-lead.js';
import { findIntent, findOffer, takeOffer } from './store.js';

const taken = () =>
  refused(409, 'acceptance.offerId: the offer has been taken already', 'acceptance.offerId', 'taken');

/**
 * The negotiation's `acceptance` member (docs/intentcasting.md): signed by the identity the offer was made
 * to, naming one of this vendor's offers by id and hash, not expired (410) nor taken (409 `taken`), from a
 * proposal made by the acceptance's `relationshipDid` that proffers the offer's terms first. The agreement
 * then takes the offer, logs `offerAcceptance` and records a TMF699 sales lead, all in its transaction.
 */
export function offerAcceptances(ctx: IntentContext): OfferAcceptances {
  return {
    validate(value) {
      const acceptance = checked('acceptance', () =>
        validateIntentMessage<OfferAcceptance>(value, { type: 'OfferAcceptance' }),
      );
      return { offerId: acceptance.offerId };
    },

    async bind(tenant, vendor, value, proposal) {
      const acceptance = value as SignedIntentMessage<OfferAcceptance>;
      if (acceptance.to !== vendor.did)
        throw refused(
          422,
          `acceptance.to: expected this vendor, ${vendor.did}`,
          'acceptance.to',
          'wrong-party',
        );
      const row = await findOffer(ctx.db.kysely, tenant.id, acceptance.offerId);
      if (!row)
        throw refused(
          422,
          'acceptance.offerId: names no offer of this vendor',
          'acceptance.offerId',
          'unknown-offer',
        );
      if (row.status === 'taken') throw taken();
      try {
        checkAcceptance(acceptance, row.offer);
      } catch (error) {
        if (!(error instanceof IntentError)) throw error;
        if (error.code === 'expired')
          throw refused(410, 'acceptance.offerId: the offer has expired', 'acceptance.offerId', 'expired');
        const problem = protocolProblem(error, 'acceptance');
        throw refused(422, problem.message, problem.field, error.code);
      }
      if (proposal.from !== acceptance.relationshipDid)
        throw refused(
          422,
          "proposal.from: is not the acceptance's relationshipDid",
          'proposal.from',
          'wrong-party',
        );
      const terms = row.offer.terms;
      if (proposal.terms[0]?.id !== terms.id)
        throw refused(
          422,
          `proposal.terms: proffer the offer's terms (${findTerms(terms.id)?.code ?? terms.id}) first`,
          'proposal.terms',
          'terms',
        );
      const intent = await findIntent(ctx.db.kysely, tenant.id, row.intentId);
      if (!intent) throw new Error(`offer ${row.offerId} has no intentcast`);
      return {
        termsId: terms.id,
        records: (agreementId) => [offerAcceptanceRecord(acceptance, agreementId)],
        async conclude(tx, agreementId, partyId, now) {
          if (!(await takeOffer(tx, tenant.id, row, acceptance.id, agreementId, now))) throw taken();
          const lead = salesLeadDoc({
            intent: intent.intentcast,
            offer: row.offer,
            partyId,
            agreementId,
            now,
          });
          await insertResource(tx, SALES_LEAD, tenant.id, lead, agreementId, now, ctx.events);
        },
      };
    },
  };
}
