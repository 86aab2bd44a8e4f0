import { randomUUID } from 'node:crypto';
import { IntentError, ProofError, ProtocolError } from '../errors.js';
import { publicKeyFromDid, verificationMethodId } from '../identity/did.js';
import type { Party } from '../identity/party.js';
import { signDocument, verifyDocument, type Signed } from '../proof/data-integrity.js';
import { checkTimestamp, timestamp, type Clock } from '../jlinc/primitives.js';
import { exactObject, type Json } from '../jlinc/shape.js';
import { messageHash, PARLEY_CONTEXT } from './messages.js';
import { findTerms, resolveTermsRef, termsRef, type TermsEntry, type TermsRef } from './roster.js';

/*
 * Intentcasting: a person announces what she wants to buy, under her terms, with a one-off pairwise identity
 * and no personal data; vendors answer with a signed decision on her terms and, when they will deal, a signed
 * offer; she accepts one offer with the same identity, and only then does an agreement release her contact
 * data. Each message is signed (eddsa-jcs-2022) by the key of `from`.
 */

export interface Intent {
  category: string;
  description: string;
  tags: string[];
  brands?: string[];
}

export interface PriceRange {
  min?: number;
  max: number;
  /** ISO 4217, e.g. EUR. */
  currency: string;
}

/** Where, coarsely: a country, and optionally a region or a postal district and a radius. Never an address. */
export interface IntentLocation {
  country: string;
  region?: string;
  postCode?: string;
  radiusKm?: number;
}

export interface Intentcast {
  '@context': typeof PARLEY_CONTEXT;
  type: 'Intentcast';
  id: string;
  from: string;
  createdAt: string;
  intent: Intent;
  price: PriceRange;
  location?: IntentLocation;
  validFrom: string;
  validUntil: string;
  /** The terms she will talk under, in her order of preference. */
  terms: TermsRef[];
  /** Where vendors send their decisions and offers (her agent's public endpoint for this intent). */
  replyTo: string;
}

export type IntentDecisionKind = 'accept' | 'counter' | 'reject';

/** The vendor's signed answer to her terms: one of them accepted, one alternative, or no. */
export interface IntentDecision {
  '@context': typeof PARLEY_CONTEXT;
  type: 'IntentDecision';
  id: string;
  from: string;
  to: string;
  createdAt: string;
  intentId: string;
  intentHash: string;
  decision: IntentDecisionKind;
  terms?: TermsRef;
  reason?: string;
}

export interface OfferItem {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

/** What the vendor offers, under the terms of its decision, until `validUntil`. */
export interface Offer {
  '@context': typeof PARLEY_CONTEXT;
  type: 'Offer';
  id: string;
  from: string;
  to: string;
  createdAt: string;
  intentId: string;
  intentHash: string;
  decisionId: string;
  items: OfferItem[];
  total: { amount: number; currency: string };
  terms: TermsRef;
  validUntil: string;
  note?: string;
}

/**
 * She takes the offer, signed with the intent's identity (so the vendor knows it is the one who asked), and
 * names the pairwise identity of the relationship that follows, whose agreement releases her contact data.
 */
export interface OfferAcceptance {
  '@context': typeof PARLEY_CONTEXT;
  type: 'OfferAcceptance';
  id: string;
  from: string;
  to: string;
  createdAt: string;
  intentId: string;
  offerId: string;
  offerHash: string;
  relationshipDid: string;
}

export type IntentMessage = Intentcast | IntentDecision | Offer | OfferAcceptance;
export type SignedIntentMessage<T extends IntentMessage = IntentMessage> = Signed<T>;

/** The longest an intentcast may stay open. */
export const MAX_INTENT_DAYS = 90;
/** The largest signed intent message accepted, as canonical JSON text. */
export const MAX_INTENT_BYTES = 16 * 1024;

const err = (field: string, detail: string, code?: string) => new IntentError(field, detail, code);
const MESSAGE_ID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HASH_HEX = /^[0-9a-f]{64}$/;
const TOKEN = /^[A-Za-z0-9_.:-]{1,100}$/;
const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Z]{2}$/;

