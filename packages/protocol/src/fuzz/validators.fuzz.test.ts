import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MUTATION_KINDS, mutateMessage } from './mutate.js';
import { parseSeed, Random, randomSeed } from './random.js';
import { classify, formatFailures, formatSummary, runFuzz } from './run.js';
import { jlincWorld, jsonTarget } from './targets.js';
import { FUZZ_TARGETS } from './all-targets.js';

/**
 * Fuzz of the message validators (issue acceptance: 100,000 mutated messages, all rejected with a typed error,
 * none crashing, hanging or accepted). CI runs PARLEY_FUZZ_COUNT cases (default 10,000); the full size runs with
 * `node packages/protocol/dist/fuzz/cli.js --count 100000`. A failure prints its seed: set PARLEY_FUZZ_SEED
 * to replay the same cases.
 */
const count = fuzzCount(process.env.PARLEY_FUZZ_COUNT);
const seed = process.env.PARLEY_FUZZ_SEED ? parseSeed(process.env.PARLEY_FUZZ_SEED) : randomSeed();

function fuzzCount(text: string | undefined): number {
  if (text === undefined || text === '') return 10_000;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`PARLEY_FUZZ_COUNT=${text}: expected a positive integer`);
  return n;
}

test(`fuzz: ${count} mutated JLINC and Parley messages are all rejected with a typed error`, (t) => {
  t.diagnostic(`seed ${seed} (replay with PARLEY_FUZZ_SEED=${seed} PARLEY_FUZZ_COUNT=${count})`);
  const summary = runFuzz({ count, seed, targets: FUZZ_TARGETS, timeLimitMsPerCase: 1000 });
  for (const line of formatSummary(summary)) t.diagnostic(line);

  assert.equal(summary.failureCount, 0, `seed ${seed}: ${formatFailures(summary)}`);
  // The run cannot silently degenerate: every kind of mutation was made, and most cases were real rejections.
  if (count >= MUTATION_KINDS.length) {
    for (const kind of MUTATION_KINDS)
      assert.ok((summary.kinds[kind] ?? 0) > 0, `mutation kind ${kind} never ran`);
  }
  if (count >= 1000) {
    assert.ok(
      summary.rejected >= 0.8 * summary.total,
      `only ${summary.rejected} of ${summary.total} cases were rejections`,
    );
  }
});

// The harness itself: its oracle must neither excuse a real mutation nor blame an equivalent one.

const CONTEXT = 'https://protocol.jlinc.org/context/jlinc-v7.jsonld';

test('oracle: whitespace is equivalent; a duplicate member, a future or a signed timestamp change is not', () => {
  const offering = jlincWorld().sisaOffering as { offeredSisa: { createdAt: string } };
  const seedText = JSON.stringify(offering);
  const seedValue = JSON.parse(seedText) as unknown;
  const unsigned = ['offeredSisa.createdAt'];
  const past = new Date(Date.now() - 86_400_000).toISOString();
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const withCreatedAt = (createdAt: string) =>
    JSON.stringify({ ...offering, offeredSisa: { ...offering.offeredSisa, createdAt } });

  assert.equal(classify(` ${seedText}\n`, seedText, seedValue, unsigned), 'equivalent');
  assert.equal(
    classify(seedText.replace('{', `{"@context":"${CONTEXT}",`), seedText, seedValue, unsigned),
    'mutation',
  );
  assert.equal(classify(withCreatedAt(past), seedText, seedValue, unsigned), 'equivalent-unsigned-createdAt');
  assert.equal(classify(withCreatedAt(past), seedText, seedValue, []), 'mutation');
  assert.equal(classify(withCreatedAt(future), seedText, seedValue, unsigned), 'mutation');
  assert.equal(classify(withCreatedAt(past.replace('Z', '')), seedText, seedValue, unsigned), 'mutation');
  assert.equal(
    classify(withCreatedAt('2023-02-29T00:00:00.000Z'), seedText, seedValue, unsigned),
    'mutation',
  );
});

test('harness: an accepting, a crashing and a hanging validator all fail', () => {
  const message = {
    '@context': CONTEXT,
    id: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    at: new Date(0).toISOString(),
  };
  const seedText = JSON.stringify(message);
  const accepting = jsonTarget(
    'accepts-everything',
    () => [message],
    () => undefined,
  );
  const crashing = jsonTarget(
    'crashes',
    () => [message],
    (text) => {
      if (text !== seedText && text !== JSON.stringify(message, null, 2)) throw new TypeError('boom');
    },
  );
  const hanging = jsonTarget(
    'hangs',
    () => [message],
    (text) => {
      if (text.length !== seedText.length && text.length !== JSON.stringify(message, null, 2).length)
        for (;;);
    },
  );

  const accepted = runFuzz({ count: 200, seed: 1, targets: [accepting] });
  assert.equal(accepted.failuresByReason.accepted, accepted.total - accepted.equivalent);
  assert.ok(accepted.failuresByReason.accepted > 150);
  assert.equal(accepted.rejected, 0);

  const crashed = runFuzz({ count: 50, seed: 2, targets: [crashing] });
  assert.equal(crashed.failuresByReason.crash, crashed.total - crashed.equivalent);
  assert.match(crashed.failures[0]?.error ?? '', /TypeError: boom/);

  const hung = runFuzz({ count: 3, seed: 3, targets: [hanging], timeLimitMsPerCase: 50 });
  assert.ok(hung.failuresByReason.hang >= 1);
  assert.ok(hung.maxMs < 1000);
});

test('mutations are reproducible from the seed and change the text', () => {
  const text = JSON.stringify(jlincWorld().acknowledgedSisaEvents[1]);
  for (const kind of MUTATION_KINDS) {
    const a = mutateMessage(text, [kind], new Random(7), 0);
    const b = mutateMessage(text, [kind], new Random(7), 0);
    assert.equal(a.text, b.text, kind);
    assert.deepEqual(a.applied, b.applied, kind);
    assert.notEqual(a.text, text, kind);
    assert.equal(
      a.applied[0]?.kind,
      kind,
      `${kind} was not made (${a.applied.map((m) => m.kind).join(', ')})`,
    );
  }
});
