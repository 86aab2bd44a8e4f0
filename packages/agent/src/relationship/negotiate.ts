import {
  checkRetention,
  checkTermsAllow,
  concludeAgreement,
  findTerms,
  messageHash,
  proposeTerms,
  validateParleyMessage,
  verifyAgreement,
  verifyConsentReceipt,
  AgreementError,
  type InformationSharingAgreement,
  type Party,
  type Policy,
  type Purpose,
  type SignedMessage,
  type TermsAnswer,
  type TermsEntry,
  type TermsProposal,
} from '@parley/protocol';
import { Ed25519NoteVerifier, verifyLedgerReceipt, type LedgerReceipt } from '@parley/ledger';
import { withheldPurposes } from '../profile/policies.js';
import type { VendorIdentity } from '../vendor/identity.js';
import { VendorAnswerError } from '../vendor/identity.js';
import type { Preferences } from './state.js';

export interface ProposalChoice {
  /** Her terms that permit what is asked, in her order. */
  terms: TermsEntry[];
  purposes: Purpose[];
  fields: string[];
  /** Days the vendor may keep the data; null for as long as the relationship lasts. */
  retentionDays: number | null;
}

function chooseFields(vendor: VendorIdentity, onlyFields?: readonly string[]): string[] {
  const asked = vendor.request.schema.fields.map((f) => f.name);
  if (onlyFields) {
    const unknown = onlyFields.find((f) => !asked.includes(f));
    if (unknown !== undefined)
      throw new AgreementError(
        'fields',
        `${vendor.name} does not ask for "${unknown}"; it asks for ${asked.join(', ')}`,
      );
  }
  const fields = onlyFields ? asked.filter((f) => onlyFields.includes(f)) : asked;
  if (fields.length === 0) throw new AgreementError('fields', 'choose at least one field to share');
  return fields;
}

/**
 * What she proffers after taking an offer: the offer's terms alone (the vendor bound itself to them), for
 * the purposes those terms permit among those the vendor asks for (or, under "intent only", answering her
 * intent), and no longer than those terms allow.
 */
export function chooseOfferProposal(
  vendor: VendorIdentity,
  terms: TermsEntry,
  policies: readonly Policy[],
  onlyFields?: readonly string[],
): ProposalChoice {
  const withheld = withheldPurposes(policies);
  let purposes = vendor.request.purposes.filter((p) => !withheld.has(p) && terms.permissions[p] === 'yes');
  if (purposes.length === 0 && terms.permissions.IntentResponse === 'yes') purposes = ['IntentResponse'];
  if (purposes.length === 0)
    throw new AgreementError(
      'terms',
      `${terms.code} permits none of the purposes ${vendor.name} asks for`,
      'terms',
    );
  const asked = vendor.request.retentionDays;
  const max = terms.maxRetentionDays;
  const retentionDays = max === undefined ? asked : Math.min(asked ?? max, max);
  return { terms: [terms], purposes, fields: chooseFields(vendor, onlyFields), retentionDays };
}

/**
 * What she proffers to this vendor: the fields it asks for (or fewer, if she says so), the purposes it asks
 * for minus those her policies withhold, and those of her preferred terms that permit all of that.
 */
export function chooseProposal(
  vendor: VendorIdentity,
  preferences: Preferences,
  policies: readonly Policy[],
  onlyFields?: readonly string[],
): ProposalChoice {
  const withheld = withheldPurposes(policies);
  const purposes = vendor.request.purposes.filter((p) => !withheld.has(p));
  if (purposes.length === 0) {
    throw new AgreementError(
      'purposes',
      `your policies withhold every purpose ${vendor.name} asks for`,
      'policy',
    );
  }
  const fields = chooseFields(vendor, onlyFields);
  const terms: TermsEntry[] = [];
  for (const code of preferences.terms) {
    const entry = findTerms(code);
    if (!entry) continue;
    try {
      checkTermsAllow(entry, purposes, 'terms');
      checkRetention(entry, vendor.request.retentionDays, 'terms');
      terms.push(entry);
    } catch {
      // These terms do not permit what is asked: not proffered to this vendor.
    }
  }
  if (terms.length === 0) {
    throw new AgreementError(
      'preferences.terms',
      `none of your terms (${preferences.terms.join(', ')}) permit ${purposes.join(', ')}` +
        (vendor.request.retentionDays ? ` for ${vendor.request.retentionDays} days` : ''),
      'terms',
    );
  }
  return { terms: terms.slice(0, 10), purposes, fields, retentionDays: vendor.request.retentionDays };
}

