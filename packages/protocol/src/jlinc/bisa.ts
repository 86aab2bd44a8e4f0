import { JlincError } from '../errors.js';
import { createHs256Jwt } from '../jwt/jws.js';
import type { Party } from '../identity/party.js';
import {
  checkTimestamp,
  createHash,
  JLINC_CONTEXT,
  publicKeyOf,
  SIG_TYPE,
  signItem,
  timestamp,
  verifyItem,
  type Clock,
} from './primitives.js';
import { checkContext, checkSigType, exactObject, join, stringField } from './shape.js';
import { checkAgreementPayload, createJlincId, decodeJlincJwt } from './sisa.js';
import {
  acknowledgeEvent,
  BISA_EVENTS,
  createEvent,
  validateAcknowledgedEvent,
  validateEvent,
  type JlincEvent,
  type ValidateAckOptions,
  type ValidatedEvent,
} from './event.js';

/**
 * BISA: a custodian-to-custodian agreement for onward sharing. Same pattern as the SISA; the agreement names
 * its one `targetAcceptorDid`, the offering carries the `id`, and both parties may initiate events.
 */
export interface OfferedBisa {
  '@context': string;
  agreementJwt: string;
  offerorSigType: string;
  offerorDid: string;
  offerorPublicKey: string;
  offerorSig: string;
  createdAt: string;
}

export interface BisaOffering {
  '@context': string;
  id: string;
  offeredBisa: OfferedBisa;
}

export interface Bisa {
  '@context': string;
  acceptedBisaJwt: string;
  bisaId: string;
}

export interface ValidatedBisaOffering {
  jlincId: string;
  agreementURI: string;
  offerorDid: string;
  targetAcceptorDid: string;
}

export interface ValidatedBisa extends ValidatedBisaOffering {
  bisaId: string;
  acceptorDid: string;
}

const OFFERED_BISA_KEYS = [
  '@context',
  'agreementJwt',
  'offerorSigType',
  'offerorDid',
  'offerorPublicKey',
  'offerorSig',
  'createdAt',
];

export function createBisaOffering(
  offeror: Party,
  targetAcceptorDid: string,
  agreementURI: string,
  clock: Clock = {},
): BisaOffering {
  const jlincId = createJlincId();
  const agreement = { '@context': JLINC_CONTEXT, jlincId, agreementURI, targetAcceptorDid };
  checkAgreementPayload(agreement, 'agreement', ['targetAcceptorDid']);
  const agreementJwt = createHs256Jwt(agreement, offeror.exportSecret());
  return {
    '@context': JLINC_CONTEXT,
    id: jlincId,
    offeredBisa: {
      '@context': JLINC_CONTEXT,
      agreementJwt,
      offerorSigType: SIG_TYPE,
      offerorDid: offeror.did,
      offerorPublicKey: offeror.publicKey,
      offerorSig: signItem(agreementJwt, offeror.key),
      createdAt: timestamp(clock),
    },
  };
}

function validateOfferedBisa(value: unknown, field: string, clock: Clock): ValidatedBisaOffering {
  const offered = exactObject(value, field, OFFERED_BISA_KEYS);
  checkContext(offered, field);
  const jwt = decodeJlincJwt(offered.agreementJwt, join(field, 'agreementJwt'));
  const payloadField = join(field, 'agreementJwt.payload');
  checkAgreementPayload(jwt.payload, payloadField, ['targetAcceptorDid']);
  const target = stringField(jwt.payload, 'targetAcceptorDid', payloadField);
  if (!/^did:jlinc:[A-Za-z0-9_-]{43}$/.test(target)) {
    throw new JlincError(join(payloadField, 'targetAcceptorDid'), 'expected a did:jlinc identifier', 'did');
  }
  checkSigType(offered, 'offerorSigType', field);
  const publicKey = publicKeyOf(
    offered.offerorDid,
    offered.offerorPublicKey,
    join(field, 'offerorDid'),
    join(field, 'offerorPublicKey'),
  );
  verifyItem(offered.agreementJwt as string, offered.offerorSig, publicKey, join(field, 'offerorSig'));
  checkTimestamp(offered.createdAt, join(field, 'createdAt'), clock);
  if (target === offered.offerorDid) {
    throw new JlincError(join(payloadField, 'targetAcceptorDid'), 'is the offeror itself', 'same-party');
  }
  return {
    jlincId: jwt.payload.jlincId as string,
    agreementURI: jwt.payload.agreementURI as string,
    offerorDid: offered.offerorDid as string,
    targetAcceptorDid: target,
  };
}

export function validateBisaOffering(value: unknown, clock: Clock = {}): ValidatedBisaOffering {
  const offering = exactObject(value, '', ['@context', 'id', 'offeredBisa']);
  checkContext(offering, '');
  const validated = validateOfferedBisa(offering.offeredBisa, 'offeredBisa', clock);
  if (offering.id !== validated.jlincId)
    throw new JlincError('id', 'does not equal the agreement jlincId', 'id');
  return validated;
}

