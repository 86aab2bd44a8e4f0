import type { FastifyInstance } from 'fastify';
import type { Database } from '@parley/store';
import { buildCrmServer, type CrmServerOptions } from '../http/app.js';
import { addApiKey, createTenant } from '../tenant/keys.js';
import type { TestDatabase } from './databases.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TestReply {
  status: number;
  headers: Record<string, unknown>;
  body: (Record<string, unknown> & Record<number, unknown>) | undefined;
}

export interface TestApi {
  db: Database;
  app: FastifyInstance;
  /** a: admin of tenant A, aRead: read-only of A, b: agent of tenant B. */
  keys: { a: string; aRead: string; b: string };
  tenants: { a: string; b: string };
  call(key: string, method: Method, url: string, body?: unknown, type?: string): Promise<TestReply>;
  close(): Promise<void>;
}

/** A CRM server on a fresh test database with two tenants, driven in-process (Fastify inject). */
export async function startTestApi(
  database: TestDatabase,
  options: Partial<CrmServerOptions> = {},
): Promise<TestApi> {
  const db = await database.open();
  const app = await buildCrmServer({ ...options, db });
  const a = await createTenant(db, 'Telco A');
  const b = await createTenant(db, 'Shop B');
  const keys = {
    a: await addApiKey(db, a, 'admin', 'test'),
    aRead: await addApiKey(db, a, 'readonly', 'test'),
    b: await addApiKey(db, b, 'agent', 'test'),
  };
  const call = async (
    key: string,
    method: Method,
    url: string,
    body?: unknown,
    type = 'application/json',
  ) => {
    const r = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return {
      status: r.statusCode,
      headers: r.headers,
      body: r.body ? (JSON.parse(r.body) as TestReply['body']) : undefined,
    };
  };
  return {
    db,
    app,
    keys,
    tenants: { a, b },
    call,
    async close() {
      await app.close();
      await db.close();
      await database.cleanup();
    },
  };
}
