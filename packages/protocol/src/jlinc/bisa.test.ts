import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Party } from '../identity/party.js';
import { JlincError } from '../errors.js';
import {
  acceptBisaOffering,
  acknowledgeBisaEvent,
  createBisaEvent,
  createBisaOffering,
  validateAcknowledgedBisaEvent,
  validateBisa,
  validateBisaEvent,
  validateBisaOffering,
} from './bisa.js';
import { validateJlincMessage } from './detect.js';

const TERMS = 'https://w3id.org/dpv/standards/p7012#SD-BASE-ATP-S3P';

test('BISA: offer to a named target, accept, events from either side acknowledged by the other', () => {
  const a = Party.generate('custodian A');
  const b = Party.generate('custodian B');
  const offering = createBisaOffering(a, b.did, TERMS);
  assert.equal(validateBisaOffering(offering).targetAcceptorDid, b.did);
  assert.throws(
    () => acceptBisaOffering(offering, Party.generate()),
    (e: unknown) => e instanceof JlincError,
  );
  const bisa = acceptBisaOffering(offering, b);
  const validated = validateBisa(bisa);
  assert.equal(validated.offerorDid, a.did);
  assert.equal(validated.acceptorDid, b.did);

  const e1 = createBisaEvent(bisa, a, { canShowRelationshipPublicly: true }, null);
  validateBisaEvent(e1, { bisa: validated });
  const ack1 = acknowledgeBisaEvent(e1, b, { bisa: validated });
  validateAcknowledgedBisaEvent(ack1, { bisa: validated });
  assert.equal(validateJlincMessage(ack1).type, 'acknowledgedBisaEvent');
  // The initiator cannot acknowledge its own event.
  assert.throws(
    () => acknowledgeBisaEvent(e1, a),
    (e: unknown) => e instanceof JlincError && e.field === 'audit.acceptorDid',
  );
  const e2 = createBisaEvent(bisa, b, { withdrawn: ['email'] }, e1.audit.eventId as string);
  validateAcknowledgedBisaEvent(acknowledgeBisaEvent(e2, a, { bisa: validated }), { bisa: validated });
  // A third custodian is not a party.
  const c = Party.generate();
  const e3 = createBisaEvent(bisa, c, {}, null);
  assert.throws(
    () => validateBisaEvent(e3, { bisa: validated }),
    (e: unknown) => e instanceof JlincError && e.field === 'audit.initiatorDid',
  );
});

test('BISA offering id must equal the agreement jlincId', () => {
  const a = Party.generate();
  const offering = createBisaOffering(a, Party.generate().did, TERMS);
  assert.throws(
    () => validateBisaOffering({ ...offering, id: '0'.repeat(64) }),
    (e: unknown) => e instanceof JlincError && e.field === 'id',
  );
});
