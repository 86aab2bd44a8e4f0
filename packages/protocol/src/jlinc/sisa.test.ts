import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Party } from '../identity/party.js';
import { JlincError, ChainError, ProtocolError, EncodingError } from '../errors.js';
import {
  acceptSisaOffering,
  checkOfferIsOwn,
  createSisaOffering,
  validateSisa,
  validateSisaOffering,
} from './sisa.js';
import {
  acknowledgeSisaEvent,
  createSisaEvent,
  validateAcknowledgedSisaEvent,
  validateSisaEvent,
} from './sisa-event.js';
import { EventChain } from './chain.js';
import { detectJlincType, validateJlincMessage } from './detect.js';
import { createHs256Jwt } from '../jwt/jws.js';
import { computeEventId } from './event.js';
import { signHash } from './primitives.js';

const AGREEMENT = 'https://w3id.org/dpv/standards/p7012#SD-BASE';

function flow() {
  const custodian = Party.generate('vendor');
  const person = Party.generate('person').pairwise('vendor.example');
  const offering = createSisaOffering(custodian, AGREEMENT);
  const sisa = acceptSisaOffering(offering, person);
  return { custodian, person, offering, sisa, validated: validateSisa(sisa) };
}

/** Asserts that fn throws an error of `cls` whose field is `field`. */
function rejects(fn: () => unknown, cls: new (...a: never[]) => ProtocolError, field: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal((e as ProtocolError).field, field, (e as Error).message);
    assert.ok((e as Error).message.startsWith(field + ':'));
    return true;
  });
}

test('offering, SISA, event and acknowledgement round trip; the custodian recognises its own offer', () => {
  const { custodian, person, offering, sisa, validated } = flow();
  assert.equal(validateSisaOffering(offering).agreement.agreementURI, AGREEMENT);
  assert.equal(validated.custodianDid, custodian.did);
  assert.equal(validated.rightsHolderDid, person.did);
  checkOfferIsOwn(validated, custodian);
  rejects(() => checkOfferIsOwn(validated, Party.generate()), JlincError, 'offeredSisa.dataCustodianDid');

  const event = createSisaEvent(sisa, person, 'dataEvent', { email: 'a@example.com' }, null);
  const checked = validateSisaEvent(event, { sisa: validated });
  assert.deepEqual(checked.payload, { email: 'a@example.com' });
  const ack = acknowledgeSisaEvent(event, custodian, { sisa: validated });
  assert.equal(validateAcknowledgedSisaEvent(ack, { sisa: validated }).acknowledgerDid, custodian.did);
  assert.equal(validateAcknowledgedSisaEvent(ack, { knownEvent: event }).eventId, event.audit.eventId);
  for (const [message, type] of [
    [offering, 'sisaOffering'],
    [sisa, 'sisa'],
    [event, 'sisaEvent'],
    [ack, 'acknowledgedSisaEvent'],
  ] as const) {
    assert.equal(detectJlincType(message), type);
    assert.equal(validateJlincMessage(JSON.parse(JSON.stringify(message))).type, type);
  }
});

test('the rights holder cannot acknowledge its own event, and another custodian cannot acknowledge for the SISA', () => {
  const { person, sisa, validated } = flow();
  const event = createSisaEvent(sisa, person, 'statusEvent', { status: 'AgreementActive' }, null);
  rejects(() => acknowledgeSisaEvent(event, person), JlincError, 'audit.dataCustodianDid');
  rejects(
    () => acknowledgeSisaEvent(event, Party.generate(), { sisa: validated }),
    JlincError,
    'audit.dataCustodianDid',
  );
});

test('an acknowledgement that alters the event it acknowledges is refused, naming the field', () => {
  const { custodian, person, sisa } = flow();
  const event = createSisaEvent(sisa, person, 'dataEvent', { a: 1 }, null);
  const ack = acknowledgeSisaEvent(event, custodian);
  const altered = { ...ack, audit: { ...ack.audit, eventType: 'permissionEvent' } };
  rejects(() => validateAcknowledgedSisaEvent(altered, { knownEvent: event }), JlincError, 'audit.eventType');
  const badSig = { ...ack, audit: { ...ack.audit, dataCustodianSig: event.audit.rightsHolderSig } };
  rejects(() => validateAcknowledgedSisaEvent(badSig), JlincError, 'audit.dataCustodianSig');
});

