import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from '@parley/protocol';
import { RecordError } from './errors.js';
import { auditRecordLeaf, auditRecordText, MAX_RECORD_BYTES } from './records.js';

test('the fast path prints what canonicalize prints, for every kind of member', () => {
  const bare = Object.create(null) as Record<string, unknown>;
  bare.type = 'bare';
  bare.z = 1;
  bare.a = 'did:web:example.org#key-1';
  const records: Record<string, unknown>[] = [
    {
      type: 'sisaEvent',
      eventId: 'e1',
      rightsHolderDid: 'did:jlinc:779svu-UhSc6pvzWj-NCANHRTL0PcOzu2UtJhF5Hwlk',
      createdAt: '2026-11-23T08:04:07.122Z',
    },
    // The same names in another order, then another set of the same size: the name cache must not mix them.
    { createdAt: '2026-11-23T08:04:07.122Z', rightsHolderDid: 'did:x:y', eventId: 'e2', type: 'sisaEvent' },
    { type: 'other', b: 'x', c: 'y', d: 'z' },
    {
      type: 'mixed',
      n: [0, -0, 1.5, 1e21, -1e-7, 2 ** 53],
      flags: [true, false, null],
      empty: '',
      uri: 'https://example.org/a?b=c&d=%20',
      control: 'urn:x:\u0001\u001f',
      unicode: 'urn:caf\u00e9:\ud83d\ude00',
      '@context': 'https://w3id.org/x',
      'dash-name_1': 'token+/=.:-',
      nested: { deep: { deeper: { deepest: [1, { k: 'v' }] } } },
      list: [],
      obj: {},
    },
    bare,
  ];
  for (const r of [...records, ...records]) {
    assert.equal(auditRecordText(r), canonicalize(r));
    assert.ok(auditRecordLeaf(r).equals(Buffer.from(canonicalize(r), 'utf8')));
  }
});

test('refused records throw the same errors, naming the same fields, whichever path finds them', () => {
  const cases: [unknown, string, string][] = [
    ['text', 'record', 'type'],
    [{ name: 'x' }, 'record.type', 'type'],
    [{ type: 'x', name: 'Alice Example' }, 'record.name', 'free-text'],
    [{ type: 'x', mail: 'alice@example.org' }, 'record.mail', 'free-text'],
    [{ type: 'x', 'bad key': 'a' }, 'record.bad key', 'key'],
    [{ type: 'x', '1': 'a' }, 'record.1', 'key'],
    [{ type: 'x', a: { b: { c: { d: { e: { f: { g: 1 } } } } } } }, 'record.a.b.c.d.e.f', 'too-deep'],
    [{ type: 'x', n: Number.NaN }, 'record.n', 'number'],
    [{ type: 'x', u: undefined }, 'record.u', 'type'],
    [{ type: 'x', f: () => 1 }, 'record.f', 'type'],
    [{ type: 'x', big: 1n }, 'record.big', 'type'],
    [{ type: 'x', d: new Date(0) }, 'record.d', 'type'],
    [{ type: 'x', s: 'urn:x:\ud800' }, 'record.s', 'surrogate'],
    // eslint-disable-next-line no-sparse-arrays
    [{ type: 'x', a: [1, , 2] }, 'record.a[1]', 'type'],
    [{ type: 'x', t: 'a'.repeat(257) }, 'record.t', 'too-long'],
    // The rules are checked in full before canonicalisation: the free text is reported, not the Date.
    [{ type: 'x', d: new Date(0), b: 'free text' }, 'record.b', 'free-text'],
  ];
  for (const [value, field, code] of cases) {
    assert.throws(
      () => auditRecordText(value),
      (e: unknown) => e instanceof RecordError && e.field === field && e.code === code,
      `${field} ${code}`,
    );
  }
  const large = {
    type: 'x',
    ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(200)])),
  };
  assert.throws(
    () => auditRecordText(large),
    (e: unknown) =>
      e instanceof RecordError && e.code === 'too-large' && e.message.includes(`${MAX_RECORD_BYTES}`),
  );
  assert.throws(
    () => auditRecordText({ type: 'x', name: 'Alice Example' }, 'records', 3),
    (e: unknown) => e instanceof RecordError && e.field === 'records[3].name',
  );
});