const SHAPES: Record<IntentMessage['type'], { required: string[]; optional: string[] }> = {
  Intentcast: {
    required: ['intent', 'price', 'validFrom', 'validUntil', 'terms', 'replyTo'],
    optional: ['location'],
  },
  IntentDecision: { required: ['to', 'intentId', 'intentHash', 'decision'], optional: ['terms', 'reason'] },
  Offer: {
    required: ['to', 'intentId', 'intentHash', 'decisionId', 'items', 'total', 'terms', 'validUntil'],
    optional: ['note'],
  },
  OfferAcceptance: { required: ['to', 'intentId', 'offerId', 'offerHash', 'relationshipDid'], optional: [] },
};

function text(value: unknown, field: string, max: number, min = 1): string {
  if (typeof value !== 'string' || value.length < min || value.length > max)
    throw err(field, `expected a string of ${min} to ${max} characters`, 'type');
  return value;
}

function token(value: unknown, field: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value))
    throw err(field, 'expected a token: letters, digits, "_", ".", ":" or "-", at most 100', 'type');
  return value;
}

function tokens(value: unknown, field: string, max: number, min = 0): string[] {
  if (!Array.isArray(value) || value.length < min || value.length > max)
    throw err(field, `expected an array of ${min} to ${max} tokens`, 'type');
  const items = value.map((t, i) => token(t, `${field}[${i}]`));
  if (new Set(items).size !== items.length) throw err(field, 'lists the same value twice', 'duplicate');
  return items;
}

function amount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1e12)
    throw err(field, 'expected an amount from 0 to 10^12', 'type');
  // Tolerant of binary floating point: 19.99 * 100 is 1998.9999999999998.
  if (Math.abs(Math.round(value * 100) - value * 100) > 1e-6)
    throw err(field, 'has more than two decimals', 'type');
  return value;
}

function did(value: unknown, field: string): string {
  try {
    publicKeyFromDid(value, field);
  } catch (error) {
    if (error instanceof ProtocolError) throw err(field, 'expected a did:jlinc or did:key identifier', 'did');
    throw error;
  }
  return value as string;
}

/** A timestamp; `future` for times that may lie ahead (validity), so only the creation time is held to now. */
function time(value: unknown, field: string, clock: Clock, future = false): number {
  try {
    checkTimestamp(value, field, future ? { now: () => Number.MAX_SAFE_INTEGER / 2 } : clock);
  } catch (error) {
    if (error instanceof ProtocolError) throw err(field, error.message.slice(field.length + 2), error.code);
    throw error;
  }
  return Date.parse(value as string);
}

function hash(value: unknown, field: string): void {
  if (typeof value !== 'string' || !HASH_HEX.test(value))
    throw err(field, 'expected 64 lowercase hex characters', 'hash');
}

function id(value: unknown, field: string): void {
  if (typeof value !== 'string' || !MESSAGE_ID.test(value)) throw err(field, 'expected a urn:uuid: id', 'id');
}

function terms(value: unknown, field: string): TermsEntry {
  try {
    return resolveTermsRef(value, field);
  } catch (error) {
    if (error instanceof ProtocolError) throw err(field, error.message.slice(field.length + 2), error.code);
    throw error;
  }
}

