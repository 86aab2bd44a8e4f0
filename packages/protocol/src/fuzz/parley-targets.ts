import { Party } from '../identity/party.js';
import { parseStrictJson } from '../json/strict-parse.js';
import { validateParleyMessage } from '../parley/messages.js';
import {
  agreementStatus,
  answer,
  answerByPolicy,
  changePermissions,
  concludeAgreement,
  confirmTermination,
  proposeTerms,
  terminateAgreement,
  verifyAgreement,
} from '../parley/negotiation.js';
import { issueConsentReceipt, verifyConsentReceipt } from '../receipt/consent-receipt.js';
import { jsonTarget, type FuzzTarget } from './targets.js';

/** Fresh, valid Parley messages: a proffer, a counter-offer, its acceptance, and what follows agreement. */
function buildParleyWorld() {
  const person = Party.generate().pairwise('telco.example');
  const vendor = Party.generate('telco');
  const proposal = proposeTerms({
    from: person,
    to: vendor.did,
    proposer: 'person',
    terms: ['SD-BASE', 'P2B1'],
    schema: {
      fields: [
        { name: 'email', type: 'email', sensitivity: 'normal', required: true },
        { name: 'health', type: 'string', sensitivity: 'special-category', description: 'Allergies' },
      ],
    },
    purposes: ['ServiceDelivery'],
    retentionDays: 365,
  });
  const counter = answerByPolicy(proposal, vendor, {
    accepts: ['SD-BASE-A'],
    counter: 'SD-BASE-A',
    purposes: ['ServiceAnalytics'],
  });
  const acceptance = answer(counter, person, { decision: 'accept' });
  const agreement = concludeAgreement([proposal, counter, acceptance]);
  const change = changePermissions(agreement, person, {
    consents: [{ purpose: 'ServiceAnalytics', granted: false }],
    channels: [{ channel: 'email', allowed: true }],
  });
  const termination = terminateAgreement(agreement, person, 'return', 'Moving abroad');
  const controller = {
    piiController: 'Example Telco Ltd',
    contact: 'DPO',
    address: '1 Main Street, Springfield',
    email: 'dpo@telco.example',
    phone: '+44 20 7946 0000',
  };
  return {
    messages: [
      proposal,
      counter,
      acceptance,
      change,
      termination,
      confirmTermination(agreement, termination, vendor, 'Returned email and health (1 record)'),
      agreementStatus(agreement, vendor, 'AgreementActive', 'Provisioned'),
    ],
    agreement,
    receipts: [
      issueConsentReceipt({ agreement, controller, jurisdiction: 'GB', service: 'Mobile' }, vendor),
      issueConsentReceipt(
        { agreement, controller, jurisdiction: 'GB', service: 'Mobile', permissionChange: change },
        vendor,
      ),
    ],
  };
}

let world: ReturnType<typeof buildParleyWorld> | undefined;
const parleyWorld = () => (world ??= buildParleyWorld());

export const PARLEY_FUZZ_TARGETS: FuzzTarget[] = [
  jsonTarget(
    'parleyMessage',
    () => parleyWorld().messages,
    (text) => validateParleyMessage(parseStrictJson(text)),
  ),
  jsonTarget(
    'informationSharingAgreement',
    () => [parleyWorld().agreement],
    (text) => verifyAgreement(parseStrictJson(text)),
  ),
  // A receipt is a compact JWS: sent as a JSON string, so every mutation lands inside what is signed.
  jsonTarget(
    'consentReceipt',
    () => parleyWorld().receipts,
    (text) => verifyConsentReceipt(parseStrictJson(text)),
  ),
];
