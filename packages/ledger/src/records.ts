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

const PATTERNS: [string, RegExp][] = [
  ['DID', /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+(#[A-Za-z0-9._:%-]+)?$/],
  ['URI', /^(https?|urn):[^\s@"<>\\]+$/],
  ['token', /^[A-Za-z0-9_+/=.:-]+$/],
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
      if (!/^[A-Za-z@][A-Za-z0-9_@-]{0,63}$/.test(key))
        throw new RecordError(`${path}.${key}`, 'is not a plain field name', 'key');
      check(item, `${path}.${key}`, depth + 1);
    }
    return;
  }
  throw new RecordError(path, `a ${typeof value} has no JSON form`, 'type');
}

/** Checks an audit record and returns its canonical bytes, the leaf the log hashes. */
export function auditRecordLeaf(record: unknown, field = 'record'): Buffer {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new RecordError(field, 'expected an object', 'type');
  }
  const type = (record as Record<string, unknown>).type;
  if (typeof type !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(type)) {
    throw new RecordError(
      `${field}.type`,
      'expected the record type, e.g. "sisaEvent" or "agreement"',
      'type',
    );
  }
  check(record, field, 0);
  let text: string;
  try {
    text = canonicalize(record, field);
  } catch (error) {
    if (error instanceof ProtocolError)
      throw new RecordError(error.field, error.message.slice(error.field.length + 2), error.code);
    throw error;
  }
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_RECORD_BYTES) {
    throw new RecordError(
      field,
      `is ${bytes.length} bytes canonicalised, more than ${MAX_RECORD_BYTES}`,
      'too-large',
    );
  }
  return bytes;
}