/** Only the target named in the agreement may accept. */
export function acceptBisaOffering(offering: BisaOffering, acceptor: Party, clock: Clock = {}): Bisa {
  const validated = validateBisaOffering(offering, clock);
  if (validated.targetAcceptorDid !== acceptor.did) {
    throw new JlincError(
      'offeredBisa.agreementJwt.payload.targetAcceptorDid',
      'is not the accepting party',
      'wrong-party',
    );
  }
  const offeredBisaJwt = createHs256Jwt(offering.offeredBisa, acceptor.exportSecret());
  const accepted = {
    '@context': JLINC_CONTEXT,
    offeredBisaJwt,
    acceptorSigType: SIG_TYPE,
    acceptorDid: acceptor.did,
    acceptorPublicKey: acceptor.publicKey,
    acceptorSig: signItem(offeredBisaJwt, acceptor.key),
    createdAt: timestamp(clock),
  };
  const acceptedBisaJwt = createHs256Jwt(accepted, acceptor.exportSecret());
  return { '@context': JLINC_CONTEXT, acceptedBisaJwt, bisaId: createHash(acceptedBisaJwt) };
}

export function validateBisa(value: unknown, clock: Clock = {}): ValidatedBisa {
  const bisa = exactObject(value, '', ['@context', 'acceptedBisaJwt', 'bisaId']);
  checkContext(bisa, '');
  const jwt = decodeJlincJwt(bisa.acceptedBisaJwt, 'acceptedBisaJwt');
  if (bisa.bisaId !== createHash(bisa.acceptedBisaJwt as string)) {
    throw new JlincError('bisaId', 'does not equal createHash(acceptedBisaJwt)', 'bisa-id');
  }
  const field = 'acceptedBisaJwt.payload';
  const accepted = exactObject(jwt.payload, field, [
    '@context',
    'offeredBisaJwt',
    'acceptorSigType',
    'acceptorDid',
    'acceptorPublicKey',
    'acceptorSig',
    'createdAt',
  ]);
  checkContext(accepted, field);
  const offeredJwt = decodeJlincJwt(accepted.offeredBisaJwt, join(field, 'offeredBisaJwt'));
  const offering = validateOfferedBisa(offeredJwt.payload, join(field, 'offeredBisaJwt.payload'), clock);
  checkSigType(accepted, 'acceptorSigType', field);
  const publicKey = publicKeyOf(
    accepted.acceptorDid,
    accepted.acceptorPublicKey,
    join(field, 'acceptorDid'),
    join(field, 'acceptorPublicKey'),
  );
  verifyItem(accepted.offeredBisaJwt as string, accepted.acceptorSig, publicKey, join(field, 'acceptorSig'));
  checkTimestamp(accepted.createdAt, join(field, 'createdAt'), clock);
  if (accepted.acceptorDid !== offering.targetAcceptorDid) {
    throw new JlincError(
      join(field, 'acceptorDid'),
      'is not the targetAcceptorDid of the agreement',
      'wrong-party',
    );
  }
  return { ...offering, bisaId: bisa.bisaId as string, acceptorDid: accepted.acceptorDid as string };
}

export interface BisaContext extends Clock {
  bisa?: ValidatedBisa;
}

export function createBisaEvent(
  bisa: { bisaId: string },
  initiator: Party,
  payload: object,
  previousId: string | null,
  clock: Clock = {},
): JlincEvent {
  return createEvent({
    family: BISA_EVENTS,
    agreementId: bisa.bisaId,
    signer: initiator,
    eventType: 'permissionEvent',
    payload,
    previousId,
    clock,
  });
}

export function validateBisaEvent(value: unknown, context: BisaContext = {}): ValidatedEvent {
  const event = validateEvent(BISA_EVENTS, value, context);
  checkAgainstBisa(event, context.bisa);
  return event;
}

export function acknowledgeBisaEvent(
  event: JlincEvent,
  acceptor: Party,
  context: BisaContext = {},
): JlincEvent {
  const validated = validateEvent(BISA_EVENTS, event, context);
  checkAgainstBisa(validated, context.bisa);
  if (context.bisa && ![context.bisa.offerorDid, context.bisa.acceptorDid].includes(acceptor.did)) {
    throw new JlincError('audit.acceptorDid', 'is not a party to this BISA', 'wrong-party');
  }
  return acknowledgeEvent(BISA_EVENTS, event, acceptor, context, validated);
}

export function validateAcknowledgedBisaEvent(
  value: unknown,
  context: BisaContext & ValidateAckOptions = {},
) {
  const ack = validateAcknowledgedEvent(BISA_EVENTS, value, context);
  checkAgainstBisa(ack, context.bisa);
  if (context.bisa && ![context.bisa.offerorDid, context.bisa.acceptorDid].includes(ack.acknowledgerDid)) {
    throw new JlincError('audit.acceptorDid', 'is not a party to this BISA', 'wrong-party');
  }
  return ack;
}

function checkAgainstBisa(event: ValidatedEvent, bisa: ValidatedBisa | undefined): void {
  if (!bisa) return;
  if (event.agreementId !== bisa.bisaId)
    throw new JlincError('audit.bisaId', 'does not match the BISA', 'wrong-agreement');
  if (![bisa.offerorDid, bisa.acceptorDid].includes(event.signerDid)) {
    throw new JlincError('audit.initiatorDid', 'is not a party to this BISA', 'wrong-party');
  }
}
