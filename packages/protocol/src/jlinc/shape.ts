import { JlincError, type ProtocolError } from '../errors.js';
import { JLINC_CONTEXT, SIG_TYPE } from './primitives.js';

export type Json = Record<string, unknown>;

/** The error class a layer reports with (JlincError here; AgreementError, ReceiptError elsewhere). */
export type ErrorClass = new (field: string, detail: string, code?: string) => ProtocolError;

/**
 * Checks that `value` is an object with exactly `keys`: every one present, none other. Unknown members are
 * refused because nothing signs them; accepting them would let anyone add text to a signed message.
 */
export function exactObject(
  value: unknown,
  field: string,
  keys: readonly string[],
  optional: readonly string[] = [],
  Err: ErrorClass = JlincError,
): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Err(field || 'message', 'expected an object', 'type');
  }
  const object = value as Json;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(object, key))
      throw new Err(join(field, key), 'is missing', 'missing');
  }
  for (const key of Object.keys(object)) {
    if (!keys.includes(key) && !optional.includes(key))
      throw new Err(join(field, key), 'is not allowed here', 'unknown');
  }
  return object;
}

export function stringField(object: Json, key: string, field: string, Err: ErrorClass = JlincError): string {
  const value = object[key];
  if (typeof value !== 'string') throw new Err(join(field, key), 'expected a string', 'type');
  return value;
}

export function checkContext(object: Json, field: string): void {
  if (object['@context'] !== JLINC_CONTEXT) {
    throw new JlincError(
      join(field, '@context'),
      `expected "${JLINC_CONTEXT}" (only JLINC v7 is accepted)`,
      'context',
    );
  }
}

export function checkSigType(object: Json, key: string, field: string): void {
  if (object[key] !== SIG_TYPE) throw new JlincError(join(field, key), `expected "${SIG_TYPE}"`, 'sig-type');
}

export function join(field: string, key: string): string {
  return field ? `${field}.${key}` : key;
}
