import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgreementError } from '../errors.js';
import { Party } from '../identity/party.js';
import {
  confirmOnwardWithdrawal,
  validateOnwardPayload,
  verifyOnwardWithdrawalConfirmation,
} from './onward.js';
import { findTerms, termsRef } from './roster.js';

const s3p = findTerms('SD-BASE-ATP-S3P');
assert.ok(s3p);
const SHARE = {
  type: 'OnwardShare',
  shareId: 'urn:uuid:0b7c8a4e-9d1f-4c1e-8f57-3b1b1a0c2d3e',
  agreementId: 'urn:parley:agreement:abc',
  terms: termsRef(s3p),
  purposes: ['ServiceAnalytics'],
  retentionDays: 30,
  fields: { interests: 'cycling' },
};

function refused(value: unknown, field: string) {
  assert.throws(
    () => validateOnwardPayload(value),
    (e: unknown) => e instanceof AgreementError && e.field === field,
    field,
  );
}

test('onward payloads: a share and a withdrawal pass; each fault is named', () => {
  assert.equal(validateOnwardPayload(SHARE).type, 'OnwardShare');
  const withdrawal = { type: 'OnwardWithdrawal', shareId: SHARE.shareId, reason: 'terminated' };
  assert.equal(validateOnwardPayload(withdrawal).type, 'OnwardWithdrawal');
  refused({ ...SHARE, type: 'Other' }, 'payload.type');
  refused({ ...SHARE, shareId: 'x' }, 'payload.shareId');
  refused({ ...SHARE, terms: { ...SHARE.terms, sha256: '0'.repeat(64) } }, 'payload.terms.sha256');
  refused({ ...SHARE, purposes: ['Spying'] }, 'payload.purposes[0]');
  refused({ ...SHARE, retentionDays: 0 }, 'payload.retentionDays');
  refused({ ...SHARE, fields: {} }, 'payload.fields');
  refused({ ...SHARE, fields: { 'bad name': 1 } }, 'payload.fields.bad name');
  refused({ ...SHARE, extra: 1 }, 'payload.extra');
  refused({ ...withdrawal, reason: 'x'.repeat(501) }, 'payload.reason');
});

test('withdrawal confirmations: signed by the recipient, bound to the BISA, share and event', () => {
  const recipient = Party.generate('recipient');
  const expected = { bisaId: 'b'.repeat(43), shareId: SHARE.shareId, eventId: 'e'.repeat(43) };
  const confirmation = confirmOnwardWithdrawal(
    { ...expected, removed: 2, confirmedAt: new Date().toISOString() },
    recipient,
  );
  const ok = verifyOnwardWithdrawalConfirmation(confirmation, { ...expected, recipientDid: recipient.did });
  assert.equal(ok.removed, 2);
  const check = (value: unknown, field: string, recipientDid = recipient.did) =>
    assert.throws(
      () => verifyOnwardWithdrawalConfirmation(value, { ...expected, recipientDid }),
      (e: unknown) => e instanceof AgreementError && e.field === field,
      field,
    );
  check({ ...confirmation, removed: 0 }, 'confirmation.signature');
  check({ ...confirmation, shareId: 'urn:uuid:other' }, 'confirmation.shareId');
  check(confirmation, 'confirmation.confirmer', Party.generate().did);
  const forger = Party.generate('forger');
  const forged = confirmOnwardWithdrawal(
    { ...expected, removed: 2, confirmedAt: confirmation.confirmedAt },
    forger,
  );
  check({ ...forged, confirmer: recipient.did }, 'confirmation.signature');
});