test('tampered messages name the failing field', () => {
  const { person, offering, sisa } = flow();
  const o = offering.offeredSisa;
  rejects(
    () =>
      validateSisaOffering({ ...offering, '@context': 'https://protocol.jlinc.org/context/jlinc-v6.jsonld' }),
    JlincError,
    '@context',
  );
  rejects(
    () =>
      validateSisaOffering({
        ...offering,
        offeredSisa: {
          ...o,
          dataCustodianSig: o.dataCustodianSig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
        },
      }),
    JlincError,
    'offeredSisa.dataCustodianSig',
  );
  rejects(
    () =>
      validateSisaOffering({ ...offering, offeredSisa: { ...o, dataCustodianPublicKey: person.publicKey } }),
    JlincError,
    'offeredSisa.dataCustodianDid',
  );
  rejects(
    () => validateSisaOffering({ ...offering, offeredSisa: { ...o, createdAt: '2030-13-01T00:00:00.000Z' } }),
    JlincError,
    'offeredSisa.createdAt',
  );
  rejects(
    () =>
      validateSisaOffering({
        ...offering,
        offeredSisa: { ...o, createdAt: new Date(Date.now() + 5000).toISOString() },
      }),
    JlincError,
    'offeredSisa.createdAt',
  );
  rejects(
    () =>
      validateSisaOffering({ ...offering, offeredSisa: { ...o, dataCustodianSigType: 'sha512:ed25519' } }),
    JlincError,
    'offeredSisa.dataCustodianSigType',
  );
  rejects(
    () => validateSisaOffering({ ...offering, offeredSisa: { ...o, extra: 1 } }),
    JlincError,
    'offeredSisa.extra',
  );
  const { createdAt: _c, ...missing } = o;
  rejects(
    () => validateSisaOffering({ ...offering, offeredSisa: missing }),
    JlincError,
    'offeredSisa.createdAt',
  );
  rejects(
    () =>
      validateSisa({ ...sisa, sisaId: sisa.sisaId.slice(0, -1) + (sisa.sisaId.endsWith('A') ? 'B' : 'A') }),
    JlincError,
    'sisaId',
  );
  rejects(() => validateSisa({ ...sisa, acceptedSisaJwt: 'not-a-jwt' }), JlincError, 'acceptedSisaJwt');
});

test('an agreement JWT with a bad jlincId or a non-http URI is refused', () => {
  const custodian = Party.generate();
  rejects(
    () => createSisaOffering(custodian, 'ftp://example.com/terms'),
    JlincError,
    'agreement.agreementURI',
  );
  const agreementJwt = createHs256Jwt(
    {
      '@context': 'https://protocol.jlinc.org/context/jlinc-v7.jsonld',
      jlincId: 'ABC',
      agreementURI: AGREEMENT,
    },
    custodian.exportSecret(),
  );
  const offering = createSisaOffering(custodian, AGREEMENT);
  const forged = { ...offering, offeredSisa: { ...offering.offeredSisa, agreementJwt } };
  rejects(() => validateSisaOffering(forged), JlincError, 'offeredSisa.agreementJwt.payload.jlincId');
});

test('an event with an empty JWT signature segment is refused', () => {
  const { person, sisa } = flow();
  const event = createSisaEvent(sisa, person, 'dataEvent', { a: 1 }, null);
  const unsigned = event.eventJwt.split('.').slice(0, 2).join('.') + '.';
  const createdAt = event.audit.createdAt as string;
  const eventId = computeEventId(sisa.sisaId, unsigned, null, createdAt);
  const forged = {
    ...event,
    eventJwt: unsigned,
    audit: { ...event.audit, eventId, rightsHolderSig: signHash(eventId, person.key) },
  };
  rejects(() => validateSisaEvent(forged), JlincError, 'eventJwt');
});

