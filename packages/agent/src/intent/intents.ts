import { randomUUID } from 'node:crypto';
import {
  acceptOffer,
  checkAnswerToIntent,
  createIntentcast,
  findTerms,
  intentIsOpen,
  messageHash,
  resolveTermsRef,
  validateIntentMessage,
  type Intent,
  type Intentcast,
  type IntentDecision,
  type IntentLocation,
  type Offer,
  type OfferAcceptance,
  type Party,
  type PriceRange,
  type SignedIntentMessage,
  type TermsEntry,
} from '@parley/protocol';
import { Ed25519NoteVerifier, verifyLedgerReceipt, type LedgerReceipt } from '@parley/ledger';
import { VendorClient, VendorError, type VendorClientOptions } from '../vendor/client.js';
import {
  fromVendor,
  parseVendorIdentity,
  VendorAnswerError,
  type VendorIdentity,
} from '../vendor/identity.js';
import type { OwnLedger } from '../relationship/own-ledger.js';
import type { RelationshipView } from '../views.js';
import { AgentInputError } from '../errors.js';

export interface AnswerRecord {
  vendorUrl: string;
  vendorName: string;
  vendorDid: string;
  decision: SignedIntentMessage<IntentDecision>;
  offer?: SignedIntentMessage<Offer>;
  ledger: { decision?: LedgerReceipt; offer?: LedgerReceipt };
  receivedAt: string;
  offerStatus?: 'open' | 'accepted' | 'closed';
}

export interface PushRecord {
  vendor: string;
  status: 'answered' | 'pending' | 'failed';
  error?: string;
}

export interface IntentRecord {
  id: string;
  /** The label her one-off identity for this intent is derived from. */
  label: string;
  status: 'open' | 'accepted' | 'closed';
  createdAt: string;
  intentcast: SignedIntentMessage<Intentcast>;
  answers: AnswerRecord[];
  pushes: PushRecord[];
  relationshipId?: string;
}

export interface IntentInput {
  intent: Intent;
  price: PriceRange;
  location?: IntentLocation;
  validUntil: string;
  terms?: string[];
  vendors?: string[];
}

export interface IntentsDeps {
  records: Record<string, IntentRecord>;
  identity(label: string): Party;
  save(): Promise<void>;
  saveSoon(): void;
  ledger: OwnLedger;
  vendor?: VendorClientOptions;
  /** Where vendors send their answers: this agent's public URL + /intents/answers. */
  replyTo(): string;
  connect(input: {
    url: string;
    fields?: string[];
    offer: { terms: TermsEntry; accept: (relationshipDid: string) => SignedIntentMessage<OfferAcceptance> };
  }): Promise<RelationshipView>;
}

export const DEFAULT_INTENT_TERMS = ['PDC-INTENT', '2P-30D'];
/** Vendors asked at once when an intentcast is pushed. */
const PUSH_CONCURRENCY = 64;

/**
 * Her intentcasts: signed with a one-off identity each, pushed to vendors she chose or read from her feed by
 * vendors that follow it; the answers verified and compared; one offer taken, which opens a relationship.
 */
export class Intents {
  readonly #deps: IntentsDeps;
  readonly #vendors = new Map<string, Promise<VendorIdentity>>();

  constructor(deps: IntentsDeps) {
    this.#deps = deps;
  }

  list(): IntentRecord[] {
    return Object.values(this.#deps.records).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(id: string): IntentRecord {
    const record = this.#deps.records[id];
    if (!record) throw new AgentInputError(404, 'id', `no intent ${id}`);
    return record;
  }

  /** Signs and publishes an intentcast, and pushes it to the vendors named; answers once they have. */
  async create(input: IntentInput): Promise<IntentRecord> {
    const label = `intent:${randomUUID()}`;
    const me = this.#deps.identity(label);
    const intentcast = createIntentcast(
      {
        intent: input.intent,
        price: input.price,
        ...(input.location ? { location: input.location } : {}),
        validUntil: input.validUntil,
        terms: input.terms ?? DEFAULT_INTENT_TERMS,
        replyTo: this.#deps.replyTo(),
      },
      me,
    );
    const record: IntentRecord = {
      id: intentcast.id,
      label,
      status: 'open',
      createdAt: intentcast.createdAt,
      intentcast,
      answers: [],
      pushes: (input.vendors ?? []).map((vendor) => ({ vendor, status: 'pending' })),
    };
    this.#deps.records[record.id] = record;
    await this.#deps.ledger.append({
      type: 'intentcast',
      intentId: intentcast.id,
      from: intentcast.from,
      sha256: messageHash(intentcast),
    });
    await this.#deps.save();
    await pool(record.pushes, PUSH_CONCURRENCY, (push) => this.#push(record, push));
    await this.#deps.save();
    return record;
  }

