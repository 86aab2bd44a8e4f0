import { AgreementError } from '../errors.js';
import { canonicalize } from '../json/canonical.js';
import { sha256Hex } from '../crypto/hash.js';
import type { Party } from '../identity/party.js';
import type { Clock } from '../jlinc/primitives.js';
import { exactObject } from '../jlinc/shape.js';
import {
  checkRetention,
  checkTermsAllow,
  messageHash,
  PARLEY_CONTEXT,
  signMessage,
  validateParleyMessage,
  type DataSchema,
  type Decision,
  type Disposition,
  type OnwardSharing,
  type AgreementStatus,
  type DataKind,
  type DataRequest,
  type RetentionPurge,
  type Feedback,
  type AgreementTermination,
  type ParleyMessage,
  type TerminationConfirmation,
  type PermissionChange,
  type Role,
  type SignedMessage,
  type Status,
  type TermsAnswer,
  type TermsProposal,
} from './messages.js';
import {
  findTerms,
  resolveTermsRef,
  termsRef,
  type Purpose,
  type TermsEntry,
  type TermsRef,
} from './roster.js';

const err = (field: string, detail: string, code?: string) => new AgreementError(field, detail, code);

export interface ProposeInput {
  from: Party;
  to: string;
  proposer: Role;
  /** Roster entries (or their codes, ids or aliases) in order of preference. */
  terms: (TermsEntry | string)[];
  schema: DataSchema;
  purposes: Purpose[];
  retentionDays: number | null;
  onwardSharing?: OnwardSharing;
}

export function lookupTerms(terms: TermsEntry | string, field = 'terms'): TermsEntry {
  if (typeof terms !== 'string') return terms;
  const entry = findTerms(terms);
  if (!entry) throw err(field, `"${terms}" is not in the terms roster`, 'unknown-terms');
  return entry;
}

/** Either side proposes: the person proffers her terms, or a vendor offers its own. */
export function proposeTerms(input: ProposeInput, clock: Clock = {}): SignedMessage<TermsProposal> {
  return signMessage<TermsProposal>(
    {
      type: 'TermsProposal',
      proposer: input.proposer,
      terms: input.terms.map((t, i) => termsRef(lookupTerms(t, `terms[${i}]`))),
      schema: input.schema,
      purposes: input.purposes,
      retentionDays: input.retentionDays,
      onwardSharing: input.onwardSharing ?? { allowed: false },
    },
    input.from,
    input.to,
    clock,
  );
}

export interface AnswerInput {
  decision: Decision;
  /** accept: one of the proposed terms (default: the first); counter: the one alternative. */
  terms?: TermsEntry | string;
  purposes?: Purpose[];
  reason?: string;
}

