import { canonicalize, ProtocolError } from '@parley/protocol';
import { RecordError } from './errors.js';

/**
 * What the log accepts as a leaf: a canonical (RFC 8785) audit record of ids, DIDs, hashes, signatures, times,
 * numbers and flags. Free text cannot pass: strings must be tokens without spaces or "@" (so no names, addresses,
 * e-mail or phone numbers), at most 256 characters. That keeps personal data off a log nobody can ever erase.
 */
export type AuditRecord = { type: string } & Record<string, unknown>;

export const MAX_RECORD_BYTES = 16 * 1024;
const MAX_STRING = 256;
const MAX_DEPTH = 6;

const DID = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+(#[A-Za-z0-9._:%-]+)?$/;
const URI = /^(https?|urn):[^\s@"<>\\]+$/;
const TOKEN = /^[A-Za-z0-9_+/=.:-]+$/;
const KEY = /^[A-Za-z@][A-Za-z0-9_@-]{0,63}$/;
const TYPE = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

const PATTERNS: [string, RegExp][] = [
  ['DID', DID],
  ['URI', URI],
  ['token', TOKEN],
];

function check(value: unknown, path: string, depth: number): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RecordError(path, 'expected a finite number', 'number');
    return;
  }
  if (typeof value === 'string') {
    if (value.length > MAX_STRING)
      throw new RecordError(path, `is longer than ${MAX_STRING} characters`, 'too-long');
    if (value.length === 0) return;
    if (!PATTERNS.some(([, re]) => re.test(value))) {
      throw new RecordError(
        path,
        'looks like free text: the log holds ids, DIDs, URIs, hashes, signatures and times only',
        'free-text',
      );
    }
    return;
  }
  if (depth >= MAX_DEPTH) throw new RecordError(path, `nests deeper than ${MAX_DEPTH}`, 'too-deep');
  if (Array.isArray(value)) {
    value.forEach((item, i) => check(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!KEY.test(key)) throw new RecordError(`${path}.${key}`, 'is not a plain field name', 'key');
      check(item, `${path}.${key}`, depth + 1);
    }
    return;
  }
  throw new RecordError(path, `a ${typeof value} has no JSON form`, 'type');
}

/*
 * The fast path: one walk that applies the rules above and prints the canonical text at once. It builds no
 * path strings and gives up (undefined) at the first thing it would refuse, or cannot print itself; the exact
 * path (check, then canonicalize) then runs and throws the error it always threw. When it succeeds its text
 * is the one canonicalize prints: member names that pass KEY need no escaping and never look like integers,
 * and a token or DID is ASCII without a quote, a backslash or a control character.
 *
 * Records of one kind share their member names: the last set of names seen at each depth is kept with its
 * sorted order and the text that opens each member (`{"name":` or `,"name":`), so such a record costs no
 * sort, no name check and fewer string pieces.
 */
interface Shape {
  keys: string[];
  names: string[];
  /** `{"name":` or `,"name":` */
  openers: string[];
  /** The same with the opening quote of a string value. */
  quoted: string[];
}

const shapes: (Shape | undefined)[] = new Array<Shape | undefined>(MAX_DEPTH).fill(undefined);

function shapeOf(keys: string[], depth: number): Shape | undefined {
  const last = shapes[depth];
  if (last !== undefined && last.keys.length === keys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== last.keys[i]) {
        same = false;
        break;
      }
    }
    if (same) return last;
  }
  for (const key of keys) if (!KEY.test(key)) return undefined;
  const names = keys.slice().sort();
  const openers = names.map((name, i) => (i === 0 ? '{"' : ',"') + name + '":');
  const shape = { keys, names, openers, quoted: openers.map((o) => o + '"') };
  shapes[depth] = shape;
  return shape;
}

function fastText(value: unknown, depth: number): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // String(n) is Number::toString(n), as JSON.stringify prints a finite number.
      return Number.isFinite(value) ? String(value) : undefined;
    case 'string': {
      const n = value.length;
      if (n === 0) return '""';
      if (n > MAX_STRING) return undefined;
      if (TOKEN.test(value) || DID.test(value)) return '"' + value + '"';
      // A URI may hold characters JSON escapes (controls) or a lone surrogate (refused by canonicalize).
      if (URI.test(value) && value.isWellFormed()) return JSON.stringify(value);
      return undefined;
    }
    case 'object': {
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item = fastText(value[i], depth + 1);
          if (item === undefined) return undefined;
          out += i === 0 ? item : ',' + item;
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const record = value as Record<string, unknown>;
      const shape = shapeOf(Object.keys(record), depth);
      if (shape === undefined) return undefined;
      const { names, openers, quoted } = shape;
      if (names.length === 0) return '{}';
      let out = '';
      for (let i = 0; i < names.length; i++) {
        const member = record[names[i] as string];
        // The common case inline: a token (or DID) string, printed with the quote-ended opener.
        if (
          typeof member === 'string' &&
          member.length <= MAX_STRING &&
          member.length > 0 &&
          TOKEN.test(member)
        ) {
          out += (quoted[i] as string) + member + '"';
          continue;
        }
        const item = fastText(member, depth + 1);
        if (item === undefined) return undefined;
        out += (openers[i] as string) + item;
      }
      return out + '}';
    }
    default:
      return undefined;
  }
}

/** The exact path: the rules in full, then RFC 8785; throws the RecordError naming the field. */
function exactText(record: object, field: string): string {
  check(record, field, 0);
  try {
    return canonicalize(record, field);
  } catch (error) {
    if (error instanceof ProtocolError)
      throw new RecordError(error.field, error.message.slice(error.field.length + 2), error.code);
    throw error;
  }
}

/**
 * Checks an audit record and returns its canonical (RFC 8785) text, whose UTF-8 bytes are the leaf. Errors
 * name `field`, or `field[index]` when an index is given (built only then: the log checks records by the
 * thousand).
 */
export function auditRecordText(record: unknown, field = 'record', index?: number): string {
  const name = () => (index === undefined ? field : `${field}[${index}]`);
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new RecordError(name(), 'expected an object', 'type');
  }
  const type = (record as Record<string, unknown>).type;
  if (typeof type !== 'string' || !TYPE.test(type)) {
    throw new RecordError(
      `${name()}.type`,
      'expected the record type, e.g. "sisaEvent" or "agreement"',
      'type',
    );
  }
  const text = fastText(record, 0) ?? exactText(record, name());
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no count.
  if (text.length * 3 > MAX_RECORD_BYTES) {
    const size = Buffer.byteLength(text, 'utf8');
    if (size > MAX_RECORD_BYTES) {
      throw new RecordError(
        name(),
        `is ${size} bytes canonicalised, more than ${MAX_RECORD_BYTES}`,
        'too-large',
      );
    }
  }
  return text;
}

/** Checks an audit record and returns its canonical bytes, the leaf the log hashes. */
export function auditRecordLeaf(record: unknown, field = 'record'): Buffer {
  return Buffer.from(auditRecordText(record, field), 'utf8');
}
