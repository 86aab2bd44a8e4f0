import { JsonError } from '../errors.js';

/**
 * RFC 8785 JSON Canonicalization Scheme. Member names sort by UTF-16 code units (JavaScript's default string
 * order), numbers print as ECMAScript does (which JSON.stringify already follows), strings escape as
 * JSON.stringify does. Members whose value is `undefined` are left out, as JSON.stringify would.
 */
export function canonicalize(value: unknown, field = 'value'): string {
  return write(value, field, 0);
}

export function canonicalBytes(value: unknown, field = 'value'): Buffer {
  return Buffer.from(canonicalize(value, field), 'utf8');
}

const MAX_DEPTH = 128;

function write(value: unknown, path: string, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new JsonError(path, 'NaN and Infinity have no JSON form', 'number');
      return JSON.stringify(value);
    case 'string':
      if (!value.isWellFormed()) throw new JsonError(path, 'string holds a lone surrogate (not I-JSON)', 'surrogate');
      return JSON.stringify(value);
    case 'object': {
      if (depth >= MAX_DEPTH) throw new JsonError(path, `nesting deeper than ${MAX_DEPTH}`, 'too-deep');
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += write(value[i], `${path}[${i}]`, depth + 1);
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new JsonError(path, 'only plain objects can be canonicalised', 'type');
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += write(key, path, depth) + ':' + write(member, path + '.' + key, depth + 1);
      }
      return out + '}';
    }
    default:
      throw new JsonError(path, `a ${typeof value} has no JSON form`, 'type');
  }
}
