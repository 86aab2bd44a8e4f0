import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  acceptSisaOffering,
  answer,
  changePermissions,
  createSisaEvent,
  findTerms,
  parseKeyFile,
  Party,
  requestData,
  sendFeedback,
  serializeKeyFile,
  terminateAgreement,
  validateSisa,
  validateSisaOffering,
  AgreementError,
  type DataKind,
  type Disposition,
  type FeedbackKind,
  type InformationSharingAgreement,
  type PermissionChange,
  type Policy,
  type OfferAcceptance,
  type SignedIntentMessage,
  type SignedMessage,
  type SisaOffering,
  type TermsEntry,
  type TermsAnswer,
  type ValidatedSisa,
  type Clock,
} from '@parley/protocol';
import type { LedgerReceipt } from '@parley/ledger';
import { Vault } from './vault/vault.js';
import { AgentInputError } from './errors.js';
export { AgentInputError } from './errors.js';
import { Intents } from './intent/intents.js';
import { fieldsFor, type Profile } from './profile/profile.js';
import { policyConsents } from './profile/policies.js';
import { VendorClient, VendorError, type VendorClientOptions } from './vendor/client.js';
import { fromVendor, parseVendorIdentity, VendorAnswerError } from './vendor/identity.js';
import {
  checkOutcome,
  chooseOfferProposal,
  chooseProposal,
  proffer,
  type NegotiationOutcome,
} from './relationship/negotiate.js';
import { checkAcknowledgement } from './relationship/acknowledgement.js';
import { checkPurgeNotice, checkVendorMessage, fieldsCarried } from './relationship/notices.js';
import { OwnLedger } from './relationship/own-ledger.js';
import { StateSaver, stateFromVault, type AgentState, type Preferences } from './relationship/state.js';
import { Deliverer, type RetryPolicy } from './delivery/deliverer.js';
import type {
  ChangeKind,
  ChangeRecord,
  Delivery,
  EventKind,
  Permissions,
  RelationshipRecord,
} from './relationship/types.js';
import {
  changeView,
  messageView,
  purgeView,
  relationshipView,
  type ChangeView,
  type MessageView,
  type PurgeView,
  type RelationshipView,
} from './views.js';

export interface AgentOptions {
  vaultPath: string;
  passphrase: string;
  /** Create the vault when the file does not exist (default false). */
  create?: boolean;
  /** The agent's own ledger (default: the vault's path + `.ledger.db`). */
  ledgerUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** How long a change waits for first acknowledgements before answering (default 3 s). */
  firstAttemptWaitMs?: number;
  vendor?: VendorClientOptions;
  /** The URL vendors reach this agent at, for answers to intentcasts (default: where it listens). */
  publicUrl?: string;
  /** The clock vendors' notices are checked by (default Date.now); tests move it with the vendors'. */
  clock?: Clock;
}

/** What one round of collecting notices found. */
export interface NoticesChecked {
  /** Relationships asked (every active agreement). */
  asked: number;
  /** Purge receipts new since the last round, each checked and kept. */
  purges: (PurgeView & { relationshipId: string; vendor: string })[];
  /** The vendors' signed replies (their desks answering her feedback) new since the last round. */
  messages: (MessageView & { relationshipId: string; vendor: string })[];
  /** Vendors that could not be asked, or whose notices failed a check (nothing of theirs was kept). */
  errors: { relationshipId: string; vendor: string; error: string }[];
}

/** How many past changes (with their deliveries) the dashboard can still list. */
const KEEP_CHANGES = 500;

const EVENT_TYPES: Record<EventKind, Delivery['eventType']> = {
  data: 'dataEvent',
  permissions: 'permissionEvent',
  feedback: 'statusEvent',
  termination: 'statusEvent',
};

/**
 * The person's agent: her vault, her relationships with vendors, and the sending of her signed events.
 * Everything she does goes through here; the HTTP API and the CLI are thin faces of it.
 */
export class Agent {
  readonly #vault: Vault;
  readonly #state: AgentState;
  readonly #saver: StateSaver;
  readonly #master: Party;
  readonly #ledger: OwnLedger;
  readonly #deliverer: Deliverer;
  readonly #sisas = new Map<string, ValidatedSisa>();
  readonly #identities = new Map<string, Party>();
  /** Each relationship's deliveries not yet acknowledged or failed, in order (an index over the state). */
  readonly #pending = new Map<string, Delivery[]>();
  readonly #options: AgentOptions;
  #seq = 0;
  #publicUrl: string | undefined;
  /** Her intentcasts and the vendors' answers. */
  readonly intents: Intents;

