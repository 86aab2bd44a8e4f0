import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyError } from 'fastify';
import { migrate } from '@parley/store';
import { CRM_MIGRATIONS } from '../migrations.js';
import { CUSTOMER } from '../customer/customer.js';
import { INDIVIDUAL } from '../party/party.js';
import { isPublicPath, registerOpenApi } from '../http/openapi.js';
import { HttpProblem, sendProblem } from '../http/problem.js';
import { addApiKey, createTenant, findPrincipal } from '../tenant/keys.js';
import { registerResource } from '../tmf/resource.js';
import { testDatabases, type TestDatabase } from '../testing/databases.js';
import {
  HUB_MIGRATIONS,
  HubDeliverer,
  hubEventSink,
  registerHub,
  type HubDelivererOptions,
} from './index.js';
import type { HubEventBody } from './outbox.js';

const PARTY = '/tmf-api/party/v4';
const CUSTOMERS = '/tmf-api/customerManagement/v4';
const HUB = `${CUSTOMERS}/hub`;

interface Received {
  path: string;
  at: number;
  headers: IncomingHttpHeaders;
  body: HubEventBody;
}

/** A listener on a loopback port. `respond` picks each answer's status ('hang': never answer). */
async function receiver(respond: (path: string, n: number) => number | 'hang' = () => 201) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      received.push({
        path,
        at: Date.now(),
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as HubEventBody,
      });
      const n = counts.get(path) ?? 0;
      counts.set(path, n + 1);
      const status = respond(path, n);
      if (status === 'hang') return;
      response.statusCode = status;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The CRM's resources with the hub's sink, the hub routes, and an API-key hook like buildCrmServer's. */