export function proffer(
  me: Party,
  vendor: VendorIdentity,
  choice: ProposalChoice,
): SignedMessage<TermsProposal> {
  return proposeTerms({
    from: me,
    to: vendor.did,
    proposer: 'person',
    terms: choice.terms,
    schema: { fields: vendor.request.schema.fields.filter((f) => choice.fields.includes(f.name)) as never },
    purposes: choice.purposes,
    retentionDays: choice.retentionDays,
    onwardSharing: { allowed: false },
  });
}

export interface NegotiationOutcome {
  status: 'agreed' | 'countered' | 'refused';
  answer: SignedMessage<TermsAnswer>;
  agreement?: InformationSharingAgreement;
  consentReceipt?: string;
  ledger?: LedgerReceipt;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new VendorAnswerError(field, 'expected an object');
  return value as Record<string, unknown>;
}

/** Checks a receipt from the vendor's log: its signature by the pinned key, its proof, and what it records. */
export function verifyVendorReceipt(
  receipt: unknown,
  vendor: VendorIdentity,
  expect: Record<string, unknown>,
  field: string,
): LedgerReceipt {
  verifyLedgerReceipt(receipt, Ed25519NoteVerifier.fromVkey(vendor.ledger.vkey));
  const record = object((receipt as { record: unknown }).record, `${field}.record`);
  for (const [key, value] of Object.entries(expect)) {
    if (record[key] !== value)
      throw new VendorAnswerError(`${field}.record.${key}`, `expected ${String(value)}`);
  }
  return receipt as LedgerReceipt;
}

/**
 * Checks the vendor's answer to her proposal (or to her answer to its counter): every signature, that it
 * answers what she sent, and, when agreed, that the agreement is the one both sides compute from the
 * messages, with a consent receipt signed by the vendor and a ledger receipt that records it.
 */
export function checkOutcome(
  value: unknown,
  vendor: VendorIdentity,
  messages: SignedMessage[],
  last: SignedMessage,
): NegotiationOutcome {
  const body = object(value, 'answer');
  const status = body.status;
  if (status !== 'agreed' && status !== 'countered' && status !== 'refused')
    throw new VendorAnswerError('answer.status', 'expected agreed, countered or refused');
  let answer: SignedMessage<TermsAnswer>;
  if (last.type === 'TermsAnswer') {
    // She answered a counter: the outcome is settled by her own message; the vendor answers with it.
    answer = last as SignedMessage<TermsAnswer>;
  } else {
    answer = validateParleyMessage<TermsAnswer>(body.answer, { type: 'TermsAnswer' });
    if (answer.from !== vendor.did) throw new VendorAnswerError('answer.from', 'is not the vendor');
    if (answer.inReplyTo !== last.id || answer.replyHash !== messageHash(last))
      throw new VendorAnswerError('answer.inReplyTo', 'does not answer the proposal sent');
    const expected = { accept: 'agreed', counter: 'countered', reject: 'refused' }[answer.decision];
    if (expected !== status)
      throw new VendorAnswerError(
        'answer.status',
        `says ${status} but the signed answer is ${answer.decision}`,
      );
  }
  if (status !== 'agreed') return { status, answer };
  const all = last.type === 'TermsAnswer' ? messages : [...messages, answer];
  const computed = concludeAgreement(all);
  const agreement = verifyAgreement(body.agreement);
  if (agreement.id !== computed.id)
    throw new VendorAnswerError('agreement.id', 'is not the agreement of the messages exchanged');
  if (typeof body.consentReceipt !== 'string')
    throw new VendorAnswerError('consentReceipt', 'expected the compact JWS');
  const receipt = verifyConsentReceipt(body.consentReceipt, vendor.did);
  if (receipt.receipt.parley?.agreementId !== agreement.id)
    throw new VendorAnswerError('consentReceipt.parley.agreementId', 'names another agreement');
  const ledger = verifyVendorReceipt(
    body.ledger,
    vendor,
    { type: 'agreement', agreementId: agreement.id },
    'ledger',
  );
  return { status, answer, agreement, consentReceipt: body.consentReceipt, ledger };
}
