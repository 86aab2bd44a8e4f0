import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from './canonical.js';
import { parseStrictJson } from './strict-parse.js';
import { JsonError } from '../errors.js';

// RFC 8785 section 3.2.2 example, parsed from its JSON text (which holds escapes and exotic numbers).
test('RFC 8785 3.2.2: the worked example canonicalises byte for byte', () => {
  const input =
    '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
    '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}';
  const expected =
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
  assert.equal(canonicalize(parseStrictJson(input)), expected);
});

test('RFC 8785 3.2.3: member names sort by UTF-16 code units', () => {
  const input =
    '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
    '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}';
  // Compared as text: JavaScript objects would list the integer-like key "1" first whatever the order.
  const expected =
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
    '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
  assert.equal(canonicalize(parseStrictJson(input)), expected);
});

// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
const NUMBERS: [string, string][] = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
];

test('RFC 8785 Appendix B: number serialisation', () => {
  for (const [bits, expected] of NUMBERS) {
    const value = Buffer.from(bits, 'hex').readDoubleBE(0);
    assert.equal(canonicalize(value), expected, bits);
  }
  for (const bits of ['7fffffffffffffff', '7ff0000000000000']) {
    assert.throws(() => canonicalize(Buffer.from(bits, 'hex').readDoubleBE(0)), JsonError);
  }
});

test('values with no JSON form and lone surrogates are refused, naming the path', () => {
  assert.throws(
    () => canonicalize({ a: [1, { b: () => 1 }] }),
    (e: unknown) => e instanceof JsonError && e.field === 'value.a[1].b',
  );
  assert.throws(
    () => canonicalize({ s: '\ud800' }),
    (e: unknown) => e instanceof JsonError && e.code === 'surrogate',
  );
  assert.throws(() => canonicalize(new Date()), JsonError);
  assert.equal(canonicalize({ b: undefined, a: 1 }), '{"a":1}');
});

test('strict parsing refuses duplicates, lone surrogates, deep nesting, trailing text and bad syntax', () => {
  const bad: [string, string][] = [
    ['{"a":1,"a":1}', 'duplicate'],
    ['{"a":{"b":1,"b":2}}', 'duplicate'],
    ['"\\ud800"', 'surrogate'],
    ['['.repeat(65) + ']'.repeat(65), 'too-deep'],
    ['{"a":1} x', 'syntax'],
    ['{"a":01}', 'syntax'],
    ["{'a':1}", 'syntax'],
    ['{"a":1,}', 'syntax'],
    ['"\t"', 'syntax'],
    ['1e999', 'number'],
    ['', 'syntax'],
  ];
  for (const [text, code] of bad) {
    assert.throws(
      () => parseStrictJson(text),
      (e: unknown) => e instanceof JsonError && e.code === code,
      text.slice(0, 20),
    );
  }
  assert.throws(
    () => parseStrictJson('"' + 'x'.repeat(100) + '"', { maxLength: 50 }),
    (e: unknown) => e instanceof JsonError && e.code === 'too-large',
  );
  assert.deepEqual(parseStrictJson(' {"a":[1,2.5e3,true,false,null,"\\u00e9"]} '), {
    a: [1, 2500, true, false, null, 'é'],
  });
  // __proto__ is data, not a prototype.
  const o = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
