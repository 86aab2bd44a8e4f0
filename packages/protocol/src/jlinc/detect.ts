import { JlincError } from '../errors.js';
import { validateBisa, validateBisaOffering } from './bisa.js';
import {
  validateAcknowledgedEvent,
  validateEvent,
  BISA_EVENTS,
  SISA_EVENTS,
  type ValidatedEvent,
} from './event.js';
import type { Clock } from './primitives.js';
import { validateSisa, validateSisaOffering } from './sisa.js';

export type JlincMessageType =
  | 'sisaOffering'
  | 'sisa'
  | 'sisaEvent'
  | 'acknowledgedSisaEvent'
  | 'bisaOffering'
  | 'bisa'
  | 'bisaEvent'
  | 'acknowledgedBisaEvent';

/** Names a JLINC message by its shape (its distinguishing members), without validating it. */
export function detectJlincType(value: unknown): JlincMessageType {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JlincError('message', 'expected a JSON object', 'type');
  }
  const m = value as Record<string, unknown>;
  if ('offeredSisa' in m) return 'sisaOffering';
  if ('offeredBisa' in m) return 'bisaOffering';
  if ('acceptedSisaJwt' in m) return 'sisa';
  if ('acceptedBisaJwt' in m) return 'bisa';
  const audit = m.audit;
  if (typeof audit === 'object' && audit !== null && !Array.isArray(audit)) {
    const a = audit as Record<string, unknown>;
    if ('sisaId' in a) return 'dataCustodianSig' in a ? 'acknowledgedSisaEvent' : 'sisaEvent';
    if ('bisaId' in a) return 'acceptorSig' in a ? 'acknowledgedBisaEvent' : 'bisaEvent';
    throw new JlincError('audit', 'has neither sisaId nor bisaId', 'shape');
  }
  throw new JlincError(
    'message',
    'is not a JLINC message (no offeredSisa, acceptedSisaJwt or audit member)',
    'shape',
  );
}

export interface ValidatedMessage {
  type: JlincMessageType;
  /** Set for events and acknowledged events. */
  event?: ValidatedEvent;
}

/** Detects the type of a JLINC message and validates it on its own (no chain or agreement context). */
export function validateJlincMessage(value: unknown, clock: Clock = {}): ValidatedMessage {
  const type = detectJlincType(value);
  switch (type) {
    case 'sisaOffering':
      validateSisaOffering(value, clock);
      return { type };
    case 'bisaOffering':
      validateBisaOffering(value, clock);
      return { type };
    case 'sisa':
      validateSisa(value, clock);
      return { type };
    case 'bisa':
      validateBisa(value, clock);
      return { type };
    case 'sisaEvent':
      return { type, event: validateEvent(SISA_EVENTS, value, clock) };
    case 'bisaEvent':
      return { type, event: validateEvent(BISA_EVENTS, value, clock) };
    case 'acknowledgedSisaEvent':
      return { type, event: validateAcknowledgedEvent(SISA_EVENTS, value, clock) };
    case 'acknowledgedBisaEvent':
      return { type, event: validateAcknowledgedEvent(BISA_EVENTS, value, clock) };
  }
}