/** Answers a proposal (accept one of its terms, counter once with another, or reject), or answers a counter. */
export function answer(
  to: SignedMessage<TermsProposal> | SignedMessage<TermsAnswer>,
  from: Party,
  input: AnswerInput,
  clock: Clock = {},
): SignedMessage<TermsAnswer> {
  if (to.to !== from.did) throw err('to', 'this message is addressed to another party', 'wrong-party');
  let terms: TermsRef | undefined;
  if (input.decision === 'accept') {
    if (to.type === 'TermsProposal') {
      terms = input.terms === undefined ? to.terms[0] : termsRef(lookupTerms(input.terms));
    } else {
      terms = to.terms;
    }
  } else if (input.decision === 'counter') {
    if (input.terms === undefined)
      throw err('terms', 'a counter-offer names one alternative from the roster', 'missing');
    terms = termsRef(lookupTerms(input.terms));
  }
  const message = signMessage<TermsAnswer>(
    {
      type: 'TermsAnswer',
      inReplyTo: to.id,
      replyHash: messageHash(to),
      decision: input.decision,
      ...(terms ? { terms } : {}),
      ...(input.purposes ? { purposes: input.purposes } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
    },
    from,
    to.from,
    clock,
  );
  if (to.type === 'TermsProposal') {
    followNegotiation([to, message], clock);
  } else {
    if (input.decision === 'counter')
      throw err('decision', 'a counter-offer cannot be countered (one round)', 'sequence');
    validateAnswerTo(message, to, 'answer', clock);
    if (input.decision === 'accept' && message.terms?.id !== to.terms?.id) {
      throw err('terms', 'must be the terms of the counter-offer', 'mismatch');
    }
  }
  return message;
}

/** A vendor's published policy: which roster terms it accepts, in its order of preference, and its counter. */
export interface TermsPolicy {
  accepts: string[];
  counter?: string;
  /** Purposes the vendor wants the counter-offer to cover besides the proposal's (e.g. ServiceAnalytics). */
  purposes?: Purpose[];
  reason?: string;
}

/** Picks the answer mechanically: the first proffered terms the policy accepts; else its counter; else reject. */
export function answerByPolicy(
  proposal: SignedMessage<TermsProposal>,
  vendor: Party,
  policy: TermsPolicy,
  clock: Clock = {},
): SignedMessage<TermsAnswer> {
  const acceptable = new Set(policy.accepts.map((name) => lookupTerms(name, 'policy.accepts').id));
  const chosen = proposal.terms.find((t) => acceptable.has(t.id));
  if (chosen) return answer(proposal, vendor, { decision: 'accept', terms: chosen.id }, clock);
  if (policy.counter && !proposal.terms.some((t) => t.id === lookupTerms(policy.counter as string).id)) {
    const counter = lookupTerms(policy.counter, 'policy.counter');
    const wanted = [...new Set([...proposal.purposes, ...(policy.purposes ?? [])])];
    const purposes = wanted.filter((p) => counter.permissions[p] !== 'no');
    const changed =
      purposes.length !== proposal.purposes.length || purposes.some((p) => !proposal.purposes.includes(p));
    return answer(
      proposal,
      vendor,
      {
        decision: 'counter',
        terms: counter,
        ...(changed && purposes.length ? { purposes } : {}),
        reason: policy.reason ?? `We accept ${counter.code}.`,
      },
      clock,
    );
  }
  return answer(
    proposal,
    vendor,
    { decision: 'reject', reason: policy.reason ?? 'None of these terms fits our service.' },
    clock,
  );
}

export type NegotiationState =
  | { status: 'AgreementNegotiationPendingResponse' }
  | { status: 'AgreementNegotiationCounterOfferMade'; counter: SignedMessage<TermsAnswer> }
  | { status: 'AgreementRefused'; refusedBy: string; reason?: string }
  | { status: 'AgreementAccepted'; agreement: InformationSharingAgreement };

/** The record both parties keep of an accepted agreement: the signed messages and what they settle. */
export interface InformationSharingAgreement {
  '@context': typeof PARLEY_CONTEXT;
  type: 'InformationSharingAgreement';
  /** urn:parley:agreement: + SHA-256 of the canonical array of signed messages. */
  id: string;
  person: string;
  organisation: string;
  terms: TermsRef;
  schema: DataSchema;
  purposes: Purpose[];
  retentionDays: number | null;
  onwardSharing: OnwardSharing;
  effectiveAt: string;
  messages: SignedMessage[];
}

/**
 * Replays a negotiation (proposal, then at most a counter and its answer: one round, IEEE 7012 style),
 * checking every signature and every link, and says where it stands.
 */
export function followNegotiation(messages: unknown[], clock: Clock = {}): NegotiationState {
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 3) {
    throw err('messages', 'expected a proposal followed by one or two answers', 'sequence');
  }
  const proposal = validateParleyMessage<TermsProposal>(messages[0], { ...clock, type: 'TermsProposal' });
  if (messages.length === 1) return { status: 'AgreementNegotiationPendingResponse' };
  const first = validateAnswerTo(messages[1], proposal, 'messages[1]', clock);
  const proposed = proposal.terms.map((t) => resolveTermsRef(t, 'terms'));
  if (first.decision === 'reject') {
    if (messages.length > 2) throw err('messages[2]', 'nothing may follow a rejection', 'sequence');
    return {
      status: 'AgreementRefused',
      refusedBy: first.from,
      ...(first.reason ? { reason: first.reason } : {}),
    };
  }
  if (first.decision === 'accept') {
    if (messages.length > 2) throw err('messages[2]', 'nothing may follow an acceptance', 'sequence');
    if (!proposal.terms.some((t) => t.id === first.terms?.id)) {
      throw err('messages[1].terms', 'accepts terms that were not proposed', 'not-proposed');
    }
    return accepted(proposal, [proposal, first], first.terms as TermsRef, proposal.purposes, first.createdAt);
  }
  // A counter-offer: one alternative from the roster, not one of those proposed.
  const counterTerms = resolveTermsRef(first.terms, 'messages[1].terms');
  if (proposed.some((t) => t.id === counterTerms.id)) {
    throw err(
      'messages[1].terms',
      'a counter-offer must name terms that were not proposed',
      'not-alternative',
    );
  }
  const purposes = first.purposes ?? proposal.purposes;
  checkTermsAllow(counterTerms, purposes, 'messages[1].terms');
  checkRetention(counterTerms, proposal.retentionDays, 'messages[1].terms');
  if (proposal.onwardSharing.allowed && counterTerms.permissions.ThirdPartySharing === 'no') {
    throw err(
      'messages[1].terms',
      `${counterTerms.code} forbids the onward sharing the proposal allows`,
      'conflict',
    );
  }
  if (messages.length === 2) return { status: 'AgreementNegotiationCounterOfferMade', counter: first };
  const second = validateAnswerTo(messages[2], first, 'messages[2]', clock);
  if (second.from !== proposal.from)
    throw err('messages[2].from', 'only the proposer answers a counter-offer', 'wrong-party');
  if (second.decision === 'counter')
    throw err('messages[2].decision', 'a counter-offer cannot be countered (one round)', 'sequence');
  if (second.decision === 'reject') {
    return {
      status: 'AgreementRefused',
      refusedBy: second.from,
      ...(second.reason ? { reason: second.reason } : {}),
    };
  }
  if (second.terms?.id !== counterTerms.id)
    throw err('messages[2].terms', 'must be the terms of the counter-offer', 'mismatch');
  return accepted(proposal, [proposal, first, second], first.terms as TermsRef, purposes, second.createdAt);
}

