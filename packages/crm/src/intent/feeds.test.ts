import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAnswerToIntent,
  validateIntentMessage,
  type IntentDecision,
  type Offer,
} from '@parley/protocol';
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

const FEEDS = '/crm/v1/intentFeeds';

for (const database of testDatabases()) {
  test(`${database.name}: feeds: a followed feed's new intentcasts are answered at their replyTo, once`, async (t) => {
    const api = await startIntentApi(database);
    const agent = await startLoopbackAgent();
    t.after(async () => {
      await api.close();
      await agent.close();
    });
    await addCatalogue(api, api.keys.a, BIKES);
    const person = new IntentPerson(agent.replyTo);
    const intents = [
      person.intentcast().intent,
      person.intentcast({
        intent: { category: 'phones', description: 'A phone', tags: ['5g'] },
        price: { max: 600, currency: 'EUR' },
      }).intent,
      person.intentcast({ intent: { category: 'boats', description: 'A boat', tags: [] } }).intent,
    ];
    agent.feed.push(...intents);

    // Following: admin only; http(s) only; the same URL again is the same feed.
    assert.equal((await api.call(api.keys.b, 'POST', FEEDS, { url: agent.feedUrl })).status, 403);
    assert.equal((await api.call(api.keys.a, 'POST', FEEDS, { url: 'file:///etc/passwd' })).status, 400);
    assert.equal(
      (await api.call(api.keys.a, 'POST', FEEDS, { url: 'http://user:pw@example.org/feed' })).status,
      400,
    );
    const followed = await api.call(api.keys.a, 'POST', FEEDS, { url: agent.feedUrl });
    assert.equal(followed.status, 201, JSON.stringify(followed.body));
    assert.equal(followed.body?.cursor, null);
    const same = await api.call(api.keys.a, 'POST', FEEDS, { url: agent.feedUrl });
    assert.equal(same.status, 200);
    assert.equal(same.body?.id, followed.body?.id);

    // One poll reads every page (two intentcasts a page) and answers each.
    const first = await api.app.parleyIntents.pollFeeds();
    assert.deepEqual(first, { feeds: 1, answered: 3, known: 0, refused: 0, failed: 0 });
    assert.deepEqual(agent.feedReads, ['', '2', '3']);
    await api.app.parleyIntents.deliverAnswers(5000);
    assert.equal(agent.answers.length, 3);
    for (const [i, intent] of intents.entries()) {
      const answer = agent.answers.find(
        (a) => (a.decision as IntentDecision).intentId === intent.id,
      ) as Record<string, unknown>;
      assert.ok(answer, `answered intent ${i}`);
      assert.match(String(answer.vendor), new RegExp(`${vendorPath(api.tenants.a)}$`));
      const decision = validateIntentMessage<IntentDecision>(answer.decision, { type: 'IntentDecision' });
      checkAnswerToIntent(decision, intent);
      if (i < 2) {
        assert.equal(decision.decision, 'accept');
        checkAnswerToIntent(validateIntentMessage<Offer>(answer.offer, { type: 'Offer' }), intent, decision);
      } else {
        assert.equal(decision.decision, 'reject');
        assert.equal(answer.offer, undefined);
      }
    }
    const listed = await api.call(api.keys.a, 'GET', FEEDS);
    const feed = (listed.body as unknown as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(feed.cursor, '3');
    assert.equal(feed.answered, 3);
    assert.equal(feed.lastError, null);

    // Polled again: only what is new; an intentcast also pushed before is not answered twice.
    const pushed = person.intentcast().intent;
    assert.equal((await pushIntent(api, api.tenants.a, pushed)).status, 200);
    const fresh = person.intentcast().intent;
    const genuine = person.intentcast().intent;
    const forged = { ...genuine, intent: { ...genuine.intent, description: 'Something else' } };
    agent.feed.push(pushed, fresh, forged);
    agent.feedReads.length = 0;
    const second = await api.app.parleyIntents.pollFeeds();
    assert.deepEqual(second, { feeds: 1, answered: 1, known: 1, refused: 1, failed: 0 });
    assert.deepEqual(agent.feedReads, ['3', '5', '6']);
    await api.app.parleyIntents.deliverAnswers(5000);
    assert.equal(agent.answers.length, 4);
    assert.equal((agent.answers[3]?.decision as IntentDecision).intentId, fresh.id);
    const third = await api.app.parleyIntents.pollFeeds();
    assert.equal(third.answered, 0);
    assert.equal(agent.answers.length, 4);
  });

  test(`${database.name}: feeds: manual mode waits for a person; a feed that is down keeps its cursor`, async (t) => {
    const api = await startIntentApi(database);
    const agent = await startLoopbackAgent();
    t.after(async () => {
      await api.close();
      await agent.close();
    });
    await addCatalogue(api, api.keys.a, BIKES);
    await setIntentPolicy(api, api.keys.a, { mode: 'manual', accepts: ['PDC-INTENT'] });
    const person = new IntentPerson(agent.replyTo);
    const { intent } = person.intentcast();
    agent.feed.push(intent);
    const followed = await api.call(api.keys.a, 'POST', FEEDS, { url: agent.feedUrl });
    assert.equal(followed.status, 201);
    assert.equal((await api.app.parleyIntents.pollFeeds()).answered, 1);
    await api.app.parleyIntents.deliverAnswers(2000);
    assert.equal(agent.answers.length, 0, 'pending: nothing sent yet');
    const decided = await api.call(
      api.keys.a,
      'POST',
      `/crm/v1/intents/${encodeURIComponent(intent.id)}/decision`,
      {
        decision: 'accept',
      },
    );
    assert.equal(decided.status, 200);
    await api.app.parleyIntents.deliverAnswers(5000);
    assert.equal(agent.answers.length, 1);
    assert.equal(String(agent.answers[0]?.vendor), String(followed.body?.vendorUrl));

    // The agent goes away: the poll fails, the cursor stays, the error is kept (origin only).
    await agent.close();
    const down = await api.app.parleyIntents.pollFeeds();
    assert.equal(down.failed, 1);
    const feed = ((await api.call(api.keys.a, 'GET', FEEDS)).body as unknown as Record<string, unknown>[])[0];
    assert.equal(feed?.cursor, '1');
    assert.match(String(feed?.lastError), new RegExp(`^${agent.url}: `));
    assert.ok(!String(feed?.lastError).includes('/intents/feed'));
    assert.equal((await api.call(api.keys.a, 'DELETE', `${FEEDS}/${String(feed?.id)}`)).status, 204);
    assert.deepEqual((await api.call(api.keys.a, 'GET', FEEDS)).body, []);
  });
}