/** The structure of a message, before and apart from its proof. */
function checkBody(m: Json, clock: Clock): void {
  if (typeof m.type !== 'string' || !(m.type in SHAPES))
    throw err('type', `expected one of ${Object.keys(SHAPES).join(', ')}`, 'type');
  const type = m.type as IntentMessage['type'];
  const shape = SHAPES[type];
  exactObject(
    m,
    '',
    ['@context', 'type', 'id', 'from', 'createdAt', ...shape.required],
    ['proof', ...shape.optional],
    IntentError,
  );
  if (m['@context'] !== PARLEY_CONTEXT) throw err('@context', `expected "${PARLEY_CONTEXT}"`, 'context');
  id(m.id, 'id');
  did(m.from, 'from');
  if ('to' in m) {
    did(m.to, 'to');
    if (m.to === m.from) throw err('to', 'names the sender itself', 'same-party');
  }
  const created = time(m.createdAt, 'createdAt', clock);
  switch (type) {
    case 'Intentcast': {
      const intent = exactObject(
        m.intent,
        'intent',
        ['category', 'description', 'tags'],
        ['brands'],
        IntentError,
      );
      token(intent.category, 'intent.category');
      text(intent.description, 'intent.description', 1000);
      tokens(intent.tags, 'intent.tags', 20);
      if (intent.brands !== undefined) tokens(intent.brands, 'intent.brands', 20, 1);
      const price = exactObject(m.price, 'price', ['max', 'currency'], ['min'], IntentError);
      const max = amount(price.max, 'price.max');
      if (price.min !== undefined && amount(price.min, 'price.min') > max)
        throw err('price.min', 'is more than price.max', 'range');
      if (typeof price.currency !== 'string' || !CURRENCY.test(price.currency))
        throw err('price.currency', 'expected an ISO 4217 code, e.g. EUR', 'type');
      if (m.location !== undefined) {
        const where = exactObject(
          m.location,
          'location',
          ['country'],
          ['region', 'postCode', 'radiusKm'],
          IntentError,
        );
        if (typeof where.country !== 'string' || !COUNTRY.test(where.country))
          throw err('location.country', 'expected an ISO 3166-1 alpha-2 code, e.g. GB', 'type');
        if (where.region !== undefined) text(where.region, 'location.region', 100);
        if (where.postCode !== undefined) text(where.postCode, 'location.postCode', 10);
        if (
          where.radiusKm !== undefined &&
          (typeof where.radiusKm !== 'number' || !(where.radiusKm > 0) || where.radiusKm > 1000)
        )
          throw err('location.radiusKm', 'expected a number of kilometres from 0 to 1000', 'type');
      }
      const from = time(m.validFrom, 'validFrom', clock, true);
      const until = time(m.validUntil, 'validUntil', clock, true);
      if (until <= from) throw err('validUntil', 'is not after validFrom', 'range');
      if (until - from > MAX_INTENT_DAYS * 86_400_000)
        throw err('validUntil', `is more than ${MAX_INTENT_DAYS} days after validFrom`, 'range');
      if (until < created) throw err('validUntil', 'is before the intentcast was made', 'range');
      if (!Array.isArray(m.terms) || m.terms.length < 1 || m.terms.length > 5)
        throw err('terms', 'expected 1 to 5 terms, in order of preference', 'type');
      const ids = m.terms.map((t, i) => terms(t, `terms[${i}]`).id);
      if (new Set(ids).size !== ids.length) throw err('terms', 'lists the same terms twice', 'duplicate');
      let url: URL;
      try {
        url = new URL(text(m.replyTo, 'replyTo', 2000));
      } catch (error) {
        if (error instanceof IntentError) throw error;
        throw err('replyTo', 'expected an http or https URL', 'type');
      }
      if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.hash)
        throw err('replyTo', 'expected an http or https URL without credentials or fragment', 'type');
      break;
    }
    case 'IntentDecision': {
      id(m.intentId, 'intentId');
      hash(m.intentHash, 'intentHash');
      const decision = m.decision;
      if (decision !== 'accept' && decision !== 'counter' && decision !== 'reject')
        throw err('decision', 'expected one of accept, counter, reject', 'enum');
      if (decision === 'reject') {
        if (m.terms !== undefined) throw err('terms', 'is not allowed in a rejection', 'conflict');
      } else terms(m.terms, 'terms');
      if (m.reason !== undefined) text(m.reason, 'reason', 1000);
      break;
    }
    case 'Offer': {
      id(m.intentId, 'intentId');
      hash(m.intentHash, 'intentHash');
      id(m.decisionId, 'decisionId');
      if (!Array.isArray(m.items) || m.items.length < 1 || m.items.length > 50)
        throw err('items', 'expected 1 to 50 items', 'type');
      m.items.forEach((item, i) => {
        const o = exactObject(item, `items[${i}]`, ['sku', 'name', 'quantity', 'unitPrice'], [], IntentError);
        token(o.sku, `items[${i}].sku`);
        text(o.name, `items[${i}].name`, 200);
        if (!Number.isInteger(o.quantity) || (o.quantity as number) < 1 || (o.quantity as number) > 10_000)
          throw err(`items[${i}].quantity`, 'expected a whole number from 1 to 10000', 'type');
        amount(o.unitPrice, `items[${i}].unitPrice`);
      });
      const total = exactObject(m.total, 'total', ['amount', 'currency'], [], IntentError);
      amount(total.amount, 'total.amount');
      if (typeof total.currency !== 'string' || !CURRENCY.test(total.currency))
        throw err('total.currency', 'expected an ISO 4217 code, e.g. EUR', 'type');
      const sum = (m.items as OfferItem[]).reduce((s, it) => s + it.quantity * it.unitPrice, 0);
      if (Math.abs(sum - (total.amount as number)) > 0.005)
        throw err('total.amount', `is not the sum of the items (${sum.toFixed(2)})`, 'total');
      terms(m.terms, 'terms');
      if (time(m.validUntil, 'validUntil', clock, true) <= created)
        throw err('validUntil', 'is not after the offer was made', 'range');
      if (m.note !== undefined) text(m.note, 'note', 1000);
      break;
    }
    case 'OfferAcceptance':
      id(m.intentId, 'intentId');
      id(m.offerId, 'offerId');
      hash(m.offerHash, 'offerHash');
      did(m.relationshipDid, 'relationshipDid');
      if (m.relationshipDid === m.from)
        throw err('relationshipDid', 'must be a fresh identity, not the intent’s own', 'same-party');
      break;
  }
}