function validateAnswerTo(
  value: unknown,
  answered: SignedMessage,
  field: string,
  clock: Clock,
): SignedMessage<TermsAnswer> {
  let message: SignedMessage<TermsAnswer>;
  try {
    message = validateParleyMessage<TermsAnswer>(value, { ...clock, type: 'TermsAnswer' });
  } catch (error) {
    if (error instanceof AgreementError)
      throw err(`${field}.${error.field}`, error.message.slice(error.field.length + 2), error.code);
    throw error;
  }
  if (message.inReplyTo !== answered.id)
    throw err(`${field}.inReplyTo`, `expected ${answered.id}`, 'sequence');
  if (message.replyHash !== messageHash(answered)) {
    throw err(`${field}.replyHash`, 'does not match the message answered', 'hash');
  }
  if (message.from !== answered.to || message.to !== answered.from) {
    throw err(`${field}.from`, 'an answer goes from the recipient back to the sender', 'wrong-party');
  }
  if (Date.parse(message.createdAt) < Date.parse(answered.createdAt)) {
    throw err(`${field}.createdAt`, 'is earlier than the message it answers', 'order');
  }
  return message;
}

function accepted(
  proposal: SignedMessage<TermsProposal>,
  messages: SignedMessage[],
  terms: TermsRef,
  purposes: Purpose[],
  effectiveAt: string,
): NegotiationState {
  const person = proposal.proposer === 'person' ? proposal.from : proposal.to;
  const organisation = proposal.proposer === 'person' ? proposal.to : proposal.from;
  const agreement: InformationSharingAgreement = {
    '@context': PARLEY_CONTEXT,
    type: 'InformationSharingAgreement',
    id: agreementIdOf(messages),
    person,
    organisation,
    terms,
    schema: proposal.schema,
    purposes,
    retentionDays: proposal.retentionDays,
    onwardSharing: proposal.onwardSharing,
    effectiveAt,
    messages,
  };
  return { status: 'AgreementAccepted', agreement };
}

