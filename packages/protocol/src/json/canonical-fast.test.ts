import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from './canonical.js';
import { parseStrictJson } from './strict-parse.js';
import { JsonError } from '../errors.js';

/** RFC 8785 written plainly, member by member: what both paths of canonicalize must print. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(reference).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .filter((k) => record[k] !== undefined)
      .map((k) => JSON.stringify(k) + ':' + reference(record[k]));
    return '{' + members.join(',') + '}';
  }
  return JSON.stringify(value);
}

test('canonical text does not depend on which path prints it', () => {
  const withProto = parseStrictJson('{"__proto__":{"b":1,"a":2},"z":[1,"x"]}');
  const array = [3, 1];
  (array as unknown as { toJSON: () => string }).toJSON = () => 'not this';
  const bare = Object.create(null) as Record<string, unknown>;
  bare.b = 1;
  bare['10'] = 2;
  bare.a = { '2': 'two', '1': 'one', x: 'ex' };
  const values: unknown[] = [
    { b: 1, a: { d: [true, null, 'é'], c: -0 }, '': 'empty' },
    { '10': 'ten', '9': 'nine', a: 'letter', '-1': 'minus', '1.5': 'decimal' },
    withProto,
    { list: array },
    bare,
    { toJSON: 'data, not a method', n: 1e21 },
    { u: undefined, v: [1, 2, { w: undefined }] },
    '\u2028\u2029 "quoted" \\ \u0000',
    [[[]], {}, [{}]],
  ];
  for (const value of values) assert.equal(canonicalize(value), reference(value));
});

test('refusals name the path of the first offending member in canonical order', () => {
  const cases: [unknown, string, string][] = [
    [{ b: [1, { c: Number.NaN }], a: 1 }, 'value.b[1].c', 'number'],
    [{ z: '\ud800', a: { y: '\udc00' } }, 'value.a.y', 'surrogate'],
    [{ '1': new Map(), a: 1 }, 'value.1', 'type'],
    [{ a: [1, undefined] }, 'value.a[1]', 'type'],
    [{ ['\ud800']: 1 }, 'value', 'surrogate'],
  ];
  for (const [value, field, code] of cases) {
    assert.throws(
      () => canonicalize(value),
      (e: unknown) => e instanceof JsonError && e.field === field && e.code === code,
      `${field} ${code}`,
    );
  }
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(
    () => canonicalize(cycle),
    (e: unknown) => e instanceof JsonError && e.code === 'too-deep',
  );
});
