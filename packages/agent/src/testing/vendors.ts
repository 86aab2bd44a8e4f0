import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from '@parley/store';
import { addApiKey, buildCrmServer, createTenant, type CrmServerOptions } from '@parley/crm';
import { Party } from '@parley/protocol';

/** One vendor's CRM on a loopback port: its own database, keys and ledger, restartable on the same port. */
export interface TestVendor {
  name: string;
  url: string;
  crmUrl: string;
  tenantId: string;
  adminKey: string;
  /** The vendor's signing identity (as the CRM derives it from its key), for tests that play a vendor. */
  identity: Party;
  db: Database;
  /** A TMF API call with the tenant's admin key. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Runs the CRM's retention job now (by the CRM's clock); returns how many agreements it purged. */
  purgeDue(): Promise<number>;
}

export interface TestVendors {
  dir: string;
  vendors: TestVendor[];
  close(): Promise<void>;
}

/**
 * `count` CRM processes' worth of vendors, in this process: each a real CRM server with its own SQLite file,
 * vendor key and ledger file, listening on loopback. `tenantsPerCrm` > 1 puts several vendors on one CRM.
 */
export async function startVendors(
  names: string[],
  tenantsPerCrm = 1,
  crmOptions: Partial<Omit<CrmServerOptions, 'db'>> = {},
): Promise<TestVendors> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-vendors-'));
  const vendors: TestVendor[] = [];
  const crms: { app?: FastifyInstance; db: Database }[] = [];
  for (let c = 0; c * tenantsPerCrm < names.length; c++) {
    const db = openDatabase({ url: join(dir, `crm-${c}.db`), synchronous: 'normal' });
    const key = Party.generate(`crm-${c}`);
    const ledger = { url: join(dir, `ledger-${c}.db`), origin: `crm-${c}.test/ledger` };
    const crm: { app?: FastifyInstance; db: Database; port: number } = { db, port: 0 };
    crms.push(crm);
    const listen = async () => {
      const app = await buildCrmServer({
        db,
        vendorKey: key,
        ledger,
        escalationIntervalMs: 0,
        retentionIntervalMs: 0,
        ...crmOptions,
      });
      const address = await app.listen({ host: '127.0.0.1', port: crm.port });
      crm.port = Number(new URL(address).port);
      crm.app = app;
    };
    await listen();
    for (const name of names.slice(c * tenantsPerCrm, (c + 1) * tenantsPerCrm)) {
      const tenantId = await createTenant(db, name);
      const adminKey = await addApiKey(db, tenantId, 'admin', 'test');
      const crmUrl = `http://127.0.0.1:${crm.port}`;
      vendors.push({
        name,
        url: `${crmUrl}/parley/v1/vendors/${tenantId}`,
        crmUrl,
        tenantId,
        adminKey,
        identity: key.pairwise(`tenant:${tenantId}`),
        db,
        async api(method, path, body) {
          const r = await fetch(crmUrl + path, {
            method,
            headers: {
              authorization: `Bearer ${adminKey}`,
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
          const text = await r.text();
          return { status: r.status, body: text ? (JSON.parse(text) as unknown) : undefined };
        },
        async stop() {
          await crm.app?.close();
          crm.app = undefined;
        },
        async start() {
          if (!crm.app) await listen();
        },
        async purgeDue() {
          return (await crm.app?.parleyRetention.purgeDue())?.length ?? 0;
        },
      });
    }
  }
  return {
    dir,
    vendors,
    async close() {
      for (const crm of crms) {
        await crm.app?.close();
        await crm.db.close();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
