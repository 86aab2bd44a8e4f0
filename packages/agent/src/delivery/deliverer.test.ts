import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deliverer } from './deliverer.js';
import { VendorError } from '../vendor/client.js';
import type { Delivery } from '../relationship/types.js';

function delivery(seq: number, relationshipId = 'r1'): Delivery {
  return {
    id: `d${seq}`,
    seq,
    changeId: 'c',
    relationshipId,
    kind: 'data',
    eventType: 'dataEvent',
    payload: { n: seq },
    status: 'pending',
    attempts: 0,
    createdAt: new Date().toISOString(),
  };
}

function harness(outcomes: Record<string, (Error | 'ok')[]>) {
  const all = new Map<string, Delivery>();
  const sent: string[] = [];
  const prepared: string[] = [];
  const deliverer = new Deliverer(
    {
      queue: (id) =>
        [...all.values()]
          .filter((d) => d.relationshipId === id && d.status === 'pending')
          .sort((a, b) => a.seq - b.seq),
      prepare: async (d) => {
        prepared.push(d.id);
      },
      send: async (d) => {
        sent.push(d.id);
        const next = outcomes[d.id]?.shift() ?? 'ok';
        if (next !== 'ok') throw next;
      },
      changed: () => undefined,
    },
    { baseMs: 20, maxMs: 60 },
  );
  return { all, sent, prepared, deliverer, add: (d: Delivery) => all.set(d.id, d) };
}

test('events of one relationship go out in order, one at a time; a refusal fails that one and the next goes on', async () => {
  const h = harness({ d2: [new VendorError('422 not in schema', 422, false)] });
  [3, 1, 2].forEach((n) => h.add(delivery(n)));
  await h.deliverer.kick('r1');
  assert.deepEqual(h.sent, ['d1', 'd2', 'd3']);
  assert.equal(h.all.get('d1')?.status, 'acknowledged');
  assert.equal(h.all.get('d2')?.status, 'failed');
  assert.match(h.all.get('d2')?.lastError ?? '', /not in schema/);
  assert.equal(h.all.get('d3')?.status, 'acknowledged');
});

test('an unreachable vendor is retried with growing waits, and later events wait behind the first', async () => {
  const down = () => new VendorError('not reachable', 0, true);
  const h = harness({ d1: [down(), down(), down()] });
  h.add(delivery(1));
  h.add(delivery(2));
  const started = Date.now();
  await h.deliverer.kick('r1');
  assert.deepEqual(h.sent, ['d1'], 'the second event does not overtake the first');
  assert.equal(h.all.get('d1')?.status, 'pending');
  assert.ok(h.all.get('d1')?.nextAttemptAt);
  while (h.all.get('d2')?.status !== 'acknowledged') {
    assert.ok(Date.now() - started < 2000, 'retries stalled');
    await new Promise((r) => setTimeout(r, 10));
  }
  // waits 20, 40, then 60 (capped): at least 120 ms before the fourth attempt.
  assert.ok(Date.now() - started >= 115, `took ${Date.now() - started} ms`);
  assert.deepEqual(h.sent, ['d1', 'd1', 'd1', 'd1', 'd2']);
  assert.equal(h.all.get('d1')?.attempts, 4);
  h.deliverer.close();
});

test('a forced retry goes at once; relationships do not wait for each other', async () => {
  const h = harness({ a1: [new VendorError('503', 503, true)] });
  h.add({ ...delivery(1, 'a'), id: 'a1' });
  h.add({ ...delivery(2, 'b'), id: 'b1' });
  await Promise.all([h.deliverer.kick('a'), h.deliverer.kick('b')]);
  assert.equal(h.all.get('b1')?.status, 'acknowledged');
  assert.equal(h.all.get('a1')?.status, 'pending');
  await h.deliverer.kick('a', true);
  assert.equal(h.all.get('a1')?.status, 'acknowledged');
  h.deliverer.close();
});
