import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIntentcast, decideIntent, Party, ROSTER } from '@parley/protocol';
import { HttpProblem } from '../http/problem.js';
import { checkIntentPolicy, compileIntentPolicy, policyOutcome, type VendorIntentPolicy } from './policy.js';

test('policy: policyOutcome says what decideIntent signs, for every pair of proffered terms and policies', () => {
  const vendor = Party.generate('vendor');
  const person = Party.generate('person');
  const codes = ['PDC-INTENT', '2P-30D', 'SD-BASE', 'SD-BASE-A-DP'];
  const policies: VendorIntentPolicy[] = [
    { mode: 'auto', accepts: [] },
    { mode: 'auto', accepts: ['PDC-INTENT', '2P-30D'] },
    { mode: 'auto', accepts: ['SD-BASE'], counter: '2P-30D' },
    { mode: 'auto', accepts: ['SD-BASE'], counter: 'SD-BASE' },
    { mode: 'manual', accepts: ['2P-30D'], counter: 'PDC-INTENT', reason: 'why' },
  ];
  const proffers = [
    ['PDC-INTENT'],
    ['2P-30D', 'PDC-INTENT'],
    ['SD-BASE-A-DP'],
    ['SD-BASE', '2P-30D'],
    ['2P-30D'],
  ];
  for (const terms of proffers) {
    const intent = createIntentcast(
      {
        intent: { category: 'bikes', description: 'a bike', tags: [] },
        price: { max: 100, currency: 'EUR' },
        validUntil: new Date(Date.now() + 86_400_000).toISOString(),
        terms,
        replyTo: 'https://agent.example/intents/answers',
      },
      person,
    );
    for (const policy of policies) {
      const outcome = policyOutcome(intent, compileIntentPolicy(policy));
      const signed = decideIntent(intent, vendor, policy);
      assert.equal(outcome.decision, signed.decision, `${terms} / ${JSON.stringify(policy)}`);
      assert.equal(outcome.termsId, signed.terms?.id);
    }
  }
  assert.ok(codes.every((c) => ROSTER.some((t) => t.code === c)));
});

test('policy: roster codes and aliases stored as codes; unknown or repeated terms refused (422)', () => {
  assert.deepEqual(
    checkIntentPolicy({ mode: 'auto', accepts: ['intent only', '2p-30d'], counter: 'sd-base' }),
    {
      mode: 'auto',
      accepts: ['PDC-INTENT', '2P-30D'],
      counter: 'SD-BASE',
    },
  );
  for (const [policy, field] of [
    [{ mode: 'auto', accepts: ['NOPE'] }, 'body.intentPolicy.accepts.0'],
    [{ mode: 'auto', accepts: ['2P-30D', '2p-30d'] }, 'body.intentPolicy.accepts.1'],
    [{ mode: 'auto', accepts: [], counter: 'NOPE' }, 'body.intentPolicy.counter'],
  ] as const) {
    assert.throws(
      () => checkIntentPolicy(policy as unknown as VendorIntentPolicy),
      (e: unknown) => e instanceof HttpProblem && e.status === 422 && e.field === field,
    );
  }
});