  async #push(record: IntentRecord, push: PushRecord): Promise<void> {
    try {
      const client = new VendorClient(push.vendor, this.#deps.vendor);
      push.vendor = client.url;
      const vendor = await this.#vendor(client.url);
      const body = (await client.post('/intents', record.intentcast)) as Record<string, unknown>;
      if (body.status === 'pending') {
        push.status = 'pending';
        return;
      }
      this.#accept(record, vendor, client.url, body);
      push.status = 'answered';
      delete push.error;
    } catch (error) {
      push.status = 'failed';
      push.error = (error as Error).message;
    }
  }

  /** The open intentcasts, oldest first, after a cursor (public: they hold no personal data). */
  feed(after?: string, limit = 100): { intents: SignedIntentMessage<Intentcast>[]; next: string | null } {
    const now = Date.now();
    const open = Object.values(this.#deps.records)
      .filter((r) => r.status === 'open' && intentIsOpen(r.intentcast, now))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const from = after ? Buffer.from(after, 'base64url').toString('utf8') : '';
    const page = open.filter((r) => `${r.createdAt}|${r.id}` > from).slice(0, limit);
    const last = page.at(-1);
    return {
      intents: page.map((r) => r.intentcast),
      next: last ? Buffer.from(`${last.createdAt}|${last.id}`).toString('base64url') : (after ?? null),
    };
  }

  /** An answer arriving at her public endpoint (from a vendor following her feed, or deciding later). */
  async receive(body: unknown): Promise<AnswerRecord> {
    if (typeof body !== 'object' || body === null)
      throw new AgentInputError(400, 'body', 'expected an object');
    const b = body as Record<string, unknown>;
    if (typeof b.vendor !== 'string') throw new AgentInputError(400, 'vendor', "expected the vendor's URL");
    const decision = validateIntentMessage<IntentDecision>(b.decision, { type: 'IntentDecision' });
    const record = this.#deps.records[decision.intentId];
    if (!record) throw new AgentInputError(404, 'decision.intentId', 'no such intent');
    if (record.status !== 'open' || !intentIsOpen(record.intentcast))
      throw new AgentInputError(410, 'decision.intentId', 'the intent is closed or expired');
    const url = new VendorClient(b.vendor, this.#deps.vendor).url;
    try {
      const vendor = await this.#vendor(url);
      const answer = this.#accept(record, vendor, url, b);
      this.#deps.saveSoon();
      return answer;
    } catch (error) {
      // Here the vendor is the caller: what does not verify is its bad request, not a bad gateway.
      if (error instanceof VendorAnswerError) throw new AgentInputError(400, error.field, error.detail);
      if (error instanceof VendorError) throw new AgentInputError(400, 'vendor', error.message);
      throw error;
    }
  }

  #accept(
    record: IntentRecord,
    vendor: VendorIdentity,
    url: string,
    body: Record<string, unknown>,
  ): AnswerRecord {
    const decision = fromVendor(() =>
      validateIntentMessage<IntentDecision>(body.decision, { type: 'IntentDecision' }),
    );
    if (decision.from !== vendor.did)
      throw new VendorAnswerError('decision.from', 'is not the vendor at that URL');
    fromVendor(() => checkAnswerToIntent(decision, record.intentcast));
    const existing = record.answers.find((a) => a.decision.id === decision.id);
    if (existing) return existing;
    let offer: SignedIntentMessage<Offer> | undefined;
    if (body.offer !== undefined) {
      offer = fromVendor(() => validateIntentMessage<Offer>(body.offer, { type: 'Offer' }));
      const o = offer;
      fromVendor(() => checkAnswerToIntent(o, record.intentcast, decision));
    }
    const receipts = (body.ledger ?? {}) as Record<string, unknown>;
    const ledger: AnswerRecord['ledger'] = {};
    if (receipts.decision !== undefined)
      ledger.decision = checkReceipt(
        receipts.decision,
        vendor,
        'intentDecision',
        decision.id,
        'ledger.decision',
      );
    if (offer && receipts.offer !== undefined)
      ledger.offer = checkReceipt(receipts.offer, vendor, 'offer', offer.id, 'ledger.offer');
    const answer: AnswerRecord = {
      vendorUrl: url,
      vendorName: vendor.name,
      vendorDid: vendor.did,
      decision,
      ...(offer ? { offer, offerStatus: 'open' as const } : {}),
      ledger,
      receivedAt: new Date().toISOString(),
    };
    // Another answer from the same vendor replaces the first (a staff decision after a pending one).
    record.answers = [...record.answers.filter((a) => a.vendorDid !== vendor.did), answer];
    void this.#deps.ledger
      .append({
        type: 'intentDecision',
        intentId: record.id,
        decisionId: decision.id,
        from: decision.from,
        decision: decision.decision,
        sha256: messageHash(decision),
        ...(offer ? { offerId: offer.id, offerSha256: messageHash(offer) } : {}),
      })
      .catch(() => undefined);
    return answer;
  }

  /** She takes one offer: a signed acceptance, an agreement under its terms, and the others closed. */
  async acceptOffer(
    intentId: string,
    offerId: string,
    fields?: string[],
  ): Promise<{ intent: IntentRecord; relationship: RelationshipView }> {
    const record = this.get(intentId);
    if (record.status !== 'open') throw new AgentInputError(409, 'id', `the intent is ${record.status}`);
    const answer = record.answers.find((a) => a.offer?.id === offerId);
    const offer = answer?.offer;
    if (!answer || !offer) throw new AgentInputError(404, 'offerId', 'no such offer for this intent');
    if (Date.parse(offer.validUntil) <= Date.now())
      throw new AgentInputError(410, 'offerId', 'the offer has expired');
    const me = this.#deps.identity(record.label);
    const terms = resolveTermsRef(offer.terms, 'offer.terms');
    const relationship = await this.#deps.connect({
      url: answer.vendorUrl,
      ...(fields ? { fields } : {}),
      offer: { terms, accept: (relationshipDid) => acceptOffer(offer, me, relationshipDid) },
    });
    if (relationship.status !== 'active') {
      throw new VendorError(
        `${answer.vendorName} did not conclude the agreement (${relationship.status})`,
        409,
        false,
      );
    }
    record.status = 'accepted';
    record.relationshipId = relationship.id;
    for (const a of record.answers) if (a.offer) a.offerStatus = a === answer ? 'accepted' : 'closed';
    await this.#deps.save();
    return { intent: record, relationship };
  }

  async withdraw(intentId: string): Promise<IntentRecord> {
    const record = this.get(intentId);
    if (record.status === 'open') {
      record.status = 'closed';
      for (const a of record.answers) if (a.offer) a.offerStatus = 'closed';
      await this.#deps.save();
    }
    return record;
  }

  #vendor(url: string): Promise<VendorIdentity> {
    let known = this.#vendors.get(url);
    if (!known) {
      known = new VendorClient(url, this.#deps.vendor)
        .get()
        .then((identity) => fromVendor(() => parseVendorIdentity(identity)));
      known.catch(() => this.#vendors.delete(url));
      this.#vendors.set(url, known);
    }
    return known;
  }
}

