import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { compiledQuery, type Database } from '@parley/store';

export const ROLES = ['admin', 'agent', 'selfcare', 'readonly'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  tenantId: string;
  role: Role;
  keyId: string;
  /** A self-care key acts for one party and sees only what is about that party. */
  partyId?: string;
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

/**
 * Registers `key` (or a new one) for a tenant with a role; returns the key, which is not stored. A self-care
 * key names the party (an individual or organization of the tenant) it acts for; other roles name none.
 */
export async function addApiKey(
  db: Database,
  tenantId: string,
  role: Role,
  label: string,
  key = newApiKey(),
  partyId?: string,
): Promise<string> {
  if ((role === 'selfcare') !== (partyId !== undefined)) {
    throw new Error(`partyId: a ${role} key ${role === 'selfcare' ? 'needs' : 'takes no'} party`);
  }
  await db.kysely
    .insertInto('crm_api_keys')
    .values({
      id: randomUUID(),
      tenant_id: tenantId,
      key_hash: hashKey(key),
      role,
      label,
      created_at: now(),
      party_id: partyId ?? null,
    })
    .execute();
  return key;
}

const principalByKeyHash = compiledQuery(
  (db: Database, keyHash: unknown) =>
    db.kysely
      .selectFrom('crm_api_keys')
      .select(['id', 'tenant_id', 'role', 'party_id'])
      .where('key_hash', '=', keyHash),
  ['\u0000key-hash'],
);

/** The tenant and role of an API key (every request asks: one compiled query, no rebuilding). */
export async function findPrincipal(db: Database, key: string): Promise<Principal | undefined> {
  const [row] = (await principalByKeyHash(db, hashKey(key))) as {
    id: string;
    tenant_id: string;
    role: Role;
    party_id: string | null;
  }[];
  return (
    row && {
      tenantId: row.tenant_id,
      role: row.role,
      keyId: row.id,
      ...(row.party_id ? { partyId: row.party_id } : {}),
    }
  );
}

/**
 * Remembers answers of findPrincipal for a few seconds (a key removed from the database stops working within
 * `ttlMs`). Known and unknown keys alike, keyed by the key's hash, at most `size` entries.
 */
export function principalCache(db: Database, ttlMs = 5_000, size = 10_000) {
  const entries = new Map<string, { principal: Principal | undefined; expires: number }>();
  const lookup = async (key: string): Promise<Principal | undefined> => {
    const id = hashKey(key).toString('base64');
    const now = Date.now();
    const hit = entries.get(id);
    if (hit && hit.expires > now) return hit.principal;
    const principal = await findPrincipal(db, key);
    if (entries.size >= size) entries.clear();
    entries.set(id, { principal, expires: now + ttlMs });
    return principal;
  };
  /** Forgets every answer (after keys were revoked, so that they stop at once). */
  return Object.assign(lookup, { clear: () => entries.clear() });
}

export async function countTenants(db: Database): Promise<number> {
  const row = (await db.kysely
    .selectFrom('crm_tenants')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}
