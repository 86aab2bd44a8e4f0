import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Party } from '../identity/party.js';
import { ReceiptError } from '../errors.js';
import { encodeBase64url } from '../encoding/base64url.js';
import { answer, changePermissions, concludeAgreement, proposeTerms } from '../parley/negotiation.js';
import {
  issueConsentReceipt,
  validateConsentReceipt,
  verifyConsentReceipt,
  type PiiController,
} from './consent-receipt.js';

const controller: PiiController = {
  piiController: 'Example Telco Ltd',
  contact: 'Data Protection Officer',
  address: { streetAddress: '1 Main Street', addressLocality: 'Springfield', addressCountry: 'GB' },
  email: 'dpo@telco.example',
  phone: '+44 20 7946 0000',
  piiControllerUrl: 'https://telco.example',
};

function agreed() {
  const person = Party.generate().pairwise('telco');
  const vendor = Party.generate('telco');
  const proposal = proposeTerms({
    from: person,
    to: vendor.did,
    proposer: 'person',
    terms: ['SD-BASE-A'],
    schema: {
      fields: [
        { name: 'email', type: 'email', sensitivity: 'normal' },
        { name: 'health', type: 'string', sensitivity: 'special-category' },
      ],
    },
    purposes: ['ServiceDelivery', 'ServiceAnalytics'],
    retentionDays: 365,
  });
  const agreement = concludeAgreement([proposal, answer(proposal, vendor, { decision: 'accept' })]);
  return { person, vendor, agreement };
}

const REQUIRED = [
  'version',
  'jurisdiction',
  'consentTimestamp',
  'collectionMethod',
  'consentReceiptID',
  'piiPrincipalId',
  'piiControllers',
  'policyUrl',
  'services',
  'sensitive',
];

test('an acceptance receipt carries every KI-CR-v1.1.0 required field and verifies offline', () => {
  const { person, vendor, agreement } = agreed();
  const jws = issueConsentReceipt(
    { agreement, controller, jurisdiction: 'GB', service: 'Mobile service' },
    vendor,
  );
  const { receipt, signer } = verifyConsentReceipt(jws, vendor.did);
  assert.equal(signer, vendor.did);
  for (const key of REQUIRED) assert.ok(key in receipt, key);
  assert.equal(receipt.version, 'KI-CR-v1.1.0');
  assert.equal(receipt.piiPrincipalId, person.did);
  assert.equal(receipt.sensitive, true);
  assert.deepEqual(receipt.spiCat, ['health']);
  const purpose = receipt.services[0]?.purposes[0];
  for (const key of [
    'purpose',
    'purposeCategory',
    'consentType',
    'piiCategory',
    'termination',
    'thirdPartyDisclosure',
  ]) {
    assert.ok(purpose && key in purpose, key);
  }
  assert.equal(receipt.parley.event, 'acceptance');
  assert.throws(() => verifyConsentReceipt(jws, person.did), ReceiptError);
});

test('a permission change gets its own receipt, with withdrawn purposes marked', () => {
  const { person, vendor, agreement } = agreed();
  const change = changePermissions(agreement, person, {
    consents: [{ purpose: 'ServiceAnalytics', granted: false }],
    channels: [],
  });
  const jws = issueConsentReceipt(
    { agreement, controller, jurisdiction: 'GB', service: 'Mobile service', permissionChange: change },
    vendor,
  );
  const { receipt } = verifyConsentReceipt(jws);
  assert.equal(receipt.parley.event, 'permission-change');
  const types = Object.fromEntries(
    receipt.services[0]?.purposes.map((p) => [p.purposeCategory[0], p.consentType]) ?? [],
  );
  assert.equal(types['https://w3id.org/dpv#ServiceAnalytics'], 'WITHDRAWN');
  assert.equal(types['https://w3id.org/dpv#ServiceProvision'], 'EXPLICIT');
});

test('a receipt whose payload, signature or key was altered is refused, naming the field', () => {
  const { vendor, agreement } = agreed();
  const jws = issueConsentReceipt(
    { agreement, controller, jurisdiction: 'GB', service: 'Mobile service' },
    vendor,
  );
  const [h, p, s] = jws.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const swapped = encodeBase64url(Buffer.from(JSON.stringify({ ...payload, jurisdiction: 'US' })));
  assert.throws(
    () => verifyConsentReceipt(`${h}.${swapped}.${s}`),
    (e: unknown) => e instanceof ReceiptError && e.field === 'receipt.signature',
  );
  const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
  assert.throws(() => verifyConsentReceipt(`${h}.${p}.${flipped}`), ReceiptError);
  // A compact JWS has no whitespace: the library is strict (the CLI trims the file it reads).
  assert.throws(() => verifyConsentReceipt(`\n${jws}`), ReceiptError);
  assert.throws(() => verifyConsentReceipt(`${jws} `), ReceiptError);
  assert.throws(() => verifyConsentReceipt(`${h}.${p}`), ReceiptError);
});

test('validation names each missing required field', () => {
  const { vendor, agreement } = agreed();
  const jws = issueConsentReceipt(
    { agreement, controller, jurisdiction: 'GB', service: 'Mobile service' },
    vendor,
  );
  const receipt = verifyConsentReceipt(jws).receipt as unknown as Record<string, unknown>;
  for (const key of REQUIRED) {
    const { [key]: _dropped, ...rest } = receipt;
    assert.throws(
      () => validateConsentReceipt(rest),
      (e: unknown) => e instanceof ReceiptError && e.field.startsWith(key),
      key,
    );
  }
  const services = receipt.services as { purposes: Record<string, unknown>[] }[];
  const purpose = services[0]?.purposes[0] as Record<string, unknown>;
  const { thirdPartyDisclosure: _t, ...noDisclosure } = purpose;
  const broken = { ...receipt, services: [{ ...services[0], purposes: [noDisclosure] }] };
  assert.throws(
    () => validateConsentReceipt(broken),
    (e: unknown) => e instanceof ReceiptError && e.field === 'services[0].purposes[0].thirdPartyDisclosure',
  );
});
