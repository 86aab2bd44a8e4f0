/**
 * A person's side of the protocol in miniature, for the vendor endpoint's tests: her pairwise identity, the
 * SISA she accepted, the agreement and the head of her event chain, every message made with packages/protocol
 * and sent to the real Fastify app as JSON text.
 */
import assert from 'node:assert/strict';
import { Ed25519NoteVerifier, verifyLedgerReceipt } from '@parley/ledger';
import {
  acceptSisaOffering,
  answer,
  changePermissions,
  createSisaEvent,
  Party,
  proposeTerms,
  requestData,
  sendFeedback,
  terminateAgreement,
  validateParleyMessage,
  type Clock,
  type DataKind,
  type DataSchema,
  type InformationSharingAgreement,
  type JlincEvent,
  type Purpose,
  type Sisa,
  type SisaEventType,
  type SisaOffering,
  type TermsAnswer,
  type TermsProposal,
  type SignedMessage,
} from '@parley/protocol';
import type { TestApi } from '../testing/api.js';
import { vendorPath } from './vendor.js';

export interface Reply {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test answers are read freely
  body: any;
}

/** Sends JSON text to the vendor endpoint, without an API key. */
export async function vendorCall(
  api: TestApi,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
): Promise<Reply> {
  const r = await api.app.inject({
    method,
    url,
    ...(body !== undefined
      ? {
          headers: { 'content-type': 'application/json' },
          payload: typeof body === 'string' ? body : JSON.stringify(body),
        }
      : {}),
  });
  let parsed: unknown;
  try {
    parsed = r.body ? JSON.parse(r.body) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.statusCode, headers: r.headers, text: r.body, body: parsed };
}

export const SCHEMA: DataSchema = {
  fields: [
    { name: 'givenName', type: 'string', sensitivity: 'normal' },
    { name: 'familyName', type: 'string', sensitivity: 'normal' },
    { name: 'email', type: 'email', sensitivity: 'normal', required: true },
    { name: 'phone', type: 'phone', sensitivity: 'normal' },
    { name: 'postalAddress', type: 'postal-address', sensitivity: 'normal' },
  ],
};

export class TestPerson {
  readonly api: TestApi;
  readonly tenantId: string;
  readonly master = Party.generate('person (test)');
  readonly identity: Party;
  vendorDid = '';
  vkey = '';
  sisa: Sisa | undefined;
  proposal: SignedMessage<TermsProposal> | undefined;
  counter: SignedMessage<TermsAnswer> | undefined;
  agreement: InformationSharingAgreement | undefined;
  head: string | null = null;

  constructor(api: TestApi, tenantId: string, label = 'vendor') {
    this.api = api;
    this.tenantId = tenantId;
    this.identity = this.master.pairwise(`${label}:${tenantId}`);
  }

  get url(): string {
    return vendorPath(this.tenantId);
  }

  /** GET {vendor}: pins the vendor's DID and ledger key. */
  async discover(): Promise<Reply> {
    const r = await vendorCall(this.api, 'GET', this.url);
    assert.equal(r.status, 200, r.text);
    this.vendorDid = r.body.did;
    this.vkey = r.body.ledger.vkey;
    return r;
  }

  /** Checks a ledger receipt offline with the vendor's pinned log key. */
  verifyReceipt(receipt: unknown) {
    return verifyLedgerReceipt(receipt, Ed25519NoteVerifier.fromVkey(this.vkey));
  }

  /** An offering, accepted with her pairwise identity, and a proposal of `terms`. */
  async prepare(
    terms: string[],
    options: { schema?: DataSchema; purposes?: Purpose[]; clock?: Clock; retentionDays?: number | null } = {},
  ): Promise<{ sisa: Sisa; proposal: SignedMessage<TermsProposal> }> {
    if (!this.vendorDid) await this.discover();
    const offer = await vendorCall(this.api, 'POST', `${this.url}/offerings`, {});
    assert.equal(offer.status, 201, offer.text);
    const sisa = acceptSisaOffering(offer.body as SisaOffering, this.identity);
    const proposal = proposeTerms(
      {
        from: this.identity,
        to: this.vendorDid,
        proposer: 'person',
        terms,
        schema: options.schema ?? SCHEMA,
        purposes: options.purposes ?? ['ServiceDelivery'],
        retentionDays: options.retentionDays ?? null,
      },
      options.clock,
    );
    return { sisa, proposal };
  }

  /** Proffers `terms`; keeps the agreement or the counter-offer it gets. */
  async proffer(
    terms: string[],
    options: {
      schema?: DataSchema;
      purposes?: Purpose[];
      invitation?: string;
      retentionDays?: number | null;
    } = {},
  ): Promise<Reply> {
    const { sisa, proposal } = await this.prepare(terms, options);
    const r = await vendorCall(this.api, 'POST', `${this.url}/negotiations`, {
      sisa,
      proposal,
      ...(options.invitation ? { invitation: options.invitation } : {}),
    });
    this.sisa = sisa;
    this.proposal = proposal;
    if (r.body?.status === 'agreed') this.agreement = r.body.agreement;
    if (r.body?.status === 'countered')
      this.counter = validateParleyMessage<TermsAnswer>(r.body.answer, { type: 'TermsAnswer' });
    return r;
  }

  /** Answers the pending counter-offer. */
  async decide(accept: boolean): Promise<{ reply: Reply; message: SignedMessage<TermsAnswer> }> {
    assert.ok(this.counter && this.proposal);
    const message = answer(this.counter, this.identity, { decision: accept ? 'accept' : 'reject' });
    const reply = await vendorCall(
      this.api,
      'POST',
      `${this.url}/negotiations/${encodeURIComponent(this.proposal.id)}/answer`,
      { answer: message },
    );
    if (reply.body?.status === 'agreed') this.agreement = reply.body.agreement;
    return { reply, message };
  }

  /** A new event after the head of her chain (not sent). */
  event(type: SisaEventType, payload: object, previousId: string | null = this.head): JlincEvent {
    assert.ok(this.sisa);
    return createSisaEvent(this.sisa, this.identity, type, payload, previousId);
  }

  /** Sends an event; an acknowledged one becomes the head of her chain. */
  async send(event: JlincEvent): Promise<Reply> {
    const r = await vendorCall(this.api, 'POST', `${this.url}/events`, event);
    if (r.status === 200) this.head = event.audit.eventId as string;
    return r;
  }

  data(values: Record<string, unknown>): Promise<Reply> {
    return this.send(this.event('dataEvent', values));
  }

  permissions(change: Parameters<typeof changePermissions>[2]): Promise<Reply> {
    assert.ok(this.agreement);
    return this.send(this.event('permissionEvent', changePermissions(this.agreement, this.identity, change)));
  }

  feedback(
    kind: 'feedback' | 'error-report' | 'survey-answer',
    subject: string,
    body: string,
  ): Promise<Reply> {
    assert.ok(this.agreement);
    return this.send(
      this.event('statusEvent', sendFeedback(this.agreement, this.identity, { kind, subject, body })),
    );
  }

  terminate(disposition: 'return' | 'destroy') {
    assert.ok(this.agreement);
    const termination = terminateAgreement(this.agreement, this.identity, disposition, 'Switching provider');
    return { termination, event: this.event('statusEvent', termination) };
  }

  dataRequest(include: DataKind[], format: 'json' | 'csv' = 'json', clock?: Clock) {
    assert.ok(this.agreement);
    return requestData(this.agreement, this.identity, include, format, clock);
  }

  pull(request: unknown): Promise<Reply> {
    return vendorCall(this.api, 'POST', `${this.url}/data`, request);
  }
}
