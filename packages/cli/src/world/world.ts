import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from '@parley/store';
import { addApiKey, buildCrmServer, createTenant, seedTelco, simulateChurn } from '@parley/crm';
import { startAgent, type RunningAgent } from '@parley/agent';
import { parseKeyFile, Party, serializeKeyFile } from '@parley/protocol';
import { VENDORS, type VendorSetup } from './vendors.js';

export interface WorldVendor {
  name: string;
  tenantId: string;
  /** Its protocol endpoint, `{crm}/parley/v1/vendors/{tenant}`. */
  url: string;
  adminKey: string;
  setup: VendorSetup;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

export interface WorldOptions {
  /** Where the CRM database, keys, ledgers and the person's vault live. */
  dir: string;
  passphrase: string;
  crmPort?: number;
  agentPort?: number;
  host?: string;
  /** Synthetic telco accounts for the telco vendor (0: none). */
  telcoAccounts?: number;
  /** How often CRMs read the agent's intent feed (0: they do not follow it). */
  feedPollMs?: number;
  dashboardDir?: string;
  /** The built agent desktop, served by the CRM at `/desktop/`. */
  desktopDir?: string;
  log?: (line: string) => void;
}

export interface World {
  crmUrl: string;
  vendors: WorldVendor[];
  agent: RunningAgent;
  close(): Promise<void>;
}

/**
 * The whole system on the embedded default: one CRM server holding several vendors (tenants) with catalogues,
 * synthetic data and different intent policies, and a person's agent with her dashboard. Everything on
 * loopback, in `dir`, made again from scratch when `dir` is new and reused when it is not.
 */
export async function startWorld(options: WorldOptions): Promise<World> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.dir, { recursive: true });
  const keyFile = join(options.dir, 'crm-vendor.key.json');
  if (!existsSync(keyFile))
    writeFileSync(keyFile, serializeKeyFile(Party.generate('parley demo CRM')), { mode: 0o600 });
  const vendorKey = parseKeyFile(readFileSync(keyFile, 'utf8'));
  const db: Database = openDatabase({ url: join(options.dir, 'crm.db') });
  let crm: FastifyInstance | undefined;
  let agent: RunningAgent | undefined;
  try {
    crm = await buildCrmServer({
      db,
      vendorKey,
      ledger: { url: join(options.dir, 'crm-ledger.db'), origin: 'parley-demo-crm/ledger' },
      escalationIntervalMs: 0,
      ...(options.desktopDir ? { desktopDir: options.desktopDir } : {}),
      ...(options.feedPollMs !== undefined ? { intentFeedPollMs: options.feedPollMs } : {}),
    } as Parameters<typeof buildCrmServer>[0]);
    const crmAddress = await crm.listen({ host: options.host ?? '127.0.0.1', port: options.crmPort ?? 0 });
    const vendors: WorldVendor[] = [];
    const state = join(options.dir, 'vendors.json');
    const known = existsSync(state)
      ? (JSON.parse(readFileSync(state, 'utf8')) as { name: string; tenantId: string; adminKey: string }[])
      : [];
    for (const setup of VENDORS) {
      let entry = known.find((k) => k.name === setup.name);
      const fresh = !entry;
      if (!entry) {
        const tenantId = await createTenant(db, setup.name);
        entry = { name: setup.name, tenantId, adminKey: await addApiKey(db, tenantId, 'admin', 'demo') };
        known.push(entry);
      }
      const { tenantId, adminKey } = entry;
      const api = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(crmAddress + path, {
          method,
          headers: {
            authorization: `Bearer ${adminKey}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await r.text();
        return { status: r.status, body: text ? (JSON.parse(text) as unknown) : undefined };
      };
      const vendor: WorldVendor = {
        name: setup.name,
        tenantId,
        url: `${crmAddress}/parley/v1/vendors/${tenantId}`,
        adminKey,
        setup,
        api,
      };
      if (fresh) {
        log(`  setting up ${setup.name}: ${setup.summary}`);
        await configureVendor(vendor, db, options.telcoAccounts ?? 0);
      }
      vendors.push(vendor);
    }
    writeFileSync(state, JSON.stringify(known, null, 2), { mode: 0o600 });

    const vaultPath = join(options.dir, 'person.vault');
    agent = await startAgent({
      vaultPath,
      passphrase: options.passphrase,
      create: true,
      host: options.host ?? '127.0.0.1',
      port: options.agentPort ?? 0,
      ...(options.dashboardDir ? { dashboardDir: options.dashboardDir } : {}),
    });
    if (Object.keys(agent.agent.me().profile).length === 0) {
      await agent.agent.updateProfile({
        givenName: 'Ada',
        familyName: 'Lovelace',
        email: 'ada@example.org',
        phone: '+31 30 123 4567',
        postalAddress: { street1: 'Oudegracht 1', city: 'Utrecht', postCode: '3511 AA', country: 'NL' },
      });
    }
    if ((options.feedPollMs ?? 0) > 0) {
      for (const vendor of vendors.filter((v) => v.setup.followsFeed)) {
        await vendor.api('POST', '/crm/v1/intentFeeds', { url: `${agent.url}/intents/feed` });
      }
    }
    const running = { crm, agent };
    return {
      crmUrl: crmAddress,
      vendors,
      agent,
      async close() {
        await running.agent.close();
        await running.crm.close();
        await db.close();
      },
    };
  } catch (error) {
    await agent?.close();
    await crm?.close();
    await db.close();
    throw error;
  }
}

async function configureVendor(vendor: WorldVendor, db: Database, telcoAccounts: number): Promise<void> {
  const { setup } = vendor;
  const profile = await vendor.api('GET', '/crm/v1/vendorProfile');
  if (profile.status !== 200)
    throw new Error(`${vendor.name}: vendor profile: ${JSON.stringify(profile.body)}`);
  const put = await vendor.api('PUT', '/crm/v1/vendorProfile', {
    ...(profile.body as object),
    ...setup.profile,
  });
  if (put.status !== 200) throw new Error(`${vendor.name}: vendor profile: ${JSON.stringify(put.body)}`);
  for (const item of setup.catalogue) {
    const r = await vendor.api('POST', '/tmf-api/productCatalogManagement/v4/productOffering', item);
    if (r.status !== 201) throw new Error(`${vendor.name}: catalogue: ${JSON.stringify(r.body)}`);
  }
  if (setup.telco && telcoAccounts > 0) {
    await seedTelco(db, vendor.tenantId, { accounts: telcoAccounts, seed: 'demo' });
    // Customers leave at rates their service explains, so that the desktop's analytics have attrition to show.
    await simulateChurn(db, vendor.tenantId, { seed: 'demo' });
  }
}
