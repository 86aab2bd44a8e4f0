import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '@parley/store';

export const ROLES = ['admin', 'agent', 'selfcare', 'readonly'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  tenantId: string;
  role: Role;
  keyId: string;
}

/** API keys are shown once and stored as SHA-256 only: a database leak yields no usable key. */
export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function newApiKey(): string {
  return `pk_${randomBytes(24).toString('base64url')}`;
}

const now = () => new Date().toISOString();

export async function createTenant(db: Database, name: string): Promise<string> {
  const id = randomUUID();
  await db.kysely.insertInto('crm_tenants').values({ id, name, created_at: now() }).execute();
  return id;
}

/** Registers `key` (or a new one) for a tenant with a role; returns the key, which is not stored. */
export async function addApiKey(
  db: Database,
  tenantId: string,
  role: Role,
  label: string,
  key = newApiKey(),
): Promise<string> {
  await db.kysely
    .insertInto('crm_api_keys')
    .values({ id: randomUUID(), tenant_id: tenantId, key_hash: hashKey(key), role, label, created_at: now() })
    .execute();
  return key;
}

export async function findPrincipal(db: Database, key: string): Promise<Principal | undefined> {
  const row = (await db.kysely
    .selectFrom('crm_api_keys')
    .select(['id', 'tenant_id', 'role'])
    .where('key_hash', '=', hashKey(key))
    .executeTakeFirst()) as { id: string; tenant_id: string; role: Role } | undefined;
  return row && { tenantId: row.tenant_id, role: row.role, keyId: row.id };
}

export async function countTenants(db: Database): Promise<number> {
  const row = (await db.kysely
    .selectFrom('crm_tenants')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}
