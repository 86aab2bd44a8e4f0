import {
  messageHash,
  type Intentcast,
  type IntentDecision,
  type Offer,
  type OfferAcceptance,
} from '@parley/protocol';

/*
 * The ledger's audit records of intentcasting (docs/intentcasting.md, step 6): ids, DIDs, roster terms and
 * hashes of the signed messages, never their content (what she wants, her price, where, her agent's URL).
 */

/** An intentcast received: who (her one-off identity) asked which vendor, and the message's hash. */
export function intentcastRecord(intent: Intentcast, vendorDid: string) {
  return {
    type: 'intentcast',
    intentId: intent.id,
    from: intent.from,
    to: vendorDid,
    sha256: messageHash(intent),
  };
}

/** The vendor's decision on her terms. */
export function intentDecisionRecord(decision: IntentDecision) {
  return {
    type: 'intentDecision',
    decisionId: decision.id,
    intentId: decision.intentId,
    intentHash: decision.intentHash,
    from: decision.from,
    to: decision.to,
    decision: decision.decision,
    ...(decision.terms ? { terms: decision.terms.id } : {}),
    sha256: messageHash(decision),
  };
}

/** The vendor's offer under the terms of its decision. */
export function offerRecord(offer: Offer) {
  return {
    type: 'offer',
    offerId: offer.id,
    intentId: offer.intentId,
    decisionId: offer.decisionId,
    from: offer.from,
    to: offer.to,
    terms: offer.terms.id,
    validUntil: offer.validUntil,
    sha256: messageHash(offer),
  };
}

/** She took the offer, naming the identity of the relationship whose agreement is `agreementId`. */
export function offerAcceptanceRecord(acceptance: OfferAcceptance, agreementId: string) {
  return {
    type: 'offerAcceptance',
    acceptanceId: acceptance.id,
    offerId: acceptance.offerId,
    offerHash: acceptance.offerHash,
    intentId: acceptance.intentId,
    from: acceptance.from,
    relationshipDid: acceptance.relationshipDid,
    agreementId,
    sha256: messageHash(acceptance),
  };
}