function sign<T extends IntentMessage>(
  body: Omit<T, '@context' | 'id' | 'from' | 'createdAt'>,
  from: Party,
  clock: Clock,
): Signed<T> {
  const createdAt = timestamp(clock);
  const message = {
    '@context': PARLEY_CONTEXT,
    id: `urn:uuid:${randomUUID()}`,
    from: from.did,
    createdAt,
    ...body,
  } as unknown as T;
  checkBody(message as unknown as Json, clock);
  return signDocument(message, from.key, {
    verificationMethod: verificationMethodId(from.did),
    created: createdAt.replace(/\.\d{3}Z$/, 'Z'),
  });
}

export interface ValidateIntentOptions extends Clock {
  type?: IntentMessage['type'];
}

/** Validates an intent message received from anyone: size, shape, terms, times, and the sender's proof. */
export function validateIntentMessage<T extends IntentMessage = IntentMessage>(
  value: unknown,
  options: ValidateIntentOptions = {},
): Signed<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw err('message', 'expected a JSON object', 'type');
  const m = value as Json;
  if (options.type && m.type !== options.type) throw err('type', `expected "${options.type}"`, 'type');
  checkBody(m, options);
  if (JSON.stringify(m).length > MAX_INTENT_BYTES)
    throw err('message', `is larger than ${MAX_INTENT_BYTES} bytes`, 'too-large');
  const proof = m.proof as Record<string, unknown> | undefined;
  if (proof === undefined)
    throw err('proof', 'is missing: every intent message is signed by its sender', 'missing');
  if (
    typeof proof !== 'object' ||
    proof === null ||
    proof.verificationMethod !== verificationMethodId(m.from as string)
  )
    throw new ProofError(
      'proof.verificationMethod',
      `expected the key of the sender, ${String(m.from)}`,
      'signer',
    );
  verifyDocument(m, { expectedProofPurpose: 'assertionMethod' });
  return m as unknown as Signed<T>;
}

