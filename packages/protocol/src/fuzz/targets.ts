import { Party } from '../identity/party.js';
import { parseStrictJson } from '../json/strict-parse.js';
import {
  acknowledgeBisaEvent,
  acceptBisaOffering,
  createBisaEvent,
  createBisaOffering,
} from '../jlinc/bisa.js';
import { validateJlincMessage } from '../jlinc/detect.js';
import type { JlincEvent } from '../jlinc/event.js';
import { acknowledgeSisaEvent, createSisaEvent } from '../jlinc/sisa-event.js';
import { acceptSisaOffering, createSisaOffering } from '../jlinc/sisa.js';

/**
 * A fuzz target: valid message texts to mutate, and the receiver's check of one text. `validate` must throw
 * on anything invalid; the fuzz fails a case whose mutation it accepts, or where it throws anything but a
 * ProtocolError, or where it takes too long.
 */
export interface FuzzTarget {
  name: string;
  /** Valid message texts (each must pass `validate`). Called once per run. */
  seeds(): string[];
  validate(text: string): void;
  /**
   * Dotted paths of timestamps that no signature covers (JLINC v7: the `createdAt` of a standalone offering). A
   * mutation that changes only such a member, to another well-formed timestamp not in the future, yields a
   * message its sender could equally have made: the fuzz counts it apart and does not fail it.
   */
  unsignedTimestamps?: readonly string[];
}

/** A target whose seeds are `messages`, each sent compact and pretty-printed (so whitespace is mutated too). */
export function jsonTarget(
  name: string,
  messages: () => unknown[],
  validate: (text: string) => void,
  options: { unsignedTimestamps?: readonly string[] } = {},
): FuzzTarget {
  return {
    name,
    seeds: () => messages().flatMap((m) => [JSON.stringify(m), JSON.stringify(m, null, 2)]),
    validate,
    ...options,
  };
}

/** What a receiver of a JLINC message checks on its own: strict JSON, then the message by its shape. */
export function validateJlincText(text: string): void {
  validateJlincMessage(parseStrictJson(text));
}

/** One small world of parties and fresh, valid JLINC v7 messages, made once per process. */
export interface JlincWorld {
  sisaOffering: unknown;
  sisa: unknown;
  sisaEvents: JlincEvent[];
  acknowledgedSisaEvents: JlincEvent[];
  bisaOffering: unknown;
  bisa: unknown;
  bisaEvents: JlincEvent[];
  acknowledgedBisaEvents: JlincEvent[];
}

let world: JlincWorld | undefined;

export function jlincWorld(): JlincWorld {
  world ??= buildJlincWorld();
  return world;
}

function buildJlincWorld(): JlincWorld {
  const custodian = Party.generate('custodian');
  const rightsHolder = Party.generate('rights holder');
  const partner = Party.generate('partner custodian');

  // Agreement URIs of both forms: with path, query and fragment, and a bare origin.
  const sisaOffering = createSisaOffering(custodian, 'https://vendor.example/terms/sisa-v1?lang=en#data');
  const sisa = acceptSisaOffering(sisaOffering, rightsHolder);
  const firstSisaEvent = createSisaEvent(
    sisa,
    rightsHolder,
    'dataEvent',
    {
      profile: {
        email: 'pat@example.net',
        tags: ['a', 'b'],
        age: 42,
        verified: true,
        at: new Date().toISOString(),
      },
    },
    null,
  );
  const laterSisaEvent = createSisaEvent(
    sisa,
    rightsHolder,
    'permissionEvent',
    {
      permissions: { marketing: false, analytics: null, sharing: [{ with: 'partner', until: '2030-01-01' }] },
    },
    firstSisaEvent.audit.eventId as string,
  );

  const bisaOffering = createBisaOffering(custodian, partner.did, 'http://vendor.example');
  const bisa = acceptBisaOffering(bisaOffering, partner);
  const firstBisaEvent = createBisaEvent(bisa, custodian, { share: ['email'], purpose: 'delivery' }, null);
  const laterBisaEvent = createBisaEvent(
    bisa,
    partner,
    { revoke: ['email'], reason: 'rights holder asked', at: new Date().toISOString() },
    firstBisaEvent.audit.eventId as string,
  );

  return {
    sisaOffering,
    sisa,
    sisaEvents: [firstSisaEvent, laterSisaEvent],
    acknowledgedSisaEvents: [
      acknowledgeSisaEvent(firstSisaEvent, custodian),
      acknowledgeSisaEvent(laterSisaEvent, custodian),
    ],
    bisaOffering,
    bisa,
    bisaEvents: [firstBisaEvent, laterBisaEvent],
    // Either party may initiate; the other acknowledges.
    acknowledgedBisaEvents: [
      acknowledgeBisaEvent(firstBisaEvent, partner),
      acknowledgeBisaEvent(laterBisaEvent, custodian),
    ],
  };
}

/** The JLINC v7 targets; `all-targets.ts` adds the Parley profile's. */
export const JLINC_FUZZ_TARGETS: FuzzTarget[] = [
  jsonTarget('sisaOffering', () => [jlincWorld().sisaOffering], validateJlincText, {
    unsignedTimestamps: ['offeredSisa.createdAt'],
  }),
  jsonTarget('sisa', () => [jlincWorld().sisa], validateJlincText),
  jsonTarget('sisaEvent', () => jlincWorld().sisaEvents, validateJlincText),
  jsonTarget('acknowledgedSisaEvent', () => jlincWorld().acknowledgedSisaEvents, validateJlincText),
  jsonTarget('bisaOffering', () => [jlincWorld().bisaOffering], validateJlincText, {
    unsignedTimestamps: ['offeredBisa.createdAt'],
  }),
  jsonTarget('bisa', () => [jlincWorld().bisa], validateJlincText),
  jsonTarget('bisaEvent', () => jlincWorld().bisaEvents, validateJlincText),
  jsonTarget('acknowledgedBisaEvent', () => jlincWorld().acknowledgedBisaEvents, validateJlincText),
];
