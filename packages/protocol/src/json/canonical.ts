import { JsonError } from '../errors.js';

/**
 * RFC 8785 JSON Canonicalization Scheme. Member names sort by UTF-16 code units (JavaScript's default string
 * order), numbers print as ECMAScript does (which JSON.stringify already follows), strings escape as
 * JSON.stringify does. Members whose value is `undefined` are left out, as JSON.stringify would.
 *
 * Two paths give the same text. The fast one copies the value with its members inserted in sorted order and
 * lets JSON.stringify (native) print the copy: a plain object lists its string keys in insertion order. It
 * gives up on whatever it cannot print exactly that way (an integer-like member name, which every object
 * lists first; a value to refuse) and the exact path then prints the value, or throws the JsonError that
 * names the path.
 */
export function canonicalize(value: unknown, field = 'value'): string {
  const copy = sortedCopy(value, 0);
  if (copy !== GIVE_UP) return JSON.stringify(copy);
  return write(value, field, 0);
}

export function canonicalBytes(value: unknown, field = 'value'): Buffer {
  return Buffer.from(canonicalize(value, field), 'utf8');
}

const MAX_DEPTH = 128;

const GIVE_UP: unique symbol = Symbol('give up');

/** A copy JSON.stringify prints as the canonical form of `value`, or GIVE_UP. Reads each member once. */
function sortedCopy(value: unknown, depth: number): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : GIVE_UP;
    case 'string':
      return value.isWellFormed() ? value : GIVE_UP;
    case 'object': {
      if (depth >= MAX_DEPTH) return GIVE_UP;
      if (Array.isArray(value)) {
        // Copied even when unchanged: an array's own toJSON would otherwise be called by JSON.stringify.
        const out: unknown[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = sortedCopy(value[i], depth + 1);
          // `undefined` (a hole too) has no JSON form in an array: the exact path refuses it.
          if (item === GIVE_UP || item === undefined) return GIVE_UP;
          out[i] = item;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return GIVE_UP;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length > 1) keys.sort();
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const first = key.charCodeAt(0);
        // Integer-like names come first in any object, whatever the insertion order; `__proto__` would set
        // the copy's prototype; a lone surrogate in a name is refused.
        if ((first >= 48 && first <= 57) || key === '__proto__' || !key.isWellFormed()) return GIVE_UP;
        const member = record[key];
        if (member === undefined) continue;
        const item = sortedCopy(member, depth + 1);
        if (item === GIVE_UP) return GIVE_UP;
        out[key] = item;
      }
      return out;
    }
    default:
      return GIVE_UP;
  }
}

/** The exact path: prints any value the fast path gave up on, or throws the JsonError naming its path. */
function write(value: unknown, path: string, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new JsonError(path, 'NaN and Infinity have no JSON form', 'number');
      return JSON.stringify(value);
    case 'string':
      if (!value.isWellFormed())
        throw new JsonError(path, 'string holds a lone surrogate (not I-JSON)', 'surrogate');
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