  private constructor(vault: Vault, master: Party, ledger: OwnLedger, options: AgentOptions) {
    this.#vault = vault;
    this.#state = stateFromVault(vault.contents);
    this.#saver = new StateSaver(vault, this.#state);
    this.#master = master;
    this.#ledger = ledger;
    this.#options = options;
    const deliveries = Object.values(this.#state.deliveries).sort((a, b) => a.seq - b.seq);
    this.#seq = deliveries.at(-1)?.seq ?? 0;
    for (const d of deliveries) if (d.status === 'pending') this.#enqueue(d);
    this.#publicUrl = options.publicUrl;
    this.intents = new Intents({
      records: this.#state.intents,
      identity: (label) => this.#me(label),
      save: () => this.#saver.save(),
      saveSoon: () => this.#saver.saveSoon(),
      ledger,
      ...(options.vendor ? { vendor: options.vendor } : {}),
      replyTo: () => {
        if (!this.#publicUrl)
          throw new AgentInputError(409, 'publicUrl', 'the agent has no public URL for answers');
        return `${this.#publicUrl}/intents/answers`;
      },
      connect: (input) => this.connect(input),
    });
    this.#deliverer = new Deliverer(
      {
        queue: (id) => this.#queue(id),
        prepare: (d) => this.#prepare(d),
        send: (d) => this.#send(d),
        changed: () => this.#saver.saveSoon(),
      },
      options.retry,
    );
  }

  static async open(options: AgentOptions): Promise<Agent> {
    const vault =
      options.create && !existsSync(options.vaultPath)
        ? await Vault.create(options.vaultPath, options.passphrase)
        : await Vault.open(options.vaultPath, options.passphrase);
    let masterText = vault.contents.keys.master;
    if (masterText === undefined) {
      masterText = serializeKeyFile(Party.generate('master'));
      const text = masterText;
      await vault.update((c) => {
        c.keys.master = text;
      });
    }
    const master = parseKeyFile(masterText);
    const ledger = await OwnLedger.open(options.ledgerUrl ?? `${options.vaultPath}.ledger.db`, master);
    const agent = new Agent(vault, master, ledger, options);
    // Whatever was waiting when the agent stopped goes out again now.
    for (const id of agent.#relationshipsWithQueue()) void agent.#deliverer.kick(id);
    return agent;
  }

  /** The URL vendors reach this agent at (set when it starts listening, unless given). */
  setPublicUrl(url: string): void {
    this.#publicUrl ??= url.replace(/\/+$/, '');
  }

  get ledgerVkey(): string {
    return this.#ledger.vkey;
  }

  me(): { profile: Profile; policies: Policy[]; preferences: Preferences } {
    const s = this.#state;
    return structuredClone({ profile: s.profile, policies: s.policies, preferences: s.preferences });
  }

  relationships(): RelationshipView[] {
    return Object.values(this.#state.relationships)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((r) => this.#view(r));
  }

  relationship(id: string): RelationshipView {
    return this.#view(this.#get(id));
  }

  // --- connecting -------------------------------------------------------------------------------------

  /** Connects to a vendor by URL with a fresh pairwise identity, proffering her terms. */
  async connect(input: {
    url: string;
    invitation?: string;
    fields?: string[];
    /** After taking an offer: its terms, and the signed acceptance naming the new relationship's identity. */
    offer?: { terms: TermsEntry; accept: (relationshipDid: string) => SignedIntentMessage<OfferAcceptance> };
  }): Promise<RelationshipView> {
    const client = new VendorClient(input.url, this.#options.vendor);
    const identity = await client.get();
    const vendor = fromVendor(() => parseVendorIdentity(identity));
    const choice = input.offer
      ? chooseOfferProposal(vendor, input.offer.terms, this.#state.policies, input.fields)
      : chooseProposal(vendor, this.#state.preferences, this.#state.policies, input.fields);
    const id = randomUUID();
    const me = this.#me(id);
    const offered = await client.post('/offerings', {});
    const offering = fromVendor(() => validateSisaOffering(offered));
    if (offering.custodianDid !== vendor.did)
      throw new VendorAnswerError('offering.dataCustodianDid', 'is not the DID the vendor published');
    const sisa = acceptSisaOffering(offered as SisaOffering, me);
    const proposal = proffer(me, vendor, choice);
    const answered = await client.post('/negotiations', {
      sisa,
      proposal,
      ...(input.invitation ? { invitation: input.invitation } : {}),
      ...(input.offer ? { acceptance: input.offer.accept(me.did) } : {}),
    });
    const outcome = fromVendor(() => checkOutcome(answered, vendor, [proposal], proposal));
    const record: RelationshipRecord = {
      id,
      url: client.url,
      createdAt: new Date().toISOString(),
      status: 'refused',
      vendor,
      did: me.did,
      sisa,
      proposal,
      answers: [outcome.answer],
      consentReceipts: [],
      shared: {},
      permissions: { consents: [], channels: [], policies: [], subscriptions: [] },
      head: null,
    };
    this.#state.relationships[id] = record;
    this.#state.receipts[id] = [];
    if (outcome.status === 'countered') {
      const code = outcome.answer.terms ? findTerms(outcome.answer.terms.id)?.code : undefined;
      if (code && this.#state.preferences.acceptCounters.includes(code)) {
        return this.#answerCounter(record, true);
      }
    }
    this.#settle(record, outcome);
    await this.#saver.save();
    if (record.status === 'active') await this.#afterAgreement(record);
    return this.#view(record);
  }

  /** Her answer to a vendor's counter-offer. */
  async decide(id: string, accept: boolean): Promise<RelationshipView> {
    const record = this.#get(id);
    if (record.status !== 'countered')
      throw new AgentInputError(
        409,
        'accept',
        `the relationship is ${record.status}, not waiting for a decision`,
      );
    return this.#answerCounter(record, accept);
  }

  async #answerCounter(record: RelationshipRecord, accept: boolean): Promise<RelationshipView> {
    const me = this.#me(record.id);
    const counter = record.answers[0] as SignedMessage<TermsAnswer>;
    const mine = answer(counter, me, { decision: accept ? 'accept' : 'reject' });
    const client = new VendorClient(record.url, this.#options.vendor);
    const answered = await client.post(`/negotiations/${encodeURIComponent(record.proposal.id)}/answer`, {
      answer: mine,
    });
    const outcome = fromVendor(() =>
      checkOutcome(answered, record.vendor, [record.proposal, counter, mine], mine),
    );
    record.answers = [counter, mine];
    this.#settle(record, outcome);
    await this.#saver.save();
    if (record.status === 'active') await this.#afterAgreement(record);
    return this.#view(record);
  }

  #settle(record: RelationshipRecord, outcome: NegotiationOutcome): void {
    record.status = outcome.status === 'agreed' ? 'active' : outcome.status;
    if (outcome.answer.reason) record.reason = outcome.answer.reason;
    if (outcome.agreement) {
      record.agreement = outcome.agreement;
      if (outcome.consentReceipt) record.consentReceipts.push(outcome.consentReceipt);
      if (outcome.ledger) record.agreementLedger = outcome.ledger;
    }
  }

  /** Present and future: a new relationship gets her data and her global policies at once. */
  async #afterAgreement(record: RelationshipRecord): Promise<void> {
    if (!isAgreed(record)) return;
    const fields = fieldsFor(this.#state.profile, this.#schemaFields(record));
    const hasFields = Object.keys(fields).length > 0;
    const hasPolicies = this.#state.policies.length > 0;
    if (!hasFields && !hasPolicies) return;
    const change = this.#newChange('profile', `connected to ${record.vendor.name}`);
    if (hasFields) this.#addDelivery(change, record, 'data', fields);
    if (hasPolicies) {
      this.#addDelivery(change, record, 'permissions', this.#policyChange(record, this.#state.policies));
    }
    await this.#dispatch(change);
  }

  // --- one move, every vendor ----------------------------------------------------------------------------

  /** One edit of her details becomes one signed event per relationship whose agreement covers a changed field. */
  async updateProfile(patch: Profile): Promise<ChangeView> {
    const changed = Object.keys(patch).filter(
      (k) =>
        JSON.stringify((patch as Record<string, unknown>)[k]) !==
        JSON.stringify((this.#state.profile as Record<string, unknown>)[k]),
    );
    Object.assign(this.#state.profile, patch);
    const change = this.#newChange('profile', changed.join(', ') || 'no change');
    for (const record of this.#active()) {
      const covered = this.#schemaFields(record).filter((f) => changed.includes(f));
      if (covered.length > 0)
        this.#addDelivery(change, record, 'data', fieldsFor(this.#state.profile, covered));
    }
    return this.#dispatch(change);
  }

  /** Global policies: applied to every relationship now, and to every future one at its start. */
  async setPolicies(policies: Policy[]): Promise<ChangeView> {
    this.#state.policies = [...new Set(policies)].sort();
    const change = this.#newChange('policies', this.#state.policies.join(', ') || 'none');
    for (const record of this.#active()) {
      this.#addDelivery(change, record, 'permissions', this.#policyChange(record, this.#state.policies));
    }
    return this.#dispatch(change);
  }

  async setPreferences(preferences: Preferences): Promise<Preferences> {
    for (const [i, code] of [...preferences.terms, ...preferences.acceptCounters].entries()) {
      if (!findTerms(code))
        throw new AgentInputError(400, `terms[${i}]`, `"${code}" is not in the terms roster`);
    }
    if (preferences.terms.length === 0)
      throw new AgentInputError(400, 'terms', 'name at least one terms to proffer');
    this.#state.preferences = structuredClone(preferences);
    await this.#saver.save();
    return structuredClone(preferences);
  }

  async changePermissions(
    id: string,
    change: Partial<Pick<PermissionChange, 'consents' | 'channels' | 'subscriptions'>>,
  ): Promise<ChangeView> {
    const record = this.#activeOne(id);
    if (change.subscriptions) {
      const known = new Set(record.vendor.publications.map((p) => p.id));
      change.subscriptions.forEach((s, i) => {
        if (!known.has(s.publication))
          throw new AgentInputError(
            400,
            `subscriptions[${i}].publication`,
            `${record.vendor.name} has no publication "${s.publication}"`,
          );
      });
    }
    const message = this.#sign(() =>
      changePermissions(record.agreement, this.#me(record.id), {
        consents: change.consents ?? [],
        channels: change.channels ?? [],
        ...(change.subscriptions ? { subscriptions: change.subscriptions } : {}),
      }),
    );
    const c = this.#newChange('permissions', `${record.vendor.name}: permissions`);
    this.#addDelivery(c, record, 'permissions', message);
    return this.#dispatch(c);
  }

  async feedback(
    id: string,
    input: { kind: FeedbackKind; subject: string; body: string; inReplyTo?: string },
  ): Promise<ChangeView> {
    const record = this.#activeOne(id);
    const message = this.#sign(() => sendFeedback(record.agreement, this.#me(record.id), input));
    const c = this.#newChange('feedback', `${record.vendor.name}: ${input.kind}`);
    this.#addDelivery(c, record, 'feedback', message);
    return this.#dispatch(c);
  }

  async terminate(id: string, disposition: Disposition, reason?: string): Promise<ChangeView> {
    const record = this.#activeOne(id);
    const message = this.#sign(() =>
      terminateAgreement(record.agreement, this.#me(record.id), disposition, reason),
    );
    const c = this.#newChange('termination', `${record.vendor.name}: end, ${disposition} the data`);
    this.#addDelivery(c, record, 'termination', message);
    return this.#dispatch(c);
  }

  /** What the vendor holds about her, asked for with a signed request; the answer is passed through. */
  async pullData(id: string, format: 'json' | 'csv', kinds: DataKind[]): Promise<Response> {
    const record = this.#get(id);
    if (!isAgreed(record)) throw new AgentInputError(409, 'id', 'there is no agreement with this vendor');
    const request = this.#sign(() => requestData(record.agreement, this.#me(record.id), kinds, format));
    return new VendorClient(record.url, this.#options.vendor).postRaw('/data', request);
  }

  /**
   * Asks every vendor of an active agreement with a retention period for its notices (a signed data request)
   * and keeps each new purge receipt that passes every check (checkPurgeNotice), logged in her own ledger
   * too; the fields whose newest value was purged leave what she sees as shared with that vendor.
   */
  async checkNotices(): Promise<NoticesChecked> {
    const result: NoticesChecked = { asked: 0, purges: [], messages: [], errors: [] };
    const due = Object.values(this.#state.relationships).filter(
      (r): r is Agreed => isAgreed(r) && r.status === 'active',
    );
    await Promise.all(
      due.map(async (record) => {
        result.asked++;
        try {
          const request = requestData(record.agreement, this.#me(record.id), ['notices'], 'json');
          const answer = (await new VendorClient(record.url, this.#options.vendor).post(
            '/data',
            request,
          )) as {
            notices?: unknown;
          };
          if (!Array.isArray(answer.notices))
            throw new VendorAnswerError('notices', 'expected an array of notices');
          const known = new Set((record.purges ?? []).map((p) => p.receipt.id));
          const sent = this.#state.receipts[record.id] ?? [];
          // The vendor's signed Feedback replies (its desk answering her): checked and kept as messages.
          const seen = new Set((record.messages ?? []).map((m) => m.message.id));
          for (const n of answer.notices) {
            if ((n as { type?: unknown } | null)?.type !== 'Feedback') continue;
            const checked = checkVendorMessage(n, record.agreement, this.#options.clock);
            if (seen.has(checked.message.id)) continue;
            seen.add(checked.message.id);
            (record.messages ??= []).push(checked);
            result.messages.push({
              ...messageView(checked),
              relationshipId: record.id,
              vendor: record.vendor.name,
            });
          }
          const fresh = answer.notices
            .filter((n) => (n as { type?: unknown } | null)?.type !== 'Feedback')
            .filter((n) => !known.has((n as { receipt?: { id?: string } } | null)?.receipt?.id ?? ''))
            .map((n) =>
              checkPurgeNotice(n, record.agreement, record.vendor.ledger.vkey, sent, this.#options.clock),
            );
          for (const checked of fresh) {
            const ownLedgerIndex = await this.#ledger.append(checked.vendorLedger.record as object);
            const purge = { ...checked, ownLedgerIndex };
            (record.purges ??= []).push(purge);
            const purged = new Set(checked.receipt.eventIds);
            const gone = new Set(
              checked.receipt.fields.filter((field) => {
                const newest = sent.filter((r) => fieldsCarried(r).includes(field)).at(-1);
                return newest !== undefined && purged.has(newest.eventId);
              }),
            );
            record.shared = Object.fromEntries(Object.entries(record.shared).filter(([f]) => !gone.has(f)));
            result.purges.push({
              ...purgeView(purge),
              relationshipId: record.id,
              vendor: record.vendor.name,
            });
          }
        } catch (error) {
          result.errors.push({
            relationshipId: record.id,
            vendor: record.vendor.name,
            error: (error as Error).message,
          });
        }
      }),
    );
    if (result.purges.length > 0 || result.messages.length > 0) await this.#saver.save();
    return result;
  }

  changes(filter: { status?: 'unconfirmed' } = {}): ChangeView[] {
    return Object.values(this.#state.changes)
      .map((c) => this.#changeView(c))
      .filter((c) => filter.status !== 'unconfirmed' || c.deliveries.some((d) => d.status !== 'acknowledged'))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Tries every unconfirmed delivery now; returns how many relationships were kicked. */
  retryAll(): number {
    const ids = this.#relationshipsWithQueue();
    for (const id of ids) void this.#deliverer.kick(id, true);
    return ids.length;
  }

  events(limit = 50) {
    return Object.values(this.#state.receipts)
      .flat()
      .sort((a, b) => b.acknowledgedAt.localeCompare(a.acknowledgedAt))
      .slice(0, limit)
      .map((r) => ({
        eventId: r.eventId,
        relationshipId: r.relationshipId,
        vendor: this.#state.relationships[r.relationshipId]?.vendor.name,
        kind: r.kind,
        createdAt: r.createdAt,
        acknowledgedAt: r.acknowledgedAt,
        ledgerIndex: r.vendorLedger.index,
        ownLedgerIndex: r.ownLedgerIndex,
        receiptVerified: true,
        ...(r.consentReceipt ? { consentReceipt: r.consentReceipt } : {}),
      }));
  }

  /** The vendor's ledger receipts of every acknowledged event of a relationship, oldest first. */
  receiptsOf(id: string): LedgerReceipt[] {
    this.#get(id);
    return (this.#state.receipts[id] ?? []).map((r) => r.vendorLedger);
  }

  /** The vendor's ledger receipt of the agreement, when there is one. */
  agreementReceiptOf(id: string): LedgerReceipt | undefined {
    return this.#get(id).agreementLedger;
  }

  /** Waits until nothing is being sent (tests and benchmarks). */
  idle(): Promise<void> {
    return this.#deliverer.idle();
  }

  async close(): Promise<void> {
    this.#deliverer.close();
    await this.#deliverer.idle();
    await this.#saver.flush();
    await this.#ledger.close();
    this.#vault.close();
  }

  // --- internals ----------------------------------------------------------------------------------------

  /** Her pairwise identity for a relationship (derived once: HKDF and key import cost more than a signature). */
  #me(relationshipId: string): Party {
    let party = this.#identities.get(relationshipId);
    if (!party) {
      party = this.#master.pairwise(relationshipId);
      this.#identities.set(relationshipId, party);
    }
    return party;
  }

  #get(id: string): RelationshipRecord {
    const record = this.#state.relationships[id];
    if (!record) throw new AgentInputError(404, 'id', `no relationship ${id}`);
    return record;
  }

  #activeOne(id: string): Agreed {
    const record = this.#get(id);
    if (record.status !== 'active' || !isAgreed(record))
      throw new AgentInputError(409, 'id', `the relationship with ${record.vendor.name} is ${record.status}`);
    if (this.#queue(id).some((d) => d.kind === 'termination'))
      throw new AgentInputError(409, 'id', `the relationship with ${record.vendor.name} is being ended`);
    return record;
  }

  #active(): Agreed[] {
    return Object.values(this.#state.relationships).filter(
      (r): r is Agreed =>
        r.status === 'active' && isAgreed(r) && !this.#queue(r.id).some((d) => d.kind === 'termination'),
    );
  }

  #schemaFields(record: RelationshipRecord): string[] {
    return record.agreement ? record.agreement.schema.fields.map((f) => f.name) : [];
  }

  #sign<T>(make: () => T): T {
    try {
      return make();
    } catch (error) {
      if (error instanceof AgreementError)
        throw new AgentInputError(400, error.field ?? 'body', error.message);
      throw error;
    }
  }

  #policyChange(record: Agreed, policies: Policy[]): SignedMessage<PermissionChange> {
    return changePermissions(record.agreement, this.#me(record.id), {
      consents: policyConsents(policies),
      channels: [],
      policies,
    });
  }

  #newChange(kind: ChangeKind, summary: string): ChangeRecord {
    const change: ChangeRecord = {
      id: randomUUID(),
      kind,
      createdAt: new Date().toISOString(),
      summary,
      deliveries: [],
    };
    this.#state.changes[change.id] = change;
    this.#forgetOldChanges();
    return change;
  }

  /** Keeps the last KEEP_CHANGES changes whose deliveries are all settled (receipts are kept for good). */
  #forgetOldChanges(): void {
    const changes = Object.values(this.#state.changes);
    if (changes.length <= KEEP_CHANGES) return;
    const settled = (c: ChangeRecord) =>
      c.deliveries.every((id) => this.#state.deliveries[id]?.status !== 'pending');
    const old = changes
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .slice(0, changes.length - KEEP_CHANGES);
    for (const c of old.filter(settled)) {
      for (const id of c.deliveries) Reflect.deleteProperty(this.#state.deliveries, id);
      Reflect.deleteProperty(this.#state.changes, c.id);
    }
  }

  #addDelivery(change: ChangeRecord, record: RelationshipRecord, kind: EventKind, payload: object): void {
    const delivery: Delivery = {
      id: randomUUID(),
      seq: ++this.#seq,
      changeId: change.id,
      relationshipId: record.id,
      kind,
      eventType: EVENT_TYPES[kind],
      payload,
      status: 'pending',
      attempts: 0,
      createdAt: new Date().toISOString(),
    };
    this.#state.deliveries[delivery.id] = delivery;
    change.deliveries.push(delivery.id);
    this.#enqueue(delivery);
  }

  /** Saves the change, sends every delivery, and answers once the first attempts are done (or time is up). */
  async #dispatch(change: ChangeRecord): Promise<ChangeView> {
    // Each first delivery saves the whole state (this change too) before its event leaves.
    if (change.deliveries.length === 0) await this.#saver.save();
    const relationships = [
      ...new Set(change.deliveries.flatMap((d) => this.#state.deliveries[d]?.relationshipId ?? [])),
    ];
    const first = Promise.allSettled(relationships.map((id) => this.#deliverer.kick(id)));
    const wait = this.#options.firstAttemptWaitMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise((r) => (timer = setTimeout(r, wait)))]);
    clearTimeout(timer);
    return this.#changeView(change);
  }

  #queue(relationshipId: string): Delivery[] {
    const queue = this.#pending.get(relationshipId);
    if (!queue) return [];
    while (queue.length > 0 && queue[0]?.status !== 'pending') queue.shift();
    if (queue.length === 0) this.#pending.delete(relationshipId);
    return queue;
  }

  #relationshipsWithQueue(): string[] {
    return [...this.#pending.keys()].filter((id) => this.#queue(id).length > 0);
  }

  #enqueue(delivery: Delivery): void {
    const queue = this.#pending.get(delivery.relationshipId);
    if (queue) queue.push(delivery);
    else this.#pending.set(delivery.relationshipId, [delivery]);
  }

  #sisa(record: RelationshipRecord): ValidatedSisa {
    let sisa = this.#sisas.get(record.id);
    if (!sisa) {
      sisa = validateSisa(record.sisa);
      this.#sisas.set(record.id, sisa);
    }
    return sisa;
  }

  async #prepare(delivery: Delivery): Promise<void> {
    if (delivery.event) return;
    const record = this.#get(delivery.relationshipId);
    if (record.status !== 'active') throw new Error(`the relationship is ${record.status}`);
    delivery.event = createSisaEvent(
      record.sisa,
      this.#me(record.id),
      delivery.eventType,
      delivery.payload,
      record.head,
    );
    // Saved before it leaves: after a crash the same event is sent again, never a second one on the same link.
    await this.#saver.save();
  }

  async #send(delivery: Delivery): Promise<void> {
    const event = delivery.event;
    if (!event) throw new Error('the event was not signed');
    const record = this.#get(delivery.relationshipId);
    const client = new VendorClient(record.url, this.#options.vendor);
    const answerBody = await client.post('/events', event);
    let checked;
    try {
      checked = checkAcknowledgement(answerBody, delivery, record, this.#sisa(record));
    } catch (error) {
      // The vendor answered, but not with a valid acknowledgement of this event: keep trying.
      throw new VendorError(`the acknowledgement did not verify: ${(error as Error).message}`, 502, true);
    }
    const eventId = event.audit.eventId as string;
    record.head = eventId;
    if (delivery.kind === 'data') Object.assign(record.shared, delivery.payload);
    if (delivery.kind === 'permissions') {
      applyPermissions(record.permissions, delivery.payload as SignedMessage<PermissionChange>);
      if (checked.consentReceipt) record.consentReceipts.push(checked.consentReceipt);
    }
    if (delivery.kind === 'termination') {
      record.status = 'terminated';
      record.confirmation = checked.confirmation;
      if (checked.returnedData !== undefined) record.returnedData = checked.returnedData;
      if ((delivery.payload as { dataDisposition: string }).dataDisposition === 'destroy') record.shared = {};
    }
    const ownLedgerIndex = await this.#ledger.append({ type: 'sisaEvent', ...checked.acknowledged.audit });
    (this.#state.receipts[record.id] ??= []).push({
      eventId,
      relationshipId: record.id,
      kind: delivery.kind,
      createdAt: event.audit.createdAt as string,
      acknowledgedAt: new Date().toISOString(),
      acknowledged: checked.acknowledged,
      vendorLedger: checked.ledger,
      ownLedgerIndex,
      ...(checked.consentReceipt ? { consentReceipt: checked.consentReceipt } : {}),
    });
  }

  #view(record: RelationshipRecord): RelationshipView {
    return relationshipView(record, this.#state);
  }

  #changeView(change: ChangeRecord): ChangeView {
    return changeView(change, this.#state);
  }
}

type Agreed = RelationshipRecord & { agreement: InformationSharingAgreement };

function isAgreed(record: RelationshipRecord): record is Agreed {
  return record.agreement !== undefined;
}

function applyPermissions(permissions: Permissions, change: SignedMessage<PermissionChange>): void {
  const merge = <T, K extends keyof T>(list: T[], updates: T[], key: K) => {
    for (const u of updates) {
      const i = list.findIndex((x) => x[key] === u[key]);
      if (i >= 0) list[i] = u;
      else list.push(u);
    }
  };
  merge(permissions.consents, change.consents, 'purpose');
  merge(permissions.channels, change.channels, 'channel');
  if (change.subscriptions) merge(permissions.subscriptions, change.subscriptions, 'publication');
  if (change.policies) permissions.policies = [...change.policies];
}