export interface IntentcastInput {
  intent: Intent;
  price: PriceRange;
  location?: IntentLocation;
  validFrom?: string;
  validUntil: string;
  terms: (TermsEntry | string)[];
  replyTo: string;
}

/** Signs an intentcast with a one-off identity (derive it from her master key for this intent alone). */
export function createIntentcast(input: IntentcastInput, from: Party, clock: Clock = {}): Signed<Intentcast> {
  const refs = input.terms.map((t, i) => {
    const entry = typeof t === 'string' ? findTerms(t) : t;
    if (!entry) throw err(`terms[${i}]`, `"${String(t)}" is not in the terms roster`, 'terms');
    return termsRef(entry);
  });
  return sign<Intentcast>(
    {
      type: 'Intentcast',
      intent: input.intent,
      price: input.price,
      ...(input.location ? { location: input.location } : {}),
      validFrom: input.validFrom ?? timestamp(clock),
      validUntil: input.validUntil,
      terms: refs,
      replyTo: input.replyTo,
    },
    from,
    clock,
  );
}

/** Whether the intentcast is open at `now`. */
export function intentIsOpen(intent: Intentcast, now = Date.now()): boolean {
  return Date.parse(intent.validFrom) <= now && now < Date.parse(intent.validUntil);
}

export interface IntentPolicy {
  /** Roster codes the vendor deals under, in any order: the first of hers among them is accepted. */
  accepts: string[];
  /** Its one alternative when none of hers is acceptable. */
  counter?: string;
  reason?: string;
}

/** The vendor's decision by its policy: the first of her terms it accepts; else its counter; else no. */
export function decideIntent(
  intent: Signed<Intentcast>,
  vendor: Party,
  policy: IntentPolicy,
  clock: Clock = {},
  override?: { decision: 'reject'; reason: string },
): Signed<IntentDecision> {
  const base = {
    type: 'IntentDecision' as const,
    to: intent.from,
    intentId: intent.id,
    intentHash: messageHash(intent),
  };
  if (override)
    return sign<IntentDecision>({ ...base, decision: 'reject', reason: override.reason }, vendor, clock);
  const accepted = new Set(policy.accepts.map((c) => findTerms(c)?.id));
  const mine = intent.terms.find((t) => accepted.has(t.id));
  if (mine) return sign<IntentDecision>({ ...base, decision: 'accept', terms: mine }, vendor, clock);
  const counter = policy.counter ? findTerms(policy.counter) : undefined;
  if (counter && !intent.terms.some((t) => t.id === counter.id)) {
    return sign<IntentDecision>(
      {
        ...base,
        decision: 'counter',
        terms: termsRef(counter),
        ...(policy.reason ? { reason: policy.reason } : {}),
      },
      vendor,
      clock,
    );
  }
  return sign<IntentDecision>(
    {
      ...base,
      decision: 'reject',
      reason: policy.reason ?? 'None of the proffered terms is one we deal under.',
    },
    vendor,
    clock,
  );
}

/** An offer under the terms of a decision that accepted or countered. */
export function makeOffer(
  intent: Signed<Intentcast>,
  decision: Signed<IntentDecision>,
  vendor: Party,
  offer: { items: OfferItem[]; currency: string; validUntil: string; note?: string },
  clock: Clock = {},
): Signed<Offer> {
  if (decision.decision === 'reject' || !decision.terms)
    throw err('decision', 'a rejection carries no offer', 'conflict');
  if (decision.intentId !== intent.id) throw err('decision.intentId', 'names another intent', 'wrong-intent');
  const total = Math.round(offer.items.reduce((s, it) => s + it.quantity * it.unitPrice, 0) * 100) / 100;
  return sign<Offer>(
    {
      type: 'Offer',
      to: intent.from,
      intentId: intent.id,
      intentHash: messageHash(intent),
      decisionId: decision.id,
      items: offer.items,
      total: { amount: total, currency: offer.currency },
      terms: decision.terms,
      validUntil: offer.validUntil,
      ...(offer.note ? { note: offer.note } : {}),
    },
    vendor,
    clock,
  );
}

