import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgreementError } from '@parley/protocol';
import { chooseProposal } from './negotiate.js';
import { policyConsents } from '../profile/policies.js';
import type { VendorIdentity } from '../vendor/identity.js';

const vendor = (purposes: VendorIdentity['request']['purposes'], retentionDays: number | null = null) =>
  ({
    did: 'did:jlinc:AOSQ1BLfwSwdB4Eh0MDGrs6lN7G26nbQoPUEHa17BPc',
    name: 'Shop',
    controller: {},
    policy: { accepts: ['SD-BASE'] },
    request: {
      schema: {
        fields: [
          { name: 'email', type: 'email', sensitivity: 'normal', required: true },
          { name: 'postalAddress', type: 'postal-address', sensitivity: 'normal' },
        ],
      },
      purposes,
      retentionDays,
    },
    publications: [],
    ledger: { origin: 'x', vkey: 'y' },
  }) as VendorIdentity;

test('she proffers only those of her terms that permit what the vendor asks, in her order', () => {
  const choice = chooseProposal(
    vendor(['ServiceDelivery', 'ServiceAnalytics']),
    { terms: ['SD-BASE', 'SD-BASE-A', 'SD-BASE-A-DP'], acceptCounters: [] },
    [],
  );
  assert.deepEqual(
    choice.terms.map((t) => t.code),
    ['SD-BASE-A', 'SD-BASE-A-DP'],
  );
  assert.deepEqual(choice.fields, ['email', 'postalAddress']);
  assert.throws(
    () =>
      chooseProposal(
        vendor(['ServiceDelivery', 'Marketing']),
        { terms: ['SD-BASE'], acceptCounters: [] },
        [],
      ),
    (e: unknown) => e instanceof AgreementError && e.field === 'preferences.terms',
  );
});

test('her policies withhold purposes before anything is proffered; she may share fewer fields', () => {
  const choice = chooseProposal(
    vendor(['ServiceDelivery', 'Tracking']),
    { terms: ['SD-BASE'], acceptCounters: [] },
    ['DoNotTrack'],
    ['email'],
  );
  assert.deepEqual(choice.purposes, ['ServiceDelivery']);
  assert.deepEqual(choice.fields, ['email']);
  assert.throws(
    () => chooseProposal(vendor(['Tracking']), { terms: ['SD-BASE'], acceptCounters: [] }, ['DoNotTrack']),
    (e: unknown) => e instanceof AgreementError && e.field === 'purposes',
  );
  assert.throws(
    () =>
      chooseProposal(
        vendor(['ServiceDelivery']),
        { terms: ['SD-BASE'], acceptCounters: [] },
        [],
        ['shoeSize'],
      ),
    (e: unknown) => e instanceof AgreementError && e.field === 'fields',
  );
  assert.deepEqual(policyConsents(['DoNotTrack', 'NoThirdPartyMail', 'SurveysWithAnswerBack']), [
    { purpose: 'Profiling', granted: false },
    { purpose: 'ThirdPartySharing', granted: false },
    { purpose: 'Tracking', granted: false },
  ]);
});
