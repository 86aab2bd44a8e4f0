import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decideIntent, makeOffer, Party, type Intentcast, type SignedIntentMessage } from '@parley/protocol';
import { startAgent } from '../http/server.js';
import { startVendors } from '../testing/vendors.js';

/* Her side of intentcasting: the public feed and answer door, and what they refuse. */

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

test('answers at her public door are verified: forged, replayed, expired, oversize, or for no intent', async () => {
  const { vendors, dir, close } = await startVendors(['Shop']);
  const shop = vendors[0];
  assert.ok(shop);
  const running = await startAgent({
    vaultPath: join(dir, 'i.vault'),
    passphrase: 'test passphrase',
    create: true,
  });
  const api = async (method: string, path: string, body?: unknown, auth = true) => {
    const r = await fetch(running.url + path, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${running.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };
  try {
    // Bad input to her own API names the field.
    let r = await api('POST', '/api/v1/intents', {
      intent: { category: 'bicycles', description: 'e-bike', tags: [] },
      price: { max: 100, currency: 'euro' },
      validUntil: inDays(5),
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'body.price.currency');
    r = await api('POST', '/api/v1/intents', {
      intent: { category: 'bicycles', description: 'e-bike', tags: [] },
      price: { max: 100, currency: 'EUR' },
      validUntil: inDays(200),
    });
    assert.equal(r.status, 422);
    assert.equal(r.body.field, 'validUntil');

    r = await api('POST', '/api/v1/intents', {
      intent: { category: 'bicycles', description: 'e-bike', tags: ['e-bike'] },
      price: { max: 2500, currency: 'EUR' },
      validUntil: inDays(5),
    });
    assert.equal(r.status, 201);
    const id = r.body.id as string;

    // The feed is public and holds the signed intentcast, nothing else.
    const feed = await api('GET', '/intents/feed', undefined, false);
    const intents = feed.body.intents as SignedIntentMessage<Intentcast>[];
    assert.equal(intents.length, 1);
    const intent = intents[0];
    assert.ok(intent);
    assert.doesNotMatch(JSON.stringify(feed.body), /@example|Ada/);
    const next = await api('GET', `/intents/feed?after=${String(feed.body.next)}`, undefined, false);
    assert.deepEqual(next.body.intents, []);

    const decision = decideIntent(intent, shop.identity, { accepts: ['PDC-INTENT'] });
    const offer = makeOffer(intent, decision, shop.identity, {
      items: [{ sku: 'EB-1', name: 'E-bike', quantity: 1, unitPrice: 1999 }],
      currency: 'EUR',
      validUntil: inDays(2),
    });
    // Signed by someone else but claiming to be the shop: refused, nothing stored.
    const stranger = Party.generate('stranger');
    const forged = decideIntent(intent, stranger, { accepts: ['PDC-INTENT'] });
    r = await api('POST', '/intents/answers', { vendor: shop.url, decision: forged }, false);
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'decision.from');
    // Tampered offer: the signature breaks.
    const tampered = { ...offer, note: 'Free delivery' };
    r = await api('POST', '/intents/answers', { vendor: shop.url, decision, offer: tampered }, false);
    assert.equal(r.status, 400);
    assert.match(String(r.body.detail), /signature|proof/);
    // Expired offer.
    const stale = makeOffer(
      intent,
      decision,
      shop.identity,
      {
        items: [{ sku: 'EB-1', name: 'E-bike', quantity: 1, unitPrice: 1999 }],
        currency: 'EUR',
        validUntil: inDays(-1),
      },
      { now: () => Date.now() - 3 * 86_400_000 },
    );
    r = await api('POST', '/intents/answers', { vendor: shop.url, decision, offer: stale }, false);
    assert.equal(r.status, 400);
    assert.match(String(r.body.detail), /expired|createdAt/);
    // An answer for an intent that does not exist.
    const other = { ...intent, id: 'urn:uuid:00000000-0000-4000-8000-000000000000' } as typeof intent;
    const orphan = decideIntent(other, shop.identity, { accepts: ['PDC-INTENT'] });
    r = await api('POST', '/intents/answers', { vendor: shop.url, decision: orphan }, false);
    assert.equal(r.status, 404);
    // Oversize.
    r = await api(
      'POST',
      '/intents/answers',
      JSON.stringify({ vendor: shop.url, pad: 'x'.repeat(100_000) }),
      false,
    );
    assert.equal(r.status, 413);
    r = await api('GET', `/api/v1/intents/${encodeURIComponent(id)}`);
    assert.deepEqual(r.body.answers, [], 'nothing was stored');

    // The genuine answer is taken once; the same again changes nothing.
    r = await api('POST', '/intents/answers', { vendor: shop.url, decision, offer }, false);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    r = await api('POST', '/intents/answers', { vendor: shop.url, decision, offer }, false);
    assert.equal(r.status, 202);
    r = await api('GET', `/api/v1/intents/${encodeURIComponent(id)}`);
    const answers = r.body.answers as { decision: string; offer: { total: { amount: number } } }[];
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.offer.total.amount, 1999);

    // Withdrawn: it leaves the feed, and later answers are refused.
    r = await api('DELETE', `/api/v1/intents/${encodeURIComponent(id)}`);
    assert.equal(r.body.status, 'closed');
    assert.deepEqual((await api('GET', '/intents/feed', undefined, false)).body.intents, []);
    r = await api('POST', '/intents/answers', { vendor: shop.url, decision }, false);
    assert.equal(r.status, 410);
  } finally {
    await running.close();
    await close();
  }
});