/**
 * Checks a vendor's answer against the intent it claims to answer: addressed to the intent's identity, naming
 * it by id and hash; an offer also against its decision (same vendor, same terms, not expired).
 */
export function checkAnswerToIntent(
  answer: Signed<IntentDecision> | Signed<Offer>,
  intent: Signed<Intentcast>,
  decision?: Signed<IntentDecision>,
  clock: Clock = {},
): void {
  if (answer.to !== intent.from) throw err('to', 'is not the identity of this intent', 'wrong-party');
  if (answer.intentId !== intent.id || answer.intentHash !== messageHash(intent))
    throw err('intentHash', 'does not name this intentcast', 'wrong-intent');
  if (answer.type === 'IntentDecision' && answer.decision === 'accept' && answer.terms) {
    const accepted = answer.terms.id;
    if (!intent.terms.some((t) => t.id === accepted))
      throw err('terms', 'accepts terms she did not proffer', 'terms');
  }
  if (answer.type === 'Offer') {
    if (!decision) throw err('decisionId', 'the offer comes without its decision', 'missing');
    if (decision.from !== answer.from || decision.id !== answer.decisionId)
      throw err('decisionId', 'does not name the decision of the same vendor', 'wrong-decision');
    if (decision.decision === 'reject') throw err('decisionId', 'names a rejection', 'conflict');
    if (decision.terms?.id !== answer.terms.id)
      throw err('terms', 'are not the terms of the decision', 'terms');
    if (answer.total.currency !== intent.price.currency)
      throw err('total.currency', `is not the intent's currency, ${intent.price.currency}`, 'currency');
    const now = (clock.now ?? Date.now)();
    if (Date.parse(answer.validUntil) <= now) throw err('validUntil', 'the offer has expired', 'expired');
  }
}

/** She takes an offer, with the intent's identity, naming the fresh identity of the relationship to come. */
export function acceptOffer(
  offer: Signed<Offer>,
  intentIdentity: Party,
  relationshipDid: string,
  clock: Clock = {},
): Signed<OfferAcceptance> {
  if (offer.to !== intentIdentity.did)
    throw err('to', 'the offer was not made to this identity', 'wrong-party');
  const now = (clock.now ?? Date.now)();
  if (Date.parse(offer.validUntil) <= now) throw err('validUntil', 'the offer has expired', 'expired');
  return sign<OfferAcceptance>(
    {
      type: 'OfferAcceptance',
      to: offer.from,
      intentId: offer.intentId,
      offerId: offer.id,
      offerHash: messageHash(offer),
      relationshipDid,
    },
    intentIdentity,
    clock,
  );
}

/** Checks an acceptance against the offer it names: signed by the intent's identity, the right offer, in time. */
export function checkAcceptance(
  acceptance: Signed<OfferAcceptance>,
  offer: Signed<Offer>,
  clock: Clock = {},
): void {
  if (acceptance.from !== offer.to)
    throw err('from', 'is not the identity the offer was made to', 'wrong-party');
  if (acceptance.to !== offer.from) throw err('to', 'is not the vendor of the offer', 'wrong-party');
  if (acceptance.offerId !== offer.id || acceptance.offerHash !== messageHash(offer))
    throw err('offerHash', 'does not name this offer', 'wrong-offer');
  if (acceptance.intentId !== offer.intentId)
    throw err('intentId', 'is not the offer’s intent', 'wrong-intent');
  const now = (clock.now ?? Date.now)();
  if (Date.parse(offer.validUntil) <= now) throw err('validUntil', 'the offer has expired', 'expired');
}
