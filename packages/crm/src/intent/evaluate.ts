import {
  decideIntent,
  findTerms,
  makeOffer,
  type Clock,
  type Intentcast,
  type IntentDecision,
  type Offer,
  type OfferItem,
  type Party,
  type SignedIntentMessage,
} from '@parley/protocol';
import { unprocessable } from '../http/problem.js';
import type { CatalogueIndex, Match } from './matching.js';
import { policyOutcome, type CompiledIntentPolicy } from './policy.js';

/** The reason of a rejection when the catalogue has nothing for her. */
export const NO_MATCH_REASON = 'nothing in our catalogue matches';

export interface EvaluationOptions {
  /** Items an offer holds: the best matches (default 1). */
  maxItems?: number;
  /** How long an offer stands (default 3 days), never past the intent's validUntil. */
  offerDays?: number;
  clock?: Clock;
}

export interface Evaluation {
  decision: SignedIntentMessage<IntentDecision>;
  offer?: SignedIntentMessage<Offer>;
}

const DAY_MS = 86_400_000;

/** When an offer made now ends: offerDays from now or the intent's end, whichever is sooner. */
export function offerValidUntil(intent: Intentcast, now: number, offerDays = 3): string {
  return new Date(Math.min(now + offerDays * DAY_MS, Date.parse(intent.validUntil))).toISOString();
}

const toItem = (m: Match): OfferItem => ({
  sku: m.item.sku,
  name: m.item.name,
  quantity: 1,
  unitPrice: m.item.price,
});

function offerFor(
  intent: SignedIntentMessage<Intentcast>,
  decision: SignedIntentMessage<IntentDecision>,
  vendor: Party,
  items: OfferItem[],
  options: EvaluationOptions,
  note?: string,
): SignedIntentMessage<Offer> {
  const now = (options.clock?.now ?? Date.now)();
  return makeOffer(
    intent,
    decision,
    vendor,
    {
      items,
      currency: intent.price.currency,
      validUntil: offerValidUntil(intent, now, options.offerDays),
      ...(note ? { note } : {}),
    },
    options.clock,
  );
}

/**
 * The automatic answer to a verified intentcast: by the policy (`decideIntent`: the first of her terms it
 * accepts, else its counter, else no); when it would deal, the best catalogue matches become a signed offer
 * under the decision's terms, and no match is a rejection saying so.
 */
export function evaluateIntent(
  intent: SignedIntentMessage<Intentcast>,
  vendor: Party,
  policy: CompiledIntentPolicy,
  catalogue: CatalogueIndex,
  options: EvaluationOptions = {},
): Evaluation {
  const { clock } = options;
  if (policyOutcome(intent, policy).decision === 'reject')
    return { decision: decideIntent(intent, vendor, policy.policy, clock) };
  const matches = catalogue.match(intent, options.maxItems ?? 1);
  if (matches.length === 0) {
    return {
      decision: decideIntent(intent, vendor, policy.policy, clock, {
        decision: 'reject',
        reason: NO_MATCH_REASON,
      }),
    };
  }
  const decision = decideIntent(intent, vendor, policy.policy, clock);
  return { decision, offer: offerFor(intent, decision, vendor, matches.map(toItem), options) };
}

/** What a person at the vendor decides on a pending intentcast (`POST /crm/v1/intents/{id}/decision`). */
export interface StaffDecision {
  decision: 'accept' | 'counter' | 'reject';
  /** Catalogue offerings to offer (default: the best matches); unitPrice defaults to the catalogue's. */
  items?: { sku: string; quantity?: number; unitPrice?: number }[];
  /** A rejection's or counter's reason; with an acceptance, the offer's note. */
  reason?: string;
}

/**
 * A person's decision, signed: `accept` takes the first of her terms the policy accepts (else her first: the
 * person overrides the policy), `counter` the policy's counter, `reject` says no. The offer holds the items
 * named or the best matches. Throws a 422 naming the member when it cannot be made.
 */
export function evaluateStaffDecision(
  intent: SignedIntentMessage<Intentcast>,
  vendor: Party,
  policy: CompiledIntentPolicy,
  catalogue: CatalogueIndex,
  input: StaffDecision,
  options: EvaluationOptions = {},
): Evaluation {
  const { clock } = options;
  if (input.decision === 'reject') {
    const reason = input.reason ?? policy.policy.reason ?? 'We will not make an offer for this request.';
    return { decision: decideIntent(intent, vendor, policy.policy, clock, { decision: 'reject', reason }) };
  }
  let items: OfferItem[];
  if (input.items) {
    items = input.items.map((wanted, i) => {
      const item = catalogue.item(wanted.sku);
      if (!item)
        throw unprocessable(
          `body.items.${i}.sku: no offering ${wanted.sku} that can be offered (priced, not retired) in the catalogue`,
          `body.items.${i}.sku`,
        );
      if (item.currency !== intent.price.currency)
        throw unprocessable(
          `body.items.${i}.sku: priced in ${item.currency}, not in her currency ${intent.price.currency}`,
          `body.items.${i}.sku`,
        );
      return {
        sku: item.sku,
        name: item.name,
        quantity: wanted.quantity ?? 1,
        unitPrice: wanted.unitPrice ?? item.price,
      };
    });
  } else {
    const matches = catalogue.match(intent, options.maxItems ?? 1);
    if (matches.length === 0)
      throw unprocessable(
        `body.items: ${NO_MATCH_REASON}; name the offerings to offer, or reject`,
        'body.items',
      );
    items = matches.map(toItem);
  }
  let decision: SignedIntentMessage<IntentDecision>;
  if (input.decision === 'accept') {
    const mine = intent.terms.find((t) => policy.accepted.has(t.id)) ?? intent.terms[0];
    const code = findTerms(mine?.id ?? '')?.code as string;
    decision = decideIntent(intent, vendor, { accepts: [code] }, clock);
  } else {
    const counter = policy.policy.counter;
    if (!counter)
      throw unprocessable(
        'body.decision: the intent policy names no counter; set one, or accept or reject',
        'body.decision',
      );
    if (intent.terms.some((t) => t.id === policy.counterId))
      throw unprocessable(
        `body.decision: she proffered ${counter} already; accept it instead of countering`,
        'body.decision',
      );
    const reason = input.reason ?? policy.policy.reason;
    decision = decideIntent(intent, vendor, { accepts: [], counter, ...(reason ? { reason } : {}) }, clock);
  }
  const note = input.decision === 'accept' ? input.reason : undefined;
  return { decision, offer: offerFor(intent, decision, vendor, items, options, note) };
}
