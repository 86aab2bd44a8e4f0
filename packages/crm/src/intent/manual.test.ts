import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ed25519NoteVerifier, verifyLedgerReceipt } from '@parley/ledger';
import {
  checkAnswerToIntent,
  findTerms,
  validateIntentMessage,
  type IntentDecision,
  type Offer,
} from '@parley/protocol';
import { vendorCall } from '../agreement/testing.js';
import { vendorPath } from '../agreement/vendor.js';
import { testDatabases } from '../testing/databases.js';
import {
  addCatalogue,
  BIKES,
  IntentPerson,
  pushIntent,
  setIntentPolicy,
  startIntentApi,
  startLoopbackAgent,
} from './testing.js';

const decide = (id: string) => `/crm/v1/intents/${encodeURIComponent(id)}/decision`;

for (const database of testDatabases()) {
  test(`${database.name}: manual: pending (202) until a person decides; the answer goes to replyTo`, async (t) => {
    const api = await startIntentApi(database);
    const agent = await startLoopbackAgent();
    t.after(async () => {
      await api.close();
      await agent.close();
    });
    const ids = await addCatalogue(api, api.keys.a, BIKES);
    await setIntentPolicy(api, api.keys.a, {
      mode: 'manual',
      accepts: ['2P-30D'],
      counter: '2P-30D',
      reason: 'We keep your details 30 days.',
    });
    const vendor = await vendorCall(api, 'GET', vendorPath(api.tenants.a));
    const person = new IntentPerson(agent.replyTo);
    const { intent } = person.intentcast();
    const r = await pushIntent(api, api.tenants.a, intent);
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.status, 'pending');
    assert.equal(r.body.decision, undefined);
    verifyLedgerReceipt(r.body.ledger.intentcast, Ed25519NoteVerifier.fromVkey(vendor.body.ledger.vkey));
    assert.equal(r.body.ledger.intentcast.record.type, 'intentcast');
    // The same again: still pending.
    const again = await pushIntent(api, api.tenants.a, intent);
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, r.body);

    // Staff see it; a read-only key reads but cannot decide; another tenant sees nothing.
    const pending = await api.call(api.keys.aRead, 'GET', '/crm/v1/intents?status=pending');
    assert.equal(pending.status, 200);
    assert.equal(pending.headers['x-total-count'], '1');
    const view = (pending.body as unknown as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(view.id, intent.id);
    assert.equal(view.status, 'pending');
    assert.deepEqual(view.terms, ['PDC-INTENT']);
    assert.deepEqual(view.intent, intent.intent);
    assert.equal((await api.call(api.keys.a, 'GET', '/crm/v1/intents?status=nope')).status, 400);
    assert.equal(
      (await api.call(api.keys.aRead, 'POST', decide(intent.id), { decision: 'accept' })).status,
      403,
    );
    const elsewhere = await api.call(api.keys.b, 'POST', decide(intent.id), { decision: 'accept' });
    assert.equal(elsewhere.status, 404);
    assert.equal(agent.answers.length, 0);

    // She proffered PDC-INTENT only; the person counters with 2P-30D and names the offering.
    const decided = await api.call(api.keys.a, 'POST', decide(intent.id), {
      decision: 'counter',
      items: [{ sku: ids[1], quantity: 2 }],
    });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    const decision = validateIntentMessage<IntentDecision>(decided.body?.decision, {
      type: 'IntentDecision',
    });
    const offer = validateIntentMessage<Offer>(decided.body?.offer, { type: 'Offer' });
    assert.equal(decision.decision, 'counter');
    assert.equal(findTerms(decision.terms?.id ?? '')?.code, '2P-30D');
    assert.equal(decision.reason, 'We keep your details 30 days.');
    assert.deepEqual(offer.items, [{ sku: ids[1], name: 'Cortina E-Common', quantity: 2, unitPrice: 1899 }]);
    assert.deepEqual(offer.total, { amount: 3798, currency: 'EUR' });
    checkAnswerToIntent(decision, intent);
    checkAnswerToIntent(offer, intent, decision);

    // Delivered to her agent: {vendor, decision, offer, ledger}, the receipts verifiable.
    await api.app.parleyIntents.deliverAnswers(5000);
    assert.equal(agent.answers.length, 1);
    const answer = agent.answers[0] as Record<string, { [k: string]: unknown }>;
    assert.match(String(answer.vendor), new RegExp(`^http://[^/]+${vendorPath(api.tenants.a)}$`));
    assert.deepEqual(answer.decision, decided.body?.decision);
    assert.deepEqual(answer.offer, decided.body?.offer);
    const verifier = Ed25519NoteVerifier.fromVkey(vendor.body.ledger.vkey);
    verifyLedgerReceipt(answer.ledger?.decision, verifier);
    verifyLedgerReceipt(answer.ledger?.offer, verifier);

    // Decided once; the intentcast sent again gets the decision now.
    const twice = await api.call(api.keys.a, 'POST', decide(intent.id), { decision: 'reject' });
    assert.equal(twice.status, 409);
    assert.equal(twice.body?.code, 'decided');
    const replay = await pushIntent(api, api.tenants.a, intent);
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.body.decision, decided.body?.decision);
    const one = await api.call(api.keys.a, 'GET', `/crm/v1/intents/${encodeURIComponent(intent.id)}`);
    assert.equal(one.body?.status, 'decided');
    assert.deepEqual(one.body?.delivery, { status: 'delivered', attempts: 1 });
    await api.app.parleyIntents.deliverAnswers(1000);
    assert.equal(agent.answers.length, 1, 'delivered once');
  });

  test(`${database.name}: manual: accept and reject; unreachable replyTo retried, refused answers given up`, async (t) => {
    const api = await startIntentApi(database);
    const agent = await startLoopbackAgent();
    t.after(async () => {
      await api.close();
      await agent.close();
    });
    await addCatalogue(api, api.keys.a, BIKES);
    await setIntentPolicy(api, api.keys.a, { mode: 'manual', accepts: ['SD-BASE'] });
    const person = new IntentPerson(agent.replyTo);

    // Accept overrides the policy (none of hers accepted: her first terms), items are the best match.
    const first = person.intentcast({ terms: ['PDC-INTENT', '2P-30D'] }).intent;
    assert.equal((await pushIntent(api, api.tenants.a, first)).status, 202);
    const noCounter = await api.call(api.keys.a, 'POST', decide(first.id), { decision: 'counter' });
    assert.equal(noCounter.status, 422);
    assert.equal(noCounter.body?.field, 'body.decision');
    const unknownSku = await api.call(api.keys.a, 'POST', decide(first.id), {
      decision: 'accept',
      items: [{ sku: 'no-such-offering' }],
    });
    assert.equal(unknownSku.status, 422);
    assert.equal(unknownSku.body?.field, 'body.items.0.sku');
    // Her agent is down for the first attempt: retried with backoff.
    agent.answerStatus = 503;
    const accepted = await api.call(api.keys.a, 'POST', decide(first.id), {
      decision: 'accept',
      reason: 'Delivered within a week.',
    });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const body = accepted.body as Record<string, Record<string, unknown>>;
    assert.equal(body.decision?.decision, 'accept');
    assert.equal(findTerms((body.decision?.terms as { id: string }).id)?.code, 'PDC-INTENT');
    assert.equal(body.offer?.note, 'Delivered within a week.');
    await api.app.parleyIntents.ctx.deliverer.deliverDue();
    assert.equal(agent.answers.length, 0);
    const failed = await api.call(api.keys.a, 'GET', `/crm/v1/intents/${encodeURIComponent(first.id)}`);
    assert.equal((failed.body?.delivery as { status: string }).status, 'pending');
    assert.match((failed.body?.delivery as { error: string }).error, /answered 503/);
    agent.answerStatus = 202;
    await api.app.parleyIntents.deliverAnswers(5000);
    assert.equal(agent.answers.length, 1);

    // A rejection with a reason; her agent refuses it (410: she closed the intent): not retried.
    const second = person.intentcast().intent;
    await pushIntent(api, api.tenants.a, second);
    agent.answerStatus = 410;
    const rejected = await api.call(api.keys.a, 'POST', decide(second.id), {
      decision: 'reject',
      reason: 'Out of stock.',
    });
    assert.equal(rejected.status, 200);
    assert.equal((rejected.body?.decision as { reason: string }).reason, 'Out of stock.');
    assert.equal(rejected.body?.offer, undefined);
    await api.app.parleyIntents.deliverAnswers(5000);
    const view = await api.call(api.keys.a, 'GET', `/crm/v1/intents/${encodeURIComponent(second.id)}`);
    assert.deepEqual(view.body?.delivery, {
      status: 'failed',
      attempts: 1,
      error: `${agent.url} answered 410`,
    });

    const decidedList = await api.call(api.keys.a, 'GET', '/crm/v1/intents?status=decided');
    assert.equal(decidedList.headers['x-total-count'], '2');
    assert.equal(
      (await api.call(api.keys.a, 'POST', decide('urn:uuid:nope'), { decision: 'reject' })).status,
      404,
    );
  });

  test(`${database.name}: manual: an expired intentcast cannot be decided`, async (t) => {
    const api = await startIntentApi(database);
    t.after(api.close);
    await addCatalogue(api, api.keys.a, BIKES);
    await setIntentPolicy(api, api.keys.a, { mode: 'manual', accepts: ['PDC-INTENT'] });
    const person = new IntentPerson();
    const { intent } = person.intentcast({ validUntil: new Date(Date.now() + 700).toISOString() });
    assert.equal((await pushIntent(api, api.tenants.a, intent)).status, 202);
    await new Promise((r) => setTimeout(r, 800));
    const late = await api.call(api.keys.a, 'POST', decide(intent.id), { decision: 'accept' });
    assert.equal(late.status, 410);
    assert.equal(late.body?.code, 'expired');
    const listed = await api.call(api.keys.a, 'GET', '/crm/v1/intents?status=pending');
    assert.equal((listed.body as unknown as { open: boolean }[])[0]?.open, false);
  });
}