async function setup(database: TestDatabase, options: Partial<HubDelivererOptions> = {}) {
  const db = await database.open();
  await migrate(db, [...CRM_MIGRATIONS, ...HUB_MIGRATIONS]);
  const logs: { level: string; object: Record<string, unknown>; message: string }[] = [];
  const deliverer = new HubDeliverer({
    db,
    logger: {
      warn: (object, message) => logs.push({ level: 'warn', object, message }),
      error: (object, message) => logs.push({ level: 'error', object, message }),
    },
    intervalMs: 100,
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    maxAttempts: 4,
    ...options,
  });
  const app = Fastify({
    ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: false } },
  });
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error);
    }
  });
  app.setErrorHandler((error: FastifyError | HttpProblem, _request, reply) => {
    if (error instanceof HttpProblem)
      return sendProblem(reply, error.status, error.title, error.message, error.field);
    const first = error.validation?.[0];
    if (first) {
      const extra = (first.params as { additionalProperty?: string }).additionalProperty;
      const field = `${error.validationContext ?? 'body'}${first.instancePath.replace(/\//g, '.')}${extra ? '.' + extra : ''}`;
      return sendProblem(reply, 400, 'Bad Request', `${field}: ${first.message ?? 'is not valid'}`, field);
    }
    return sendProblem(reply, error.statusCode ?? 500, 'Error', error.message);
  });
  await registerOpenApi(app);
  app.addHook('onRequest', async (request) => {
    if (isPublicPath(request.url)) return;
    const key = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const principal = key ? await findPrincipal(db, key) : undefined;
    if (!principal)
      throw new HttpProblem(401, 'Unauthorized', 'authorization: send a valid API key', 'authorization');
    request.principal = principal;
  });
  const sink = hubEventSink({ kind: db.kind, notify: () => deliverer.notify() });
  for (const spec of [INDIVIDUAL, CUSTOMER]) registerResource(app, db, spec, sink);
  registerHub(app, db, 'customer');
  registerHub(app, db, 'party');

  const a = await createTenant(db, 'Telco A');
  const b = await createTenant(db, 'Shop B');
  const keys = {
    a: await addApiKey(db, a, 'admin', 'test'),
    aRead: await addApiKey(db, a, 'readonly', 'test'),
    aSelf: await addApiKey(db, a, 'selfcare', 'test', undefined, 'a-self-care-party'),
    b: await addApiKey(db, b, 'agent', 'test'),
  };
  const call = async (
    key: string,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ) => {
    const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const r = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return {
      status: r.statusCode,
      headers: r.headers,
      body: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : undefined,
    };
  };
  let party: Record<string, string> = {};
  /** Creates a customer (and, once per key, the individual it engages); returns the created resource. */
  const customer = async (key: string, name: string, status = 'approved') => {
    party[key] ??= (
      await call(key, 'POST', `${PARTY}/individual`, { givenName: 'Ada', familyName: 'Example' })
    ).body?.id as string;
    const r = await call(key, 'POST', `${CUSTOMERS}/customer`, {
      name,
      status,
      engagedParty: { id: party[key], '@referredType': 'Individual' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as Record<string, unknown> & { id: string };
  };
  const subscribe = async (key: string, callback: string, query?: string) => {
    const r = await call(key, 'POST', HUB, { callback, ...(query !== undefined ? { query } : {}) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as { id: string; callback: string; query?: string };
  };
  const deliveries = async () =>
    (await db.kysely.selectFrom('crm_hub_deliveries').selectAll().orderBy('id').execute()) as {
      id: number;
      subscription_id: string;
      event: string;
      attempts: number;
      next_attempt_at: unknown;
      delivered_at: unknown;
      last_error: string | null;
    }[];
  const close = async () => {
    party = {};
    await deliverer.stop();
    await app.close();
    await db.close();
    await database.cleanup();
  };
  return { db, app, deliverer, logs, keys, call, customer, subscribe, deliveries, close };
}

for (const database of testDatabases()) {
  test(`${database.name}: hub: subscribe, then create/patch/delete arrive as TMF events at the callback`, async (t) => {
    const listener = await receiver();
    const hub = await setup(database);
    t.after(async () => {
      await hub.close();
      await listener.close();
    });
    const { call, keys } = hub;
    hub.deliverer.start();

    const created = await call(keys.a, 'POST', HUB, { callback: listener.url('/a?token=s3cret') });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body?.id as string;
    assert.equal(created.headers.location, `${HUB}/${id}`);
    assert.deepEqual(created.body, { id, callback: listener.url('/a?token=s3cret') });
    assert.deepEqual((await call(keys.a, 'GET', `${HUB}/${id}`)).body, created.body);
    assert.equal((await call(keys.a, 'GET', `${PARTY}/hub/${id}`)).status, 404, 'a hub is per API');

    const c = await hub.customer(keys.a, 'Acme', 'prospective');
    const renamed = await call(keys.a, 'PATCH', `${CUSTOMERS}/customer/${c.id}`, { name: 'Acme Ltd' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const approved = await call(keys.a, 'PATCH', `${CUSTOMERS}/customer/${c.id}`, { status: 'approved' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal((await call(keys.a, 'DELETE', `${CUSTOMERS}/customer/${c.id}`)).status, 204);

    await waitFor('four events', () => listener.received.length >= 4);
    const events = listener.received.map((r) => r.body);
    assert.deepEqual(
      events.map((e) => e.eventType),
      [
        'CustomerCreateEvent',
        'CustomerAttributeValueChangeEvent',
        'CustomerStateChangeEvent',
        'CustomerDeleteEvent',
      ],
      'in order, and the individual (party API) is not sent to the customer hub',
    );
    assert.deepEqual(events[0]?.event, { customer: c });
    assert.deepEqual(events[1]?.event.customer, renamed.body);
    assert.equal(events[2]?.event.customer?.status, 'approved');
    assert.equal(events[3]?.event.customer?.id, c.id);
    assert.equal(new Set(events.map((e) => e.eventId)).size, 4);
    for (const e of events) assert.ok(Date.now() - Date.parse(e.eventTime) < 60_000);
    for (const r of listener.received) {
      assert.equal(r.path, '/a?token=s3cret');
      assert.equal(r.headers['content-type'], 'application/json');
    }
    await hub.deliverer.drain(); // the last answer may not be recorded yet
    const rows = await hub.deliveries();
    assert.ok(rows.every((r) => r.delivered_at !== null && r.next_attempt_at === null && r.attempts === 1));

    assert.equal((await call(keys.a, 'DELETE', `${HUB}/${id}`)).status, 204);
    assert.equal((await call(keys.a, 'GET', `${HUB}/${id}`)).status, 404);
    assert.equal((await call(keys.a, 'DELETE', `${HUB}/${id}`)).status, 404);
    await hub.customer(keys.a, 'After');
    await hub.deliverer.drain();
    assert.equal(listener.received.length, 4, 'no events after unsubscribing');
    assert.equal((await hub.deliveries()).length, 0, 'the subscription took its deliveries with it');
  });

  test(`${database.name}: hub: a failing listener gets the event on a later attempt, in order; then it is given up`, async (t) => {
    const listener = await receiver((path, n) => (path === '/flaky' ? (n < 2 ? 500 : 201) : 503));
    const hub = await setup(database);
    t.after(async () => {
      await hub.close();
      await listener.close();
    });
    await hub.subscribe(hub.keys.a, listener.url('/flaky'));
    const x = await hub.customer(hub.keys.a, 'X');
    const y = await hub.customer(hub.keys.a, 'Y');
    await hub.deliverer.drain();
    const flaky = listener.at('/flaky');
    assert.deepEqual(
      flaky.map((r) => r.body.event.customer?.name),
      ['X', 'X', 'X', 'Y'],
      'Y waits until X is delivered',
    );
    assert.equal(
      new Set(flaky.slice(0, 3).map((r) => r.body.eventId)).size,
      1,
      'a retry resends the same event',
    );
    const gaps = [1, 2].map((i) => (flaky[i]?.at ?? 0) - (flaky[i - 1]?.at ?? 0));
    assert.ok((gaps[0] ?? 0) >= 15 && (gaps[1] ?? 0) >= 35, `exponential backoff (20, 40 ms): ${gaps}`);
    const rows = await hub.deliveries();
    assert.deepEqual(
      rows.map((r) => [
        JSON.parse(r.event).event.customer.id,
        r.attempts,
        r.delivered_at !== null,
        r.last_error,
      ]),
      [
        [x.id, 3, true, null],
        [y.id, 1, true, null],
      ],
    );

    // A listener that never answers 2xx: given up after maxAttempts, its last error kept.
    const downSub = await hub.subscribe(hub.keys.a, listener.url('/down'), 'eventType=CustomerDeleteEvent');
    assert.equal((await hub.call(hub.keys.a, 'DELETE', `${CUSTOMERS}/customer/${x.id}`)).status, 204);
    await hub.deliverer.drain();
    assert.equal(listener.at('/down').length, 4);
    assert.equal(listener.at('/flaky').length, 5);
    const down = (await hub.deliveries()).find((r) => r.subscription_id === downSub.id);
    assert.equal(down?.attempts, 4);
    assert.equal(down?.delivered_at, null);
    assert.equal(down?.next_attempt_at, null);
    assert.equal(down?.last_error, 'HTTP 503');

    // Nothing recorded or logged names the callback beyond its origin (its path or query may hold a token).
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refusedSub = await hub.subscribe(
      hub.keys.a,
      `http://127.0.0.1:${port}/hook/s3cret-path?token=s3cret-token`,
      'eventType=CustomerCreateEvent',
    );
    await hub.customer(hub.keys.a, 'Z');
    await hub.deliverer.drain();
    const refused = (await hub.deliveries()).find((r) => r.subscription_id === refusedSub.id);
    assert.equal(refused?.attempts, 4);
    assert.match(String(refused?.last_error), /ECONNREFUSED/);
    assert.doesNotMatch(String(refused?.last_error), /s3cret/);
    assert.ok(hub.logs.some((l) => l.message === 'hub: delivery given up'));
    assert.doesNotMatch(JSON.stringify(hub.logs), /s3cret|listener|\/down|\/flaky/);
  });

  test(`${database.name}: hub: a query restricts the events a subscription receives`, async (t) => {
    const listener = await receiver();
    const hub = await setup(database);
    t.after(async () => {
      await hub.close();
      await listener.close();
    });
    const { keys, call } = hub;
    await hub.subscribe(keys.a, listener.url('/all'));
    await hub.subscribe(keys.a, listener.url('/deletes'), 'eventType=CustomerDeleteEvent');
    await hub.subscribe(keys.a, listener.url('/approved'), 'event.customer.status=approved');
    await hub.subscribe(
      keys.a,
      listener.url('/both'),
      'eventType = CustomerCreateEvent,CustomerStateChangeEvent&event.customer.status=approved',
    );
    const one = await hub.customer(keys.a, 'One', 'approved');
    const two = await hub.customer(keys.a, 'Two', 'prospective');
    await call(keys.a, 'PATCH', `${CUSTOMERS}/customer/${two.id}`, { status: 'approved' });
    await call(keys.a, 'DELETE', `${CUSTOMERS}/customer/${one.id}`);
    await hub.deliverer.drain();
    const seen = (path: string) =>
      listener
        .at(path)
        .map((r) => `${r.body.event.customer?.name} ${r.body.eventType.replace('Customer', '')}`);
    assert.deepEqual(seen('/all'), [
      'One CreateEvent',
      'Two CreateEvent',
      'Two StateChangeEvent',
      'One DeleteEvent',
    ]);
    assert.deepEqual(seen('/deletes'), ['One DeleteEvent']);
    assert.deepEqual(seen('/approved'), ['One CreateEvent', 'Two StateChangeEvent', 'One DeleteEvent']);
    assert.deepEqual(seen('/both'), ['One CreateEvent', 'Two StateChangeEvent']);

    for (const query of ['status=approved', 'eventType>=x', 'eventType=']) {
      const r = await call(keys.a, 'POST', HUB, { callback: listener.url('/x'), query });
      assert.equal(r.status, 400, query);
      assert.equal(r.body?.field, 'body.query', query);
    }
  });

  test(`${database.name}: hub: tenants neither see nor receive each other's subscriptions and events; roles`, async (t) => {
    const listener = await receiver();
    const hub = await setup(database);
    t.after(async () => {
      await hub.close();
      await listener.close();
    });
    const { keys, call } = hub;
    const subA = await hub.subscribe(keys.a, listener.url('/a'));
    const subB = await hub.subscribe(keys.b, listener.url('/b'));
    assert.equal((await call(keys.b, 'GET', `${HUB}/${subA.id}`)).status, 404);
    const stolen = await call(keys.b, 'DELETE', `${HUB}/${subA.id}`);
    assert.equal(stolen.status, 404);
    assert.equal(stolen.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal((await call(keys.a, 'GET', `${HUB}/${subA.id}`)).status, 200);
    assert.equal((await call(keys.a, 'GET', `${HUB}/${subB.id}`)).status, 404);

    const ca = await hub.customer(keys.a, 'Of A');
    const cb = await hub.customer(keys.b, 'Of B');
    await hub.deliverer.drain();
    assert.deepEqual(
      listener.at('/a').map((r) => r.body.event.customer?.id),
      [ca.id],
    );
    assert.deepEqual(
      listener.at('/b').map((r) => r.body.event.customer?.id),
      [cb.id],
    );

    const selfcare = await call(keys.aSelf, 'POST', HUB, { callback: listener.url('/s') });
    assert.equal(selfcare.status, 403);
    assert.equal(selfcare.body?.field, 'authorization');
    assert.equal((await call(keys.aSelf, 'GET', `${HUB}/${subA.id}`)).status, 403);
    assert.equal((await call(keys.aRead, 'GET', `${HUB}/${subA.id}`)).status, 200);
    assert.equal((await call(keys.aRead, 'DELETE', `${HUB}/${subA.id}`)).status, 403);
    assert.equal((await call(keys.aRead, 'POST', HUB, { callback: listener.url('/r') })).status, 403);
  });

  test(`${database.name}: hub: bad subscriptions get a 400 problem naming the field; the routes are documented`, async (t) => {
    const hub = await setup(database);
    t.after(() => hub.close());
    const { keys, call } = hub;
    const cases: [unknown, string][] = [
      [{ callback: 'not a url' }, 'body.callback'],
      [{ callback: '/relative/path' }, 'body.callback'],
      [{ callback: 'ftp://listener.example/x' }, 'body.callback'],
      [{ callback: 'javascript:alert(1)' }, 'body.callback'],
      [{ callback: 'https://user:pw@listener.example/x' }, 'body.callback'],
      [{ callback: 42 }, 'body.callback'],
      [{ callback: `https://listener.example/${'x'.repeat(3000)}` }, 'body.callback'],
      [{ callback: 'https://listener.example/x', extra: 1 }, 'body.extra'],
      [{ callback: 'https://listener.example/x', query: 7 }, 'body.query'],
      [{}, 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await call(keys.a, 'POST', HUB, body);
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(r.body?.field, field, JSON.stringify(r.body));
      assert.match(String(r.body?.detail), new RegExp(`^${field.replace('.', '\\.')}`));
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
    }
    const stored = await hub.db.kysely.selectFrom('crm_hub_subscriptions').selectAll().execute();
    assert.equal(stored.length, 0, 'nothing was written');

    await hub.app.ready();
    const doc = hub.app.swagger() as {
      paths: Record<string, Record<string, { tags?: string[]; summary?: string }>>;
    };
    for (const [path, methods] of [
      [HUB, ['post']],
      [`${HUB}/{id}`, ['get', 'delete']],
      [`${PARTY}/hub`, ['post']],
    ] as const) {
      for (const method of methods) {
        const operation = doc.paths[path]?.[method];
        assert.deepEqual(operation?.tags, ['Hub'], `${method} ${path}`);
        assert.ok(operation?.summary, `${method} ${path}`);
      }
    }
  });

  test(`${database.name}: hub: a delivery survives a deliverer that stops or dies mid-way (at least once)`, async (t) => {
    let up = false;
    const listener = await receiver(() => (up ? 201 : 'hang'));
    const hub = await setup(database);
    const other = new HubDeliverer({ db: hub.db, intervalMs: 100, backoffBaseMs: 20 });
    t.after(async () => {
      await other.stop();
      await hub.close();
      await listener.close();
    });
    await hub.subscribe(hub.keys.a, listener.url('/slow'));
    hub.deliverer.start();
    await hub.customer(hub.keys.a, 'Stopped');
    await waitFor('the POST to arrive', () => listener.received.length === 1);
    await hub.deliverer.stop();
    let [row] = await hub.deliveries();
    assert.equal(row?.delivered_at, null);
    assert.equal(row?.attempts, 0, 'handed back uncounted');
    up = true;
    await other.drain();
    [row] = await hub.deliveries();
    assert.notEqual(row?.delivered_at, null);
    assert.equal(listener.received.length, 2);
    assert.equal(listener.received[0]?.body.eventId, listener.received[1]?.body.eventId);

    // A deliverer that died holding a claim: the delivery is due again when the lease runs out.
    await hub.customer(hub.keys.a, 'Orphaned');
    const orphan = (await hub.deliveries()).at(-1);
    const leaseEnds = Date.now() + 300;
    await hub.db.kysely
      .updateTable('crm_hub_deliveries')
      .set({ attempts: 1, next_attempt_at: new Date(leaseEnds).toISOString() })
      .where('id', '=', orphan?.id)
      .execute();
    await other.drain();
    assert.equal(listener.received.length, 3);
    assert.ok((listener.received[2]?.at ?? 0) >= leaseEnds - 5, 'not before the lease ran out');
    const done = (await hub.deliveries()).at(-1);
    assert.equal(done?.attempts, 2);
    assert.notEqual(done?.delivered_at, null);
  });
}