test('event chains: in order accepted; replays and forks refused with a ChainError; nothing recorded on refusal', () => {
  const { person, sisa, validated } = flow();
  const chain = new EventChain();
  const e1 = createSisaEvent(sisa, person, 'dataEvent', { n: 1 }, null);
  const e2 = createSisaEvent(sisa, person, 'dataEvent', { n: 2 }, e1.audit.eventId as string);
  const e3 = createSisaEvent(sisa, person, 'permissionEvent', { n: 3 }, e2.audit.eventId as string);
  const forkAtStart = createSisaEvent(sisa, person, 'dataEvent', { n: 'x' }, null);
  const forkLater = createSisaEvent(sisa, person, 'dataEvent', { n: 'y' }, e1.audit.eventId as string);
  const accept = (e: unknown) => chain.append(validateSisaEvent(e, { sisa: validated }));
  accept(e1);
  accept(e2);
  assert.throws(
    () => accept(e2),
    (e: unknown) => e instanceof ChainError && e.code === 'replay',
  );
  assert.throws(
    () => accept(forkAtStart),
    (e: unknown) => e instanceof ChainError && e.code === 'fork',
  );
  assert.throws(
    () => accept(forkLater),
    (e: unknown) => e instanceof ChainError && e.code === 'fork',
  );
  assert.equal(chain.head(sisa.sisaId), e2.audit.eventId);
  accept(e3);
  assert.equal(chain.head(sisa.sisaId), e3.audit.eventId);
  // An event of another SISA whose previousId names this chain is refused too.
  const other = flow();
  const cross = createSisaEvent(other.sisa, other.person, 'dataEvent', {}, e3.audit.eventId as string);
  assert.throws(
    () => chain.append(validateSisaEvent(cross)),
    (e: unknown) => e instanceof ChainError && e.code === 'wrong-agreement',
  );
});

test('events of a SISA signed by someone else are refused with the SISA as context', () => {
  const { sisa, validated } = flow();
  const stranger = Party.generate();
  const event = createSisaEvent(sisa, stranger, 'dataEvent', {}, null);
  validateSisaEvent(event);
  rejects(() => validateSisaEvent(event, { sisa: validated }), JlincError, 'audit.rightsHolderDid');
});

test('strict base64url: padding and non-canonical trailing bits are refused', async () => {
  const { decodeBase64url } = await import('../encoding/base64url.js');
  assert.throws(() => decodeBase64url('AA==', 'x'), EncodingError);
  assert.throws(() => decodeBase64url('AB', 'x'), EncodingError);
  assert.throws(() => decodeBase64url('A+', 'x'), EncodingError);
  assert.deepEqual([...decodeBase64url('AA', 'x')], [0]);
});

test('pairwise identities are unlinkable across relationships and recoverable for one', () => {
  const master = Party.generate();
  const a = master.pairwise('vendor-a');
  const b = master.pairwise('vendor-b');
  assert.notEqual(a.did, b.did);
  assert.notEqual(a.did, master.did);
  assert.equal(master.pairwise('vendor-a').did, a.did);
  assert.equal(master.pairwise('vendor-a').exportSecret(), a.exportSecret());
  assert.notEqual(a.exportSecret(), b.exportSecret());
});

test('a long crafted agreementURI is refused at once (no regex backtracking), before any signature check', () => {
  const custodian = Party.generate();
  const offering = createSisaOffering(custodian, AGREEMENT);
  for (const uri of ['http://' + 'a'.repeat(40_000) + ' ', 'http://' + 'a'.repeat(1_000) + ' ']) {
    const agreementJwt = createHs256Jwt(
      {
        '@context': 'https://protocol.jlinc.org/context/jlinc-v7.jsonld',
        jlincId: 'a'.repeat(64),
        agreementURI: uri,
      },
      custodian.exportSecret(),
    );
    const forged = { ...offering, offeredSisa: { ...offering.offeredSisa, agreementJwt } };
    const start = process.hrtime.bigint();
    rejects(() => validateSisaOffering(forged), JlincError, 'offeredSisa.agreementJwt.payload.agreementURI');
    assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 50, 'took more than 50 ms');
  }
});
