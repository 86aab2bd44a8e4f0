import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendFeedback, validateParleyMessage, type Feedback } from '@parley/protocol';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, create, household } from '../testing/fixtures.js';
import { addApiKey } from '../tenant/keys.js';
import { TestPerson } from '../agreement/testing.js';
import { escalateTickets } from '../ticket/escalation.js';
import { escalateToSupervisor } from './desk.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test answers are read freely
type Any = any;

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Any;
}

/**
 * The outside world on loopback: a Postmark-like email API, a chat backend and a Mastodon instance in one real
 * HTTP server that records every request it gets. `failNext` answers 503 to the next requests of a path.
 */
async function fakeProviders() {
  const received: Received[] = [];
  const failNext = new Map<string, number>();
  let counter = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      received.push({
        method: req.method ?? '',
        url,
        headers: req.headers,
        body: text ? JSON.parse(text) : null,
      });
      const failures = failNext.get(url) ?? 0;
      if (failures > 0) {
        failNext.set(url, failures - 1);
        res.writeHead(503).end();
        return;
      }
      counter++;
      const answer =
        url === '/api/v1/statuses'
          ? { id: `11000${counter}`, visibility: 'direct' }
          : url === '/email'
            ? { MessageID: `postmark-${counter}`, ErrorCode: 0 }
            : { id: `chat-${counter}` };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    failNext,
    of: (url: string) => received.filter((r) => r.url === url),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Posts a provider's payload to a connector's webhook, signed (or not) with its secret. */
async function inbound(
  api: TestApi,
  connector: { id: string; secret: string },
  payload: unknown,
  secret?: string,
) {
  const raw = JSON.stringify(payload);
  const r = await api.app.inject({
    method: 'POST',
    url: `/crm/v1/channels/${connector.id}/inbound`,
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signBody(secret ?? connector.secret, raw),
    },
    payload: raw,
  });
  return { status: r.statusCode, body: JSON.parse(r.body) as Any };
}