export function agreementIdOf(messages: object[]): string {
  return `urn:parley:agreement:${sha256Hex(canonicalize(messages))}`;
}

/** The agreement an accepted negotiation settles; throws if the negotiation did not end in acceptance. */
export function concludeAgreement(messages: SignedMessage[], clock: Clock = {}): InformationSharingAgreement {
  const state = followNegotiation(messages, clock);
  if (state.status !== 'AgreementAccepted')
    throw err('messages', `the negotiation is not accepted (${state.status})`, 'not-accepted');
  return state.agreement;
}

/**
 * Verifies an agreement record received from anyone: every message and link re-checked, and every settled
 * field recomputed from the signed messages (a record whose summary disagrees with its signatures is refused).
 */
export function verifyAgreement(value: unknown, clock: Clock = {}): InformationSharingAgreement {
  const record = exactObject(
    value,
    '',
    [
      '@context',
      'type',
      'id',
      'person',
      'organisation',
      'terms',
      'schema',
      'purposes',
      'retentionDays',
      'onwardSharing',
      'effectiveAt',
      'messages',
    ],
    [],
    AgreementError,
  );
  if (record.type !== 'InformationSharingAgreement')
    throw err('type', 'expected "InformationSharingAgreement"', 'type');
  const derived = concludeAgreement(record.messages as SignedMessage[], clock);
  for (const key of Object.keys(derived) as (keyof InformationSharingAgreement)[]) {
    if (canonicalize(derived[key]) !== canonicalize(record[key])) {
      throw err(key, 'does not match what the signed messages settle', 'mismatch');
    }
  }
  return derived;
}

function partyTo(agreement: InformationSharingAgreement, from: Party): string {
  if (from.did === agreement.person) return agreement.organisation;
  if (from.did === agreement.organisation) return agreement.person;
  throw err('from', 'is not a party to this agreement', 'wrong-party');
}

export function terminateAgreement(
  agreement: InformationSharingAgreement,
  from: Party,
  dataDisposition: Disposition,
  reason?: string,
  clock: Clock = {},
) {
  return signMessage<AgreementTermination>(
    {
      type: 'AgreementTermination',
      agreementId: agreement.id,
      dataDisposition,
      ...(reason ? { reason } : {}),
    },
    from,
    partyTo(agreement, from),
    clock,
  );
}

/** The data holder confirms what it did with the data when the agreement ended. */
export function confirmTermination(
  agreement: InformationSharingAgreement,
  termination: SignedMessage<AgreementTermination>,
  from: Party,
  summary: string,
  clock: Clock = {},
) {
  return signMessage<TerminationConfirmation>(
    {
      type: 'TerminationConfirmation',
      agreementId: agreement.id,
      terminationHash: messageHash(termination),
      dataDisposition: termination.dataDisposition,
      summary,
    },
    from,
    partyTo(agreement, from),
    clock,
  );
}

/** Consents per purpose and channel permissions; a purpose the terms forbid can never be granted. */
export function changePermissions(
  agreement: InformationSharingAgreement,
  from: Party,
  change: Pick<PermissionChange, 'consents' | 'channels'> &
    Partial<Pick<PermissionChange, 'policies' | 'subscriptions'>>,
  clock: Clock = {},
): SignedMessage<PermissionChange> {
  const message = signMessage<PermissionChange>(
    { type: 'PermissionChange', agreementId: agreement.id, ...change },
    from,
    partyTo(agreement, from),
    clock,
  );
  checkAgainstAgreement(message, agreement);
  return message;
}

