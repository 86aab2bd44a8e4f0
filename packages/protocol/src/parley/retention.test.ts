import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Party } from '../identity/party.js';
import { AgreementError, ProofError } from '../errors.js';
import { validateParleyMessage, type DataSchema, type RetentionPurge } from './messages.js';
import {
  answer,
  checkAgainstAgreement,
  concludeAgreement,
  proposeTerms,
  purgeReceipt,
  requestData,
} from './negotiation.js';

const schema: DataSchema = {
  fields: [
    { name: 'email', type: 'email', sensitivity: 'normal' },
    { name: 'postalAddress', type: 'postal-address', sensitivity: 'normal' },
  ],
};
const EVENT = 'a'.repeat(43);
const DAY = 86_400_000;

function agreed(retentionDays: number | null, terms = '2P-30D') {
  const person = Party.generate().pairwise('shop.example');
  const vendor = Party.generate('shop');
  const proposal = proposeTerms({
    from: person,
    to: vendor.did,
    proposer: 'person',
    terms: [terms],
    schema,
    purposes: ['ServiceDelivery'],
    retentionDays,
  });
  const accepted = answer(proposal, vendor, { decision: 'accept' });
  return { person, vendor, agreement: concludeAgreement([proposal, accepted]) };
}

test('a retention purge receipt is signed by the organisation, names events and fields, and binds the retention', () => {
  const { person, vendor, agreement } = agreed(30);
  const dueAt = new Date(Date.now() - DAY).toISOString();
  const receipt = purgeReceipt(agreement, vendor, {
    dueAt,
    eventIds: [EVENT],
    fields: ['email'],
    summary: 'Deleted 1 field (email) received in 1 data event.',
  });
  const checked = validateParleyMessage<RetentionPurge>(JSON.parse(JSON.stringify(receipt)), {
    type: 'RetentionPurge',
  });
  checkAgainstAgreement(checked, agreement);
  assert.equal(checked.retentionDays, 30);
  assert.equal(checked.to, person.did);

  // Tampering breaks the proof; the person cannot issue one; fields outside the schema are refused.
  assert.throws(
    () => validateParleyMessage({ ...receipt, fields: ['postalAddress'] }),
    (e: unknown) => e instanceof ProofError,
  );
  assert.throws(
    () => purgeReceipt(agreement, person, { dueAt, eventIds: [EVENT], fields: ['email'], summary: 'x' }),
    (e: unknown) => e instanceof AgreementError && e.field === 'from',
  );
  assert.throws(
    () => purgeReceipt(agreement, vendor, { dueAt, eventIds: [EVENT], fields: ['phone'], summary: 'x' }),
    (e: unknown) => e instanceof AgreementError && e.field === 'fields[0]',
  );
  // Nothing is purged before it is due, and a purge names events by their JLINC ids.
  assert.throws(
    () =>
      purgeReceipt(agreement, vendor, {
        dueAt: new Date(Date.now() + DAY).toISOString(),
        eventIds: [EVENT],
        fields: ['email'],
        summary: 'x',
      }),
    (e: unknown) => e instanceof AgreementError && e.field === 'dueAt',
  );
  assert.throws(
    () => purgeReceipt(agreement, vendor, { dueAt, eventIds: ['nope'], fields: ['email'], summary: 'x' }),
    (e: unknown) => e instanceof AgreementError && e.field === 'eventIds[0]',
  );
  // A receipt claiming another retention than the agreement's does not check against it.
  const other = agreed(20).agreement;
  assert.throws(
    () => checkAgainstAgreement(checked, { ...other, id: agreement.id }),
    (e: unknown) => e instanceof AgreementError && (e.field === 'retentionDays' || e.field === 'from'),
  );
});

test('an agreement without a retention period has no purge receipts; notices are asked for as JSON', () => {
  const { person, vendor, agreement } = agreed(null, 'SD-BASE');
  assert.throws(
    () =>
      purgeReceipt(agreement, vendor, {
        dueAt: new Date().toISOString(),
        eventIds: [EVENT],
        fields: ['email'],
        summary: 'x',
      }),
    (e: unknown) => e instanceof AgreementError,
  );
  assert.equal(requestData(agreement, person, ['notices']).include[0], 'notices');
  assert.throws(
    () => requestData(agreement, person, ['notices'], 'csv'),
    (e: unknown) => e instanceof AgreementError && e.field === 'include',
  );
});
