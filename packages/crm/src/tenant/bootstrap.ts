import type { Database } from '@parley/store';
import { addApiKey, countTenants, createTenant, newApiKey } from './keys.js';

export interface BootstrapResult {
  /** True when this call created the default tenant (a fresh database). */
  created: boolean;
  tenantId?: string;
  /** The admin key, returned only when this call made it up (never stored in clear). */
  generatedKey?: string;
}

/**
 * On a fresh database, creates the default tenant and its admin key: the given one (PARLEY_BOOTSTRAP_KEY),
 * else a new one the caller shows once. On a database that has tenants, does nothing.
 */
export async function bootstrapTenant(db: Database, key?: string): Promise<BootstrapResult> {
  if ((await countTenants(db)) > 0) return { created: false };
  if (key !== undefined && key.length < 16)
    throw new Error('PARLEY_BOOTSTRAP_KEY: use at least 16 characters');
  const tenantId = await createTenant(db, 'default');
  const adminKey = key ?? newApiKey();
  await addApiKey(db, tenantId, 'admin', 'bootstrap', adminKey);
  return { created: true, tenantId, ...(key === undefined ? { generatedKey: adminKey } : {}) };
}