export function agreementStatus(
  agreement: InformationSharingAgreement,
  from: Party,
  status: Status,
  note?: string,
  clock: Clock = {},
) {
  return signMessage<AgreementStatus>(
    { type: 'AgreementStatus', agreementId: agreement.id, status, ...(note ? { note } : {}) },
    from,
    partyTo(agreement, from),
    clock,
  );
}

/** Feedback, an error report or a survey answer to the other party of an agreement. */
export function sendFeedback(
  agreement: InformationSharingAgreement,
  from: Party,
  feedback: Pick<Feedback, 'kind' | 'subject' | 'body'> & { inReplyTo?: string },
  clock: Clock = {},
): SignedMessage<Feedback> {
  return signMessage<Feedback>(
    { type: 'Feedback', agreementId: agreement.id, ...feedback },
    from,
    partyTo(agreement, from),
    clock,
  );
}

/** The organisation's signed receipt that values it held under the agreement were purged when retention ended. */
export function purgeReceipt(
  agreement: InformationSharingAgreement,
  from: Party,
  purge: Pick<RetentionPurge, 'dueAt' | 'eventIds' | 'fields' | 'summary'>,
  clock: Clock = {},
): SignedMessage<RetentionPurge> {
  if (from.did !== agreement.organisation || agreement.retentionDays === null)
    throw err('from', 'only the organisation of an agreement with a retention period purges', 'wrong-party');
  const message = signMessage<RetentionPurge>(
    { type: 'RetentionPurge', agreementId: agreement.id, retentionDays: agreement.retentionDays, ...purge },
    from,
    agreement.person,
    clock,
  );
  checkAgainstAgreement(message, agreement);
  return message;
}

/** The person asks the organisation for what it holds about her under this agreement. */
export function requestData(
  agreement: InformationSharingAgreement,
  from: Party,
  include: DataKind[],
  format: 'json' | 'csv' = 'json',
  clock: Clock = {},
): SignedMessage<DataRequest> {
  if (from.did !== agreement.person)
    throw err('from', 'only the person of the agreement asks for her data', 'wrong-party');
  return signMessage<DataRequest>(
    { type: 'DataRequest', agreementId: agreement.id, include, format },
    from,
    agreement.organisation,
    clock,
  );
}

/** Checks a received termination, confirmation, permission change or status against the agreement it names. */
export function checkAgainstAgreement(
  message: SignedMessage<ParleyMessage>,
  agreement: InformationSharingAgreement,
): void {
  if (!('agreementId' in message)) throw err('type', 'this message does not refer to an agreement', 'type');
  if (message.agreementId !== agreement.id)
    throw err('agreementId', 'names another agreement', 'wrong-agreement');
  const parties = [agreement.person, agreement.organisation];
  if (!parties.includes(message.from) || !parties.includes(message.to)) {
    throw err('from', 'sender and recipient must be the two parties of the agreement', 'wrong-party');
  }
  if (message.type === 'DataRequest' && message.from !== agreement.person)
    throw err('from', 'only the person of the agreement asks for her data', 'wrong-party');
  if (message.type === 'RetentionPurge') {
    if (message.from !== agreement.organisation)
      throw err('from', 'only the organisation of the agreement purges what it holds', 'wrong-party');
    if (agreement.retentionDays === null || message.retentionDays !== agreement.retentionDays)
      throw err('retentionDays', 'is not the retention the agreement set', 'retention');
    const fields = new Set(agreement.schema.fields.map((f) => f.name));
    message.fields.forEach((f, i) => {
      if (!fields.has(f)) throw err(`fields[${i}]`, 'is not a field of the agreement', 'unknown-field');
    });
  }
  if (message.type === 'PermissionChange') {
    const terms = resolveTermsRef(agreement.terms, 'agreement.terms');
    message.consents.forEach((c, i) => {
      if (c.granted && terms.permissions[c.purpose] === 'no') {
        throw err(
          `consents[${i}].purpose`,
          `${terms.code} does not permit ${c.purpose}; it cannot be granted`,
          'purpose',
        );
      }
    });
  }
}
