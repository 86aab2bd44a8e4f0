import { canonicalize, type DataSchema, type FieldType } from '@parley/protocol';
import { refused } from './errors.js';

/** A postal address as a Parley data event carries it (the TMF632 contact medium's characteristic members). */
export interface PostalAddress {
  street1: string;
  street2?: string;
  city: string;
  postCode: string;
  stateOrProvince?: string;
  country: string;
}

const EMAIL = /^[^\s@,;<>()[\]\\"]{1,64}@[^\s@,;<>()[\]\\"]+\.[^\s@,;<>()[\]\\"]+$/;
const PHONE = /^\+?[0-9 ()-]{1,40}$/;
const DATE = /^(\d{4})-(\d\d)-(\d\d)$/;
const ADDRESS_MEMBERS: Record<string, { max: number; optional?: boolean }> = {
  street1: { max: 200 },
  street2: { max: 200, optional: true },
  city: { max: 100 },
  postCode: { max: 20 },
  stateOrProvince: { max: 100, optional: true },
  country: { max: 2 },
};
/** Codes Intl knows that are not countries (unions, groupings, private use, unknown). */
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'XA', 'XB', 'ZZ']);
const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** ISO 3166-1 alpha-2 country codes, as the runtime's ICU data knows them. */
export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.has(code)) return false;
  const name = regions.of(code);
  return name !== undefined && name !== code && name !== 'Unknown Region';
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `value` is not a value of `type`, or undefined when it is. */
export function valueProblem(type: FieldType, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' && value.length <= 1000 && value.trim() !== ''
        ? undefined
        : 'expected a non-empty string of at most 1000 characters';
    case 'email':
      return typeof value === 'string' && value.length <= 254 && EMAIL.test(value)
        ? undefined
        : 'expected an e-mail address';
    case 'phone':
      return typeof value === 'string' && PHONE.test(value) && (value.match(/[0-9]/g)?.length ?? 0) >= 3
        ? undefined
        : 'expected a phone number: "+", digits, spaces, "-", "(" and ")"';
    case 'postal-address': {
      if (!isObject(value)) return 'expected {street1, street2?, city, postCode, stateOrProvince?, country}';
      for (const key of Object.keys(value))
        if (!(key in ADDRESS_MEMBERS)) return `${key}: is not a member of a postal address`;
      for (const [key, rule] of Object.entries(ADDRESS_MEMBERS)) {
        const v = value[key];
        if (v === undefined && rule.optional) continue;
        if (typeof v !== 'string' || v.length > rule.max || (!rule.optional && v.trim() === ''))
          return `${key}: expected ${rule.optional ? 'a' : 'a non-empty'} string of at most ${rule.max} characters`;
      }
      if (!isCountryCode(value.country as string))
        return 'country: expected an ISO 3166-1 alpha-2 country code, e.g. GB';
      return undefined;
    }
    case 'date': {
      const m = typeof value === 'string' ? DATE.exec(value) : null;
      if (!m) return 'expected a date YYYY-MM-DD';
      const d = new Date(`${value as string}T00:00:00Z`);
      return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value
        ? 'is not a date that exists'
        : undefined;
    }
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected true or false';
    case 'object':
      return isObject(value) && canonicalize(value).length <= 16 * 1024
        ? undefined
        : 'expected a JSON object of at most 16 KiB';
    case 'usage-records':
      return Array.isArray(value) && value.length <= 10_000 && value.every(isObject)
        ? undefined
        : 'expected an array of at most 10,000 usage records (objects)';
  }
}

/**
 * Checks the payload of a dataEvent against the agreement's schema: at least one field, only names of the
 * schema, each value of its field's type. Throws a 422 naming `payload.<name>`.
 */
export function checkDataPayload(payload: Record<string, unknown>, schema: DataSchema): void {
  const names = Object.keys(payload);
  if (names.length === 0)
    throw refused(422, 'payload: a dataEvent carries at least one field', 'payload', 'empty');
  const fields = new Map(schema.fields.map((f) => [f.name, f]));
  for (const name of names) {
    const field = fields.get(name);
    const path = `payload.${name}`;
    if (!field) {
      throw refused(
        422,
        `${path}: is not a field of the agreement's schema (${[...fields.keys()].join(', ')})`,
        path,
        'not-in-schema',
      );
    }
    const problem = valueProblem(field.type, payload[name]);
    if (problem) throw refused(422, `${path}: ${problem}`, path, 'value');
  }
}
