import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Party } from '../identity/party.js';
import { IntentError, ProofError } from '../errors.js';
import {
  acceptOffer,
  checkAcceptance,
  checkAnswerToIntent,
  createIntentcast,
  decideIntent,
  makeOffer,
  validateIntentMessage,
  type Intentcast,
  type IntentDecision,
  type Offer,
} from './intent.js';

const wire = <T>(m: T) => JSON.parse(JSON.stringify(m)) as unknown;
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

function cast(person = Party.generate().pairwise('intent:1')) {
  const intent = createIntentcast(
    {
      intent: {
        category: 'bicycles',
        description: 'A commuter e-bike',
        tags: ['e-bike', 'commuter'],
        brands: ['Gazelle'],
      },
      price: { min: 1500, max: 2500, currency: 'EUR' },
      location: { country: 'NL', region: 'Utrecht' },
      validUntil: inDays(14),
      terms: ['PDC-INTENT', '2P-30D'],
      replyTo: 'https://agent.example/intents/answers',
    },
    person,
  );
  return { person, intent };
}

test('an intentcast carries no one: a one-off DID, coarse place, terms; vendors accept, counter or reject by policy', () => {
  const { person, intent } = cast();
  const got = validateIntentMessage<Intentcast>(wire(intent), { type: 'Intentcast' });
  assert.equal(got.from, person.did);
  assert.deepEqual(
    got.terms.map((t) => t.id.split(/[#/]/).at(-1)),
    ['PDC-INTENT', '2P-30D'],
  );
  const shop = Party.generate('shop');
  const yes = decideIntent(got, shop, { accepts: ['2P-30D'] });
  assert.equal(yes.decision, 'accept');
  assert.equal(yes.terms?.id, intent.terms[1]?.id, 'the first of hers it deals under');
  const counter = decideIntent(got, shop, {
    accepts: ['SD-BASE-A'],
    counter: 'SD-BASE-A',
    reason: 'We need to deliver it.',
  });
  assert.equal(counter.decision, 'counter');
  const no = decideIntent(got, shop, { accepts: ['SD-BASE'] });
  assert.equal(no.decision, 'reject');
  for (const d of [yes, counter, no]) {
    const checked = validateIntentMessage<IntentDecision>(wire(d), { type: 'IntentDecision' });
    checkAnswerToIntent(checked, got);
  }
  assert.throws(
    () =>
      makeOffer(got, no, shop, {
        items: [{ sku: 'x', name: 'x', quantity: 1, unitPrice: 1 }],
        currency: 'EUR',
        validUntil: inDays(2),
      }),
    IntentError,
  );
});

test('an offer is checked against its intent and decision; acceptance names the fresh identity of the relationship', () => {
  const { person, intent } = cast();
  const shop = Party.generate('shop');
  const decision = decideIntent(intent, shop, { accepts: ['PDC-INTENT'] });
  const offer = makeOffer(intent, decision, shop, {
    items: [{ sku: 'GZ-ULT-T10', name: 'Gazelle Ultimate T10', quantity: 1, unitPrice: 2299 }],
    currency: 'EUR',
    validUntil: inDays(3),
  });
  const got = validateIntentMessage<Offer>(wire(offer), { type: 'Offer' });
  checkAnswerToIntent(got, intent, decision);
  assert.equal(got.total.amount, 2299);
  // Prices binary floating point cannot hold exactly (19.99 * 100 is 1998.9999999999998) are carried.
  const small = makeOffer(intent, decision, shop, {
    items: [{ sku: 'BELL', name: 'Bell', quantity: 3, unitPrice: 19.99 }],
    currency: 'EUR',
    validUntil: inDays(3),
  });
  assert.equal(validateIntentMessage<Offer>(wire(small)).total.amount, 59.97);

  const relationship = Party.generate().pairwise('relationship');
  const yes = acceptOffer(got, person, relationship.did);
  checkAcceptance(validateIntentMessage(wire(yes), { type: 'OfferAcceptance' }) as typeof yes, got);
  // Only the intent's identity can accept; an acceptance of another offer is refused.
  assert.throws(() => acceptOffer(got, Party.generate(), relationship.did), IntentError);
  const other = makeOffer(intent, decision, shop, {
    items: [{ sku: 'B', name: 'B', quantity: 2, unitPrice: 10 }],
    currency: 'EUR',
    validUntil: inDays(1),
  });
  assert.throws(
    () => checkAcceptance(yes, other),
    (e: unknown) => e instanceof IntentError && e.field === 'offerHash',
  );
  // An offer for another intent, or from a vendor other than the decision's, is refused.
  const { intent: another } = cast(person);
  assert.throws(
    () => checkAnswerToIntent(got, another, decision),
    (e: unknown) => e instanceof IntentError && e.code === 'wrong-intent',
  );
  const stranger = decideIntent(intent, Party.generate(), { accepts: ['PDC-INTENT'] });
  assert.throws(
    () => checkAnswerToIntent(got, intent, stranger),
    (e: unknown) => e instanceof IntentError && e.field === 'decisionId',
  );
  // Expired offers are refused when taken.
  const now = () => Date.now() + 4 * 86_400_000;
  assert.throws(
    () => checkAnswerToIntent(got, intent, decision, { now }),
    (e: unknown) => e instanceof IntentError && e.code === 'expired',
  );
  assert.throws(() => acceptOffer(got, person, relationship.did, { now }), /expired/);
});

test('forged, tampered, oversize and malformed intent messages are refused naming the field', () => {
  const { intent } = cast();
  const forged = { ...(wire(intent) as Record<string, unknown>), from: Party.generate().did };
  assert.throws(() => validateIntentMessage(forged), ProofError);
  const tampered = wire(intent) as { price: { max: number } };
  tampered.price.max = 99999;
  assert.throws(() => validateIntentMessage(tampered), ProofError);
  const bad = (change: (m: Record<string, unknown>) => void, field: string) => {
    const m = wire(intent) as Record<string, unknown>;
    change(m);
    assert.throws(
      () => validateIntentMessage(m),
      (e: unknown) => e instanceof IntentError && e.field === field,
      field,
    );
  };
  bad((m) => ((m.price as Record<string, unknown>).currency = 'euro'), 'price.currency');
  bad((m) => ((m.price as Record<string, unknown>).min = 3000), 'price.min');
  bad((m) => (m.validUntil = inDays(200)), 'validUntil');
  bad((m) => (m.validUntil = m.validFrom), 'validUntil');
  bad((m) => (m.replyTo = 'javascript:alert(1)'), 'replyTo');
  bad((m) => ((m.intent as Record<string, unknown>).tags = ['a b']), 'intent.tags[0]');
  bad((m) => ((m.intent as Record<string, unknown>).description = 'x'.repeat(20_000)), 'intent.description');
  bad((m) => (m.email = 'alice@example.org'), 'email');
  bad((m) => (m.location = { country: 'NL', street: '1 Canal' }), 'location.street');
  bad((m) => (m.terms = []), 'terms');
  bad((m) => (m.createdAt = inDays(1)), 'createdAt');
});