/** A receipt from the vendor's log, checked with its published key; its record must name the message. */
function checkReceipt(
  receipt: unknown,
  vendor: VendorIdentity,
  type: string,
  id: string,
  field: string,
): LedgerReceipt {
  fromVendor(() => verifyLedgerReceipt(receipt, Ed25519NoteVerifier.fromVkey(vendor.ledger.vkey)));
  const record = (receipt as { record: Record<string, unknown> }).record;
  if (record.type !== type) throw new VendorAnswerError(`${field}.record.type`, `expected ${type}`);
  if (!Object.values(record).includes(id))
    throw new VendorAnswerError(`${field}.record`, `does not name ${id}`);
  return receipt as LedgerReceipt;
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, run));
}

/** A view for her dashboard: the answers side by side, offer states as of now. */
export function intentView(record: IntentRecord) {
  const now = Date.now();
  const termsView = (id: string) => {
    const entry = findTerms(id);
    return { code: entry?.code ?? id, title: entry?.title ?? id };
  };
  const c = record.intentcast;
  const expired = record.status === 'open' && !intentIsOpen(c, now) && now >= Date.parse(c.validUntil);
  return {
    id: record.id,
    status: expired ? ('expired' as const) : record.status,
    did: c.from,
    createdAt: record.createdAt,
    validFrom: c.validFrom,
    validUntil: c.validUntil,
    intent: c.intent,
    price: c.price,
    ...(c.location ? { location: c.location } : {}),
    terms: c.terms.map((t) => termsView(t.id)),
    answers: record.answers.map((a) => ({
      vendor: { name: a.vendorName, url: a.vendorUrl, did: a.vendorDid },
      decision: a.decision.decision,
      ...(a.decision.terms ? { terms: termsView(a.decision.terms.id) } : {}),
      ...(a.decision.reason ? { reason: a.decision.reason } : {}),
      ...(a.offer
        ? {
            offer: {
              id: a.offer.id,
              items: a.offer.items,
              total: a.offer.total,
              terms: termsView(a.offer.terms.id),
              validUntil: a.offer.validUntil,
              status:
                a.offerStatus === 'open' && Date.parse(a.offer.validUntil) <= now
                  ? 'expired'
                  : (a.offerStatus ?? 'open'),
              ...(a.offer.note ? { note: a.offer.note } : {}),
            },
          }
        : {}),
      receiptVerified: a.ledger.decision !== undefined,
      receivedAt: a.receivedAt,
    })),
    pushes: record.pushes,
    ...(record.relationshipId ? { relationshipId: record.relationshipId } : {}),
  };
}
export type IntentView = ReturnType<typeof intentView>;
