import { JlincError } from '../errors.js';
import type { Party } from '../identity/party.js';
import type { Clock } from './primitives.js';
import type { ValidatedSisa } from './sisa.js';
import {
  acknowledgeEvent,
  createEvent,
  SISA_EVENTS,
  validateAcknowledgedEvent,
  validateEvent,
  type JlincEvent,
  type ValidateAckOptions,
  type ValidatedEvent,
} from './event.js';

export type SisaEventType = 'dataEvent' | 'permissionEvent' | 'statusEvent';

/** The rights holder signs an event under a SISA; `previousId` is the eventId of the last one (null first). */
export function createSisaEvent(
  sisa: { sisaId: string },
  rightsHolder: Party,
  eventType: SisaEventType,
  payload: object,
  previousId: string | null,
  clock: Clock = {},
): JlincEvent {
  return createEvent({
    family: SISA_EVENTS,
    agreementId: sisa.sisaId,
    signer: rightsHolder,
    eventType,
    payload,
    previousId,
    clock,
  });
}

export interface SisaContext extends Clock {
  /** The SISA the event claims to belong to; when given, its id and rights holder must match. */
  sisa?: ValidatedSisa;
}

export function validateSisaEvent(value: unknown, context: SisaContext = {}): ValidatedEvent {
  const event = validateEvent(SISA_EVENTS, value, context);
  checkAgainstSisa(event, context.sisa);
  return event;
}

export interface AcknowledgeContext extends SisaContext {
  /** The result of validateSisaEvent on this event, when the caller has just run it: saves a second check. */
  validated?: ValidatedEvent;
}

export function acknowledgeSisaEvent(
  event: JlincEvent,
  custodian: Party,
  context: AcknowledgeContext = {},
): JlincEvent {
  if (context.sisa && context.sisa.custodianDid !== custodian.did) {
    throw new JlincError('audit.dataCustodianDid', 'is not the custodian of this SISA', 'wrong-party');
  }
  const validated = context.validated ?? validateEvent(SISA_EVENTS, event, context);
  checkAgainstSisa(validated, context.sisa);
  return acknowledgeEvent(SISA_EVENTS, event, custodian, context, validated);
}

export function validateAcknowledgedSisaEvent(
  value: unknown,
  context: SisaContext & ValidateAckOptions = {},
) {
  const ack = validateAcknowledgedEvent(SISA_EVENTS, value, context);
  checkAgainstSisa(ack, context.sisa);
  if (context.sisa && ack.acknowledgerDid !== context.sisa.custodianDid) {
    throw new JlincError('audit.dataCustodianDid', 'is not the custodian of this SISA', 'wrong-party');
  }
  return ack;
}

function checkAgainstSisa(event: ValidatedEvent, sisa: ValidatedSisa | undefined): void {
  if (!sisa) return;
  if (event.agreementId !== sisa.sisaId)
    throw new JlincError('audit.sisaId', 'does not match the SISA', 'wrong-agreement');
  if (event.signerDid !== sisa.rightsHolderDid) {
    throw new JlincError('audit.rightsHolderDid', 'is not the rights holder of this SISA', 'wrong-party');
  }
}