async function connector(api: TestApi, body: unknown) {
  const r = await api.call(api.keys.a, 'POST', '/crm/v1/channelConnectors', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as Any as { id: string; secret: string };
}

const count = async (api: TestApi, table: string) =>
  Number(
    (
      await api.db.kysely
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

const ada = (api: TestApi) =>
  create(api, `${BASE.party}/individual`, {
    givenName: 'Ada',
    familyName: 'Example',
    contactMedium: [
      { mediumType: 'email', characteristic: { emailAddress: 'ada@example.org' } },
      { mediumType: 'social', characteristic: { socialNetworkId: '@ada@mastodon.example' } },
    ],
  });

const get = async (api: TestApi, url: string, key = api.keys.a) =>
  (await api.call(key, 'GET', url)).body as Any;

for (const database of testDatabases()) {
  test(`${database.name}: email in → ticket and interaction for the matched party; reply out on the thread; the next email joins the ticket; bad signatures write nothing`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    const world = await fakeProviders();
    t.after(async () => {
      await api.close();
      await world.close();
    });
    const party = await ada(api);
    const email = await connector(api, {
      kind: 'email',
      name: 'Support mailbox',
      settings: {
        outboundUrl: `${world.base}/email`,
        token: 'pm-server-token',
        fromAddress: 'support@telco.example',
      },
    });
    // The secret and the token are not shown again.
    const listed = await get(api, '/crm/v1/channelConnectors');
    assert.equal(listed.length, 1);
    assert.equal(listed[0].secret, undefined);
    assert.equal(listed[0].settings.token, undefined);
    assert.equal(listed[0].settings.tokenSet, true);
    assert.equal((await api.call(api.keys.aRead, 'GET', '/crm/v1/channelConnectors')).status, 403);

    const postmark = {
      From: '"Ada Example" <ADA@example.org>',
      To: 'support@telco.example',
      Subject: 'No signal at home since Monday',
      TextBody: 'My phone shows no signal in the kitchen.',
      MessageID: '<m1@mail.example>',
      Date: '2026-11-23T08:00:00Z',
    };
    const first = await inbound(api, email, postmark);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.partyId, party);
    assert.equal(first.body.opened, true);
    const ticket = await get(api, `${BASE.ticket}/troubleTicket/${first.body.ticketId}`);
    assert.equal(ticket.channel.id, 'email');
    assert.equal(ticket.priority, 'high');
    assert.equal(ticket.ticketType, 'no-service');
    assert.equal(ticket.relatedParty[0].id, party);
    assert.equal(ticket.status, 'acknowledged');
    const interaction = await get(api, `${BASE.interaction}/partyInteraction/${first.body.interactionId}`);
    assert.equal(interaction.direction, 'inbound');
    assert.equal(interaction.channel[0].id, 'email');
    assert.equal(interaction.reason, 'no-service');
    assert.equal(interaction.relatedParty[0].id, party);
    assert.equal(interaction.interactionItem[0].item.id, first.body.ticketId);

    // A replay of the same message changes nothing.
    const counts = async () => [
      await count(api, 'crm_tickets'),
      await count(api, 'crm_interactions'),
      await count(api, 'crm_channel_messages'),
    ];
    const before = await counts();
    const replay = await inbound(api, email, postmark);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.replay, true);
    assert.equal(replay.body.ticketId, first.body.ticketId);
    assert.deepEqual(await counts(), before);

    // Bad signatures: 401, nothing written.
    const forged = await inbound(api, email, { ...postmark, MessageID: '<m9@mail.example>' }, 'whsec_wrong');
    assert.equal(forged.status, 401);
    assert.equal(forged.body.field, SIGNATURE_HEADER);
    const unsigned = await api.app.inject({
      method: 'POST',
      url: `/crm/v1/channels/${email.id}/inbound`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...postmark, MessageID: '<m8@mail.example>' }),
    });
    assert.equal(unsigned.statusCode, 401);
    assert.deepEqual(await counts(), before);
    // A signed payload without what the adapter needs: 422 naming the field.
    const bad = await inbound(api, email, { From: 'ada@example.org', MessageID: '<m7@x>' });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.field, 'body.text');

    // The reply goes to the provider's API on the thread, with the token; the first reply is the response.
    const replied = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${first.body.ticketId}/reply`, {
      text: 'We are looking at the mast near you.',
    });
    assert.equal(replied.status, 201, JSON.stringify(replied.body));
    assert.equal(replied.body?.firstResponse, true);
    const sent = world.of('/email');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.headers.authorization, 'Bearer pm-server-token');
    assert.equal(sent[0]?.body.To, 'ADA@example.org');
    assert.equal(sent[0]?.body.From, 'support@telco.example');
    assert.equal(sent[0]?.body.Subject, 'Re: No signal at home since Monday');
    assert.equal(sent[0]?.body.InReplyTo, '<m1@mail.example>');
    assert.equal(sent[0]?.body.threadId, first.body.threadId);
    assert.equal(sent[0]?.body.TextBody, 'We are looking at the mast near you.');
    const clock = await get(api, `/crm/v1/troubleTicket/${first.body.ticketId}/slaClock`);
    assert.ok(clock.respondedAt);
    assert.equal(clock.responseBreached, false);
    const outbound = await get(
      api,
      `${BASE.interaction}/partyInteraction/${replied.body?.interactionId as string}`,
    );
    assert.equal(outbound.direction, 'outbound');
    assert.equal(outbound.channel[0].id, 'email');
    // A second reply does not move the clock again.
    const again = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${first.body.ticketId}/reply`, {
      text: 'Update: an engineer is on site.',
    });
    assert.equal(again.body?.firstResponse, false);
    assert.equal(again.body?.respondedAt, clock.respondedAt);

    // Her answer to our reply (In-Reply-To: our Message-ID) joins the same ticket.
    const second = await inbound(api, email, {
      ...postmark,
      Subject: 'Re: No signal at home since Monday',
      TextBody: 'Thanks, still nothing.',
      MessageID: '<m2@mail.example>',
      Headers: [{ Name: 'In-Reply-To', Value: sent[0]?.body.MessageID }],
    });
    assert.equal(second.status, 201);
    assert.equal(second.body.ticketId, first.body.ticketId);
    assert.equal(second.body.opened, false);
    assert.equal(second.body.threadId, first.body.threadId);
    // A new conversation opens a new ticket; the reply to it answers that one.
    const other = await inbound(api, email, {
      ...postmark,
      Subject: 'Invoice',
      MessageID: '<m3@mail.example>',
    });
    assert.notEqual(other.body.ticketId, first.body.ticketId);

    // Agents reply too; read-only keys do not; a ticket from no channel has nowhere to go.
    assert.equal(
      (
        await api.call(api.keys.aRead, 'POST', `/crm/v1/troubleTicket/${first.body.ticketId}/reply`, {
          text: 'x',
        })
      ).status,
      403,
    );
    const plain = await create(api, `${BASE.ticket}/troubleTicket`, {
      description: 'x',
      severity: 'minor',
      ticketType: 'billing',
    });
    const nowhere = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${plain}/reply`, { text: 'x' });
    assert.equal(nowhere.status, 422);
    assert.equal(nowhere.body?.field, 'id');
    // Another tenant's key cannot reply to it.
    assert.equal(
      (
        await api.call(api.keys.b, 'POST', `/crm/v1/troubleTicket/${first.body.ticketId}/reply`, {
          text: 'x',
        })
      ).status,
      404,
    );
  });

  test(`${database.name}: a Mastodon mention opens a ticket; the reply is a direct status in reply to it`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    const world = await fakeProviders();
    t.after(async () => {
      await api.close();
      await world.close();
    });
    const party = await ada(api);
    const missing = await api.call(api.keys.a, 'POST', '/crm/v1/channelConnectors', {
      kind: 'social',
      name: 'Mastodon',
      settings: { outboundUrl: world.base },
    });
    assert.equal(missing.status, 422);
    assert.equal(missing.body?.field, 'body.settings.token');
    const social = await connector(api, {
      kind: 'social',
      name: 'Mastodon',
      settings: {
        network: 'mastodon',
        outboundUrl: world.base,
        token: 'masto-token',
        instance: 'mastodon.example',
      },
    });
    const mention = {
      event: 'status.created',
      created_at: '2026-11-23T09:00:00.000Z',
      object: {
        id: '109876',
        created_at: '2026-11-23T09:00:00.000Z',
        in_reply_to_id: null,
        visibility: 'public',
        content:
          '<p><span class="h-card"><a href="https://mastodon.example/@telco">@<span>telco</span></a></span> my internet is down &amp; nobody answers the phone</p>',
        account: { id: '42', username: 'ada', acct: 'ada', display_name: 'Ada' },
      },
    };
    const taken = await inbound(api, social, mention);
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
    assert.equal(taken.body.partyId, party);
    const ticket = await get(api, `${BASE.ticket}/troubleTicket/${taken.body.ticketId}`);
    assert.equal(ticket.channel.id, 'social');
    assert.equal(ticket.priority, 'high');
    assert.match(ticket.description, /my internet is down & nobody answers/);

    const replied = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${taken.body.ticketId}/reply`, {
      text: 'Sorry Ada, we are on it: check your DMs.',
    });
    assert.equal(replied.status, 201, JSON.stringify(replied.body));
    const statuses = world.of('/api/v1/statuses');
    assert.equal(statuses.length, 1);
    assert.equal(statuses[0]?.method, 'POST');
    assert.equal(statuses[0]?.headers.authorization, 'Bearer masto-token');
    assert.deepEqual(statuses[0]?.body, {
      status: '@ada@mastodon.example Sorry Ada, we are on it: check your DMs.',
      in_reply_to_id: '109876',
      visibility: 'direct',
    });
    assert.equal(replied.body?.providerId, '110001');
    // Her answer to our status joins the ticket.
    const answer = await inbound(api, social, {
      ...mention,
      object: { ...mention.object, id: '109900', in_reply_to_id: '110001', content: '<p>thanks</p>' },
    });
    assert.equal(answer.body.ticketId, taken.body.ticketId);
  });

  test(`${database.name}: chat round trip: an unknown sender, one session one ticket, replies retried`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0, channels: { backoffMs: 5 } });
    const world = await fakeProviders();
    t.after(async () => {
      await api.close();
      await world.close();
    });
    const chat = await connector(api, {
      kind: 'chat',
      name: 'Web chat',
      settings: { outboundUrl: `${world.base}/chat` },
    });
    const hello = await inbound(api, chat, {
      externalId: 'c-1',
      sessionId: 'session-7',
      from: { email: 'zed@unknown.example', name: 'Zed' },
      text: 'Hi, a question about my bill',
    });
    assert.equal(hello.status, 201, JSON.stringify(hello.body));
    // An unknown sender is recorded without a party.
    assert.equal(hello.body.partyId, null);
    const ticket = await get(api, `${BASE.ticket}/troubleTicket/${hello.body.ticketId}`);
    assert.equal(ticket.relatedParty, undefined);
    assert.equal(ticket.ticketType, 'billing');
    const more = await inbound(api, chat, {
      externalId: 'c-2',
      sessionId: 'session-7',
      from: { email: 'zed@unknown.example' },
      text: 'It shows a charge twice.',
    });
    assert.equal(more.body.ticketId, hello.body.ticketId);
    assert.equal(
      (await inbound(api, chat, { externalId: 'c-3', from: { name: 'x' }, text: 'x' })).body.field,
      'body.from',
    );

    // The chat backend fails once: the reply is retried and arrives.
    world.failNext.set('/chat', 1);
    const replied = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${hello.body.ticketId}/reply`, {
      text: 'Hello Zed, let me check.',
    });
    assert.equal(replied.status, 201, JSON.stringify(replied.body));
    const sent = world.of('/chat');
    assert.equal(sent.length, 2);
    assert.deepEqual(
      { sessionId: sent[1]?.body.sessionId, text: sent[1]?.body.text },
      { sessionId: 'session-7', text: 'Hello Zed, let me check.' },
    );
    // A provider that keeps failing: 502, nothing recorded.
    world.failNext.set('/chat', 5);
    const messages = await count(api, 'crm_channel_messages');
    const failed = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${hello.body.ticketId}/reply`, {
      text: 'Are you there?',
    });
    assert.equal(failed.status, 502);
    assert.equal(failed.body?.field, 'connector');
    assert.equal(await count(api, 'crm_channel_messages'), messages);

    // A deleted connector refuses its webhook.
    assert.equal((await api.call(api.keys.a, 'DELETE', `/crm/v1/channelConnectors/${chat.id}`)).status, 204);
    assert.equal(
      (await inbound(api, chat, { externalId: 'c-4', sessionId: 's', from: { email: 'z@x' }, text: 'x' }))
        .status,
      401,
    );
  });

  test(`${database.name}: a self-care message opens a ticket; the reply is visible to that self-care key only`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const h = await household(api);
    const holder = await addApiKey(api.db, api.tenants.a, 'selfcare', 'portal', undefined, h.holder);
    const child = await addApiKey(api.db, api.tenants.a, 'selfcare', 'portal', undefined, h.child);
    const sent = await api.call(holder, 'POST', '/crm/v1/selfcare/messages', {
      subject: 'Roaming charges',
      text: 'Why was I charged for roaming?',
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal(sent.body?.partyId, h.holder);
    const ticket = await get(api, `${BASE.ticket}/troubleTicket/${sent.body?.ticketId as string}`);
    assert.equal(ticket.channel.id, 'selfcare');
    assert.equal(ticket.relatedParty[0].id, h.holder);
    // Staff keys do not write as the person.
    assert.equal(
      (await api.call(api.keys.a, 'POST', '/crm/v1/selfcare/messages', { text: 'x' })).status,
      403,
    );

    const replied = await api.call(
      api.keys.a,
      'POST',
      `/crm/v1/troubleTicket/${sent.body?.ticketId as string}/reply`,
      {
        text: 'That was a network error: refunded.',
      },
    );
    assert.equal(replied.status, 201, JSON.stringify(replied.body));
    const mine = await get(api, '/crm/v1/selfcare/messages', holder);
    assert.deepEqual(
      mine.map((m: Any) => [m.direction, m.text]),
      [
        ['inbound', 'Why was I charged for roaming?'],
        ['outbound', 'That was a network error: refunded.'],
      ],
    );
    assert.deepEqual(await get(api, '/crm/v1/selfcare/messages', child), []);
    // Continuing the thread joins the ticket.
    const more = await api.call(holder, 'POST', '/crm/v1/selfcare/messages', {
      text: 'Thank you!',
      threadId: sent.body?.threadId,
    });
    assert.equal(more.body?.ticketId, sent.body?.ticketId);
  });

  test(`${database.name}: protocol Feedback is a ticket on the agent channel; the reply is a signed Feedback she collects as a notice`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const person = new TestPerson(api, api.tenants.a);
    const agreed = await person.proffer(['SD-BASE'], { retentionDays: 30 });
    assert.equal(agreed.body?.status, 'agreed', agreed.text);
    assert.ok(person.agreement);
    const question = sendFeedback(person.agreement, person.identity, {
      kind: 'feedback',
      subject: 'Plan change',
      body: 'Can I move to the smaller plan next month?',
    });
    const sent = await person.send(person.event('statusEvent', question));
    assert.equal(sent.status, 200, sent.text);
    const queue = await get(api, '/crm/v1/ticketQueue?channel=agent');
    assert.equal(queue.length, 1);
    assert.equal(queue[0].channel, 'agent');
    assert.equal(queue[0].priority, 'low');
    const ticketId = queue[0].id as string;
    assert.ok(queue[0].partyId);

    const replied = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${ticketId}/reply`, {
      text: 'Yes: it takes effect on the 1st.',
    });
    assert.equal(replied.status, 201, JSON.stringify(replied.body));
    assert.equal(replied.body?.firstResponse, true);

    const pulled = await person.pull(person.dataRequest(['notices']));
    assert.equal(pulled.status, 200, pulled.text);
    const notices = pulled.body.notices as Any[];
    const feedbackNotices = notices.filter((n) => n.type === 'Feedback');
    assert.equal(feedbackNotices.length, 1);
    const message = validateParleyMessage<Feedback>(feedbackNotices[0].message, { type: 'Feedback' });
    assert.equal(message.from, person.vendorDid);
    assert.equal(message.to, person.identity.did);
    assert.equal(message.agreementId, person.agreement.id);
    assert.equal(message.body, 'Yes: it takes effect on the 1st.');
    assert.equal(message.subject, 'Re: Plan change');
    assert.equal(message.inReplyTo, question.id);

    // Her answer to the vendor's Feedback joins the same ticket.
    const thanks = sendFeedback(person.agreement, person.identity, {
      kind: 'feedback',
      subject: 'Re: Plan change',
      body: 'Thanks!',
      inReplyTo: message.id,
    });
    assert.equal((await person.send(person.event('statusEvent', thanks))).status, 200);
    const rows = await api.db.kysely
      .selectFrom('crm_interactions')
      .select(['ticket_id', 'direction'])
      .where('channel', '=', 'agent')
      .execute();
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.ticket_id === ticketId));
    assert.equal((await get(api, '/crm/v1/ticketQueue?channel=agent')).length, 1);
  });

  test(`${database.name}: the queue: round robin, assignment, filters, breach warnings, supervisor on escalation`, async (t) => {
    let now = Date.now();
    const api = await startTestApi(database, { escalationIntervalMs: 0, clock: { now: () => now } });
    const world = await fakeProviders();
    t.after(async () => {
      await api.close();
      await world.close();
    });
    const agent = async (body: unknown) => {
      const r = await api.call(api.keys.a, 'POST', '/crm/v1/deskAgents', body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body?.id as string;
    };
    const ann = await agent({ name: 'Ann', channels: ['email', 'chat'], skills: ['billing'] });
    now += 1;
    const bob = await agent({ name: 'Bob' });
    now += 1;
    const sue = await agent({ name: 'Sue', supervisor: true });
    assert.equal((await get(api, '/crm/v1/deskAgents')).length, 3);
    assert.equal((await api.call(api.keys.aRead, 'POST', '/crm/v1/deskAgents', { name: 'x' })).status, 403);

    const email = await connector(api, {
      kind: 'email',
      name: 'Mail',
      settings: { outboundUrl: `${world.base}/email` },
    });
    const chat = await connector(api, {
      kind: 'chat',
      name: 'Chat',
      settings: { outboundUrl: `${world.base}/chat` },
    });
    const mail = async (n: number, subject: string) => {
      now += 1000;
      const r = await inbound(api, email, {
        From: 'someone@example.org',
        Subject: subject,
        TextBody: subject,
        MessageID: `<q${n}@mail.example>`,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { ticketId: string; assignee: string };
    };
    const t1 = await mail(1, 'Question about my plan');
    const t2 = await mail(2, 'Another question');
    const t3 = await mail(3, 'Someone made unauthorized purchases: fraud');
    assert.deepEqual([t1.assignee, t2.assignee, t3.assignee], [ann, bob, ann]);
    now += 1000;
    const c1 = await inbound(api, chat, {
      externalId: 'x',
      sessionId: 's',
      from: { phone: '+1 555' },
      text: 'hi',
    });
    assert.equal(c1.body.assignee, bob);

    const queue = async (query = '') => (await get(api, `/crm/v1/ticketQueue${query}`)) as Any[];
    assert.equal((await queue()).length, 4);
    assert.deepEqual(
      (await queue(`?assignee=${ann}`)).map((q) => q.id).sort(),
      [t1.ticketId, t3.ticketId].sort(),
    );
    assert.deepEqual(
      (await queue('?channel=chat')).map((q) => q.id),
      [c1.body.ticketId],
    );
    assert.equal((await queue('?channel=social')).length, 0);
    assert.equal((await queue('?assignee=none')).length, 0);
    const fraud = (await queue()).find((q) => q.id === t3.ticketId);
    assert.equal(fraud.priority, 'critical');
    assert.equal(fraud.channel, 'email');
    assert.equal(fraud.assignee, ann);
    assert.equal(fraud.partyId, null);
    // A critical ticket's 15-minute response target is due soon from the start (within 30 minutes).
    assert.deepEqual(fraud.warnings, ['response-due-soon']);
    const plan = (await queue()).find((q) => q.id === t1.ticketId);
    assert.deepEqual(plan.warnings, []);

    // Manual assignment.
    const assigned = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${t1.ticketId}/assignment`, {
      assignee: bob,
    });
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    assert.equal((await queue(`?assignee=${bob}`)).length, 3);
    const unknown = await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${t1.ticketId}/assignment`, {
      assignee: 'nobody',
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body?.field, 'body.assignee');
    assert.equal(
      (await api.call(api.keys.a, 'POST', '/crm/v1/troubleTicket/nope/assignment', { assignee: bob })).status,
      404,
    );

    // 20 minutes later the fraud ticket's response is breached; a medium one's 4-hour response is not due soon.
    now += 20 * 60_000;
    assert.deepEqual((await queue()).find((q) => q.id === t3.ticketId).warnings, ['response-breached']);
    // 3.5 hours in: the medium ticket's response is due within a quarter of its target (60 min).
    now += 3 * 3600_000 + 10 * 60_000;
    assert.deepEqual((await queue()).find((q) => q.id === t2.ticketId).warnings, ['response-due-soon']);
    // The first reply stops the response clock: no response warning any more.
    await api.call(api.keys.a, 'POST', `/crm/v1/troubleTicket/${t2.ticketId}/reply`, { text: 'On it.' });
    assert.deepEqual((await queue()).find((q) => q.id === t2.ticketId).warnings, []);
    // Past the critical ticket's 4-hour resolution: breached, escalated to level 2, reassigned to the supervisor.
    now += 60 * 60_000;
    const late = (await queue('?breached=true')).find((q) => q.id === t3.ticketId);
    assert.deepEqual(late.warnings, ['response-breached', 'resolution-breached']);
    assert.ok(
      (await escalateTickets(api.db, api.tenants.a, new Date(now), undefined, escalateToSupervisor)) >= 1,
    );
    assert.equal((await queue()).find((q) => q.id === t3.ticketId).assignee, sue);
    assert.equal((await queue(`?assignee=${sue}`)).length, 1);
    // The queue stays staff only.
    assert.equal((await api.call(api.keys.b, 'GET', '/crm/v1/ticketQueue')).body?.length, 0);
  });
}
