/**
 * The agent's side of intentcasting in miniature, for the tests of the vendor side: her one-off identities,
 * signed intentcasts, a loopback "agent" that serves a feed and records the answers POSTed to its replyTo,
 * and a catalogue put in through the TMF620 API.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createIntentcast,
  Party,
  signDocument,
  verificationMethodId,
  type Clock,
  type Intentcast,
  type IntentcastInput,
  type SignedIntentMessage,
} from '@parley/protocol';
import type { CrmServerOptions } from '../http/app.js';
import { startTestApi, type TestApi } from '../testing/api.js';
import type { TestDatabase } from '../testing/databases.js';
import { vendorCall, type Reply } from '../agreement/testing.js';
import { vendorPath } from '../agreement/vendor.js';

export const CATALOGUE_PATH = '/tmf-api/productCatalogManagement/v4/productOffering';
export const SALES_LEAD_PATH = '/tmf-api/salesManagement/v4/salesLead';

/** A CRM on a test database for intentcasting: no timers (tests poll and deliver), short backoffs. */
export function startIntentApi(database: TestDatabase, options: Partial<CrmServerOptions> = {}) {
  return startTestApi(database, {
    escalationIntervalMs: 0,
    intentFeedPollMs: 0,
    ...options,
    intents: {
      delivery: { backoffBaseMs: 50, backoffMaxMs: 200, timeoutMs: 2000, intervalMs: 60_000 },
      ...options.intents,
    },
  });
}

/** A TMF620 product offering as a client posts it. */
export function offering(
  name: string,
  category: string,
  price: number,
  extra: { brand?: string; tags?: string[]; currency?: string; lifecycleStatus?: string } = {},
) {
  return {
    name,
    description: `${name}, for the tests`,
    category: [{ id: category, name: category }],
    ...(extra.brand ? { brand: extra.brand } : {}),
    tags: extra.tags ?? [],
    lifecycleStatus: extra.lifecycleStatus ?? 'Launched',
    productOfferingPrice: [
      { name: 'price', price: { taxIncludedAmount: { value: price, unit: extra.currency ?? 'EUR' } } },
    ],
  };
}

export const BIKES = [
  offering('Gazelle Ultimate T10', 'bicycles', 2299, { brand: 'Gazelle', tags: ['e-bike', 'commuter'] }),
  offering('Cortina E-Common', 'bicycles', 1899, { brand: 'Cortina', tags: ['e-bike', 'city'] }),
  offering('Batavus Finez', 'bicycles', 1299, { brand: 'Batavus', tags: ['commuter'] }),
  offering('Phone X', 'phones', 499, { brand: 'Generic', tags: ['5g'] }),
];

/** Posts offerings with `key`; returns their ids in order. */
export async function addCatalogue(api: TestApi, key: string, items: object[]): Promise<string[]> {
  const ids: string[] = [];
  for (const item of items) {
    const r = await api.call(key, 'POST', CATALOGUE_PATH, item);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids.push(r.body?.id as string);
  }
  return ids;
}

/** Sets a tenant's intent policy through the admin API (the rest of its profile unchanged). */
export async function setIntentPolicy(
  api: TestApi,
  key: string,
  intentPolicy: object,
): Promise<Reply['body']> {
  const current = await api.call(key, 'GET', '/crm/v1/vendorProfile');
  assert.equal(current.status, 200);
  const r = await api.call(key, 'PUT', '/crm/v1/vendorProfile', { ...current.body, intentPolicy });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const DAY = 86_400_000;

/** A person who intentcasts: a master key and a one-off identity per intent. */
export class IntentPerson {
  readonly master = Party.generate('intentcasting person (test)');
  #n = 0;
  replyTo: string;

  constructor(replyTo = 'http://127.0.0.1:9/intents/answers') {
    this.replyTo = replyTo;
  }

  /** A fresh one-off identity. */
  identity(): Party {
    return this.master.pairwise(`intent:${++this.#n}`);
  }

  /** A signed intentcast (an e-bike under 2500 EUR, intent only, by default) and the identity that signed it. */
  intentcast(
    change: Partial<IntentcastInput> = {},
    clock: Clock = {},
  ): { intent: SignedIntentMessage<Intentcast>; identity: Party } {
    const identity = this.identity();
    const now = (clock.now ?? Date.now)();
    const intent = createIntentcast(
      {
        intent: { category: 'bicycles', description: 'An e-bike to commute', tags: ['e-bike', 'commuter'] },
        price: { min: 1000, max: 2500, currency: 'EUR' },
        location: { country: 'NL', region: 'Utrecht' },
        validUntil: new Date(now + 7 * DAY).toISOString(),
        terms: ['PDC-INTENT'],
        replyTo: this.replyTo,
        ...change,
      },
      identity,
      clock,
    );
    return { intent, identity };
  }
}

/** The same message with other content, signed again by `by` (same id): a reused id. */
export function resign<T extends object>(
  message: T & { proof?: unknown; createdAt: string },
  by: Party,
  change: Partial<T>,
) {
  const { proof: _proof, ...body } = { ...message, ...change };
  return signDocument(body, by.key, {
    verificationMethod: verificationMethodId(by.did),
    created: message.createdAt.replace(/\.\d{3}Z$/, 'Z'),
  });
}

/** `POST {vendor}/intents`. */
export function pushIntent(api: TestApi, tenantId: string, intent: unknown): Promise<Reply> {
  return vendorCall(api, 'POST', `${vendorPath(tenantId)}/intents`, intent);
}

/** A loopback agent: serves `GET /intents/feed?after=` from `feed`, records `POST /intents/answers`. */
export interface LoopbackAgent {
  url: string;
  feedUrl: string;
  replyTo: string;
  feed: SignedIntentMessage<Intentcast>[];
  answers: Record<string, unknown>[];
  feedReads: string[];
  /** The status the next answers get (default 202). */
  answerStatus: number;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startLoopbackAgent(): Promise<LoopbackAgent> {
  const agent = {
    feed: [] as SignedIntentMessage<Intentcast>[],
    answers: [] as Record<string, unknown>[],
    feedReads: [] as string[],
    answerStatus: 202,
  } as LoopbackAgent;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (request.method === 'GET' && url.pathname === '/intents/feed') {
        const after = url.searchParams.get('after');
        agent.feedReads.push(after ?? '');
        const from = after === null ? 0 : Number(after);
        const page = agent.feed.slice(from, from + 2);
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ intents: page, next: String(from + page.length) }));
        return;
      }
      if (request.method === 'POST' && url.pathname === '/intents/answers') {
        const text = await bodyOf(request);
        response.statusCode = agent.answerStatus;
        if (agent.answerStatus < 300) agent.answers.push(JSON.parse(text) as Record<string, unknown>);
        response.end();
        return;
      }
      response.statusCode = 404;
      response.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  agent.url = `http://127.0.0.1:${port}`;
  agent.feedUrl = `${agent.url}/intents/feed`;
  agent.replyTo = `${agent.url}/intents/answers`;
  agent.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return agent;
}
