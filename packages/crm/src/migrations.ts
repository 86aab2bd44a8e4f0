import type { Migration } from '@parley/store';

/**
 * Every table is keyed by tenant first: no query can reach another tenant's rows without naming it, and a
 * distributed PostgreSQL (Citus) can shard by tenant and account. `doc` holds the TM Forum representation;
 * the columns beside it are what filters and relationship queries use. `agreement_id` is the agreement under
 * which the data was shared (null: entered by the vendor itself).
 */
export const CRM_MIGRATIONS: Migration[] = [
  {
    name: 'crm/001-tenants-parties-customers',
    sqlite: `
      CREATE TABLE crm_tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE crm_api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES crm_tenants(id),
        key_hash BLOB NOT NULL UNIQUE, role TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE crm_parties (tenant_id TEXT NOT NULL REFERENCES crm_tenants(id), id TEXT NOT NULL,
        kind TEXT NOT NULL, status TEXT, name TEXT NOT NULL, agreement_id TEXT, created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id)) WITHOUT ROWID;
      CREATE INDEX crm_parties_by_name ON crm_parties (tenant_id, kind, name);
      CREATE TABLE crm_customers (tenant_id TEXT NOT NULL REFERENCES crm_tenants(id), id TEXT NOT NULL,
        name TEXT NOT NULL, status TEXT, engaged_party_id TEXT, agreement_id TEXT, created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id)) WITHOUT ROWID;
      CREATE INDEX crm_customers_by_party ON crm_customers (tenant_id, engaged_party_id);
      CREATE INDEX crm_customers_by_status ON crm_customers (tenant_id, status);`,
    postgres: `
      CREATE TABLE crm_tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);
      CREATE TABLE crm_api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES crm_tenants(id),
        key_hash BYTEA NOT NULL UNIQUE, role TEXT NOT NULL, label TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);
      CREATE TABLE crm_parties (tenant_id TEXT NOT NULL REFERENCES crm_tenants(id), id TEXT NOT NULL,
        kind TEXT NOT NULL, status TEXT, name TEXT NOT NULL, agreement_id TEXT, created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL, doc JSONB NOT NULL, PRIMARY KEY (tenant_id, id));
      CREATE INDEX crm_parties_by_name ON crm_parties (tenant_id, kind, name);
      CREATE TABLE crm_customers (tenant_id TEXT NOT NULL REFERENCES crm_tenants(id), id TEXT NOT NULL,
        name TEXT NOT NULL, status TEXT, engaged_party_id TEXT, agreement_id TEXT, created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL, doc JSONB NOT NULL, PRIMARY KEY (tenant_id, id));
      CREATE INDEX crm_customers_by_party ON crm_customers (tenant_id, engaged_party_id);
      CREATE INDEX crm_customers_by_status ON crm_customers (tenant_id, status);`,
  },
];
