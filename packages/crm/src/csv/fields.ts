/** Field checks shared by the CSV formats: each returns the stored value, or undefined after reporting why not. */

/** A problem with one field of a row (`column` absent: the row as a whole). */
export interface ColumnError {
  column?: string;
  message: string;
}

const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const WHOLE = /^\d+$/;
const ISO_UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(\.\d{1,9})?)?\s*(Z|z|[+-]\d\d:?\d\d)?$/;
const DATE = /^(\d{4})-(\d\d)-(\d\d)$/;
const VISIBLE = /^[\x21-\x7e]{1,200}$/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const IDENTIFIER = /^[^\x00-\x1f\x7f]{1,200}$/;

const daysIn = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

function validDay(y: string, m: string, d: string): boolean {
  const month = Number(m);
  const day = Number(d);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(Number(y), month);
}

/**
 * An ISO 8601 date and time with its offset (`2026-03-01T10:15:00Z`, `2026-03-01T11:15:00+01:00`; a space for
 * the `T` is accepted), as UTC with milliseconds (`2026-03-01T10:15:00.000Z`), the form the database compares.
 */
export function isoDateTime(value: string, column: string, errors: ColumnError[]): string | undefined {
  if (ISO_UTC_MS.test(value) && validDay(value.slice(0, 4), value.slice(5, 7), value.slice(8, 10))) {
    const h = Number(value.slice(11, 13));
    const min = Number(value.slice(14, 16));
    const s = Number(value.slice(17, 19));
    if (h < 24 && min < 60 && s < 60) return value;
  }
  const m = DATE_TIME.exec(value);
  if (!m) {
    errors.push({
      column,
      message: `"${clip(value)}" is not a date and time: write it as ISO 8601 with a time zone, e.g. 2026-03-01T10:15:00Z`,
    });
    return undefined;
  }
  const [, y = '', mo = '', d = '', h, mi, s, frac, zone] = m as unknown as string[];
  if (!zone) {
    errors.push({
      column,
      message: `"${clip(value)}" has no time zone: end it with Z (UTC) or an offset such as +01:00`,
    });
    return undefined;
  }
  if (!validDay(y, mo, d) || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) {
    errors.push({ column, message: `"${clip(value)}" is not a date and time that exists` });
    return undefined;
  }
  const offset =
    zone === 'Z' || zone === 'z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${(frac ?? '').slice(0, 4)}${offset}`);
  if (!Number.isFinite(ms)) {
    errors.push({ column, message: `"${clip(value)}" is not a date and time that exists` });
    return undefined;
  }
  return new Date(ms).toISOString();
}

/** A calendar date (`1980-04-01`), or a date and time; stored as TMF's date-time (`1980-04-01T00:00:00Z`). */
export function isoDate(value: string, column: string, errors: ColumnError[]): string | undefined {
  const m = DATE.exec(value);
  if (m) {
    if (validDay(m[1] ?? '', m[2] ?? '', m[3] ?? '')) return `${value}T00:00:00Z`;
    errors.push({ column, message: `"${clip(value)}" is not a date that exists` });
    return undefined;
  }
  if (DATE_TIME.test(value)) return isoDateTime(value, column, errors);
  errors.push({ column, message: `"${clip(value)}" is not a date: write it as YYYY-MM-DD, e.g. 1980-04-01` });
  return undefined;
}

/** The date part of a stored date-time at midnight UTC (as it was imported), else the date-time itself. */
export function dateForCsv(value: unknown): string {
  if (typeof value !== 'string') return '';
  return /^\d{4}-\d\d-\d\dT00:00:00(\.0+)?Z$/.test(value) ? value.slice(0, 10) : value;
}

/** A number written with a dot for decimals (1234.5); negative only when `signed`. */
export function decimal(
  value: string,
  column: string,
  errors: ColumnError[],
  signed = false,
): number | undefined {
  if (DECIMAL.test(value)) {
    const n = Number(value);
    if (Number.isFinite(n) && (signed || n >= 0)) return n;
    if (Number.isFinite(n)) {
      errors.push({ column, message: `${value}: expected a number of 0 or more` });
      return undefined;
    }
  }
  errors.push({
    column,
    message: /^-?\d+,\d+$/.test(value)
      ? `"${clip(value)}": write decimals with a dot (1234.5), without thousands separators`
      : `"${clip(value)}" is not a number`,
  });
  return undefined;
}

/** A whole number of 0 or more, up to 2^53 - 1. */
export function whole(value: string, column: string, errors: ColumnError[]): number | undefined {
  if (WHOLE.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  errors.push({ column, message: `"${clip(value)}" is not a whole number of 0 or more` });
  return undefined;
}

/** One of `allowed`, compared without regard to case; returns the allowed spelling. */
export function oneOf(
  value: string,
  allowed: readonly string[],
  column: string,
  errors: ColumnError[],
): string | undefined {
  if (allowed.includes(value)) return value;
  const lower = value.toLowerCase();
  const found = allowed.find((a) => a.toLowerCase() === lower);
  if (found !== undefined) return found;
  errors.push({ column, message: `"${clip(value)}" is not one of ${allowed.join(', ')}` });
  return undefined;
}

/** An agreement id as the API's agreement header takes it: 1-200 visible ASCII characters. */
export function agreement(value: string, column: string, errors: ColumnError[]): string | undefined {
  if (VISIBLE.test(value)) return value;
  errors.push({ column, message: 'an agreement id is 1-200 visible ASCII characters (no spaces)' });
  return undefined;
}

/** An id of a record: up to 200 characters, no control characters. */
export function identifier(value: string, column: string, errors: ColumnError[]): string | undefined {
  if (IDENTIFIER.test(value)) return value;
  errors.push({ column, message: 'an id is 1-200 characters without control characters' });
  return undefined;
}

/** A value quoted in a message, shortened. */
export function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 37)}...` : value;
}

/** A number as CSV text ('' for none). */
export function numberForCsv(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  return String(Number(value));
}

/** A stored time as ISO 8601 text (PostgreSQL returns Date objects, SQLite the stored text). */
export function timeForCsv(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return value === null || value === undefined ? '' : String(value);
}
