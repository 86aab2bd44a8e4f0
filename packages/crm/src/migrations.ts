import type { Migration } from '@parley/store';
import { RIGHTS_MIGRATIONS } from './rights/migrations.js';
import { RESOURCE_COLUMNS, tableSql, type TableSpec } from './schema-sql.js';
import { CONTACTS_POSTGRES, CONTACTS_SQLITE } from './party/contacts-sql.js';

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

const R = RESOURCE_COLUMNS;
const OPEN_TICKET = "status NOT IN ('resolved', 'closed', 'cancelled', 'rejected')";

/** Accounts and their members, services, SLAs, QoE, tickets, interactions: everything about an account is
 * reachable by (tenant_id, account_id), the key a distributed PostgreSQL shards on. */
const DOMAIN_TABLES: TableSpec[] = [
  {
    name: 'crm_accounts',
    columns: {
      ...R,
      kind: 'text not null',
      name: 'text not null',
      state: 'text',
      account_type: 'text',
      holder_party_id: 'text',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_holder: { columns: ['tenant_id', 'holder_party_id'] },
      by_state: { columns: ['tenant_id', 'kind', 'state'] },
    },
  },
  {
    name: 'crm_account_members',
    columns: {
      ...R,
      account_id: 'text not null',
      party_id: 'text not null',
      role: 'text not null',
      in_billing: 'flag not null',
      parental_controls: 'flag not null',
      group_id: 'text',
      status: 'text',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_account: { columns: ['tenant_id', 'account_id'] },
      by_party: { columns: ['tenant_id', 'party_id'] },
      supervised: {
        columns: ['tenant_id', 'party_id', 'account_id'],
        where: "role = 'secondary' AND parental_controls = 1",
      },
      guests_outside_billing: {
        columns: ['tenant_id', 'party_id'],
        where: "role = 'guest' AND in_billing = 0",
      },
    },
  },
  {
    name: 'crm_user_groups',
    columns: { ...R, account_id: 'text not null', name: 'text not null' },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_account: { columns: ['tenant_id', 'account_id'] } },
  },
  {
    name: 'crm_services',
    columns: {
      ...R,
      name: 'text not null',
      service_type: 'text not null',
      state: 'text',
      account_id: 'text',
      user_party_id: 'text',
      sla_id: 'text',
      cell_id: 'text',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_account: { columns: ['tenant_id', 'account_id'] },
      by_user: { columns: ['tenant_id', 'user_party_id'] },
    },
  },
  {
    name: 'crm_slas',
    columns: { ...R, name: 'text not null', state: 'text' },
    primaryKey: ['tenant_id', 'id'],
  },
  {
    name: 'crm_qoe_measurements',
    columns: {
      ...R,
      service_id: 'text not null',
      account_id: 'text',
      party_id: 'text',
      measured_at: 'time not null',
      availability: 'real',
      throughput: 'real',
      latency: 'real',
      packet_loss: 'real',
      cell_id: 'text',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_account: { columns: ['tenant_id', 'account_id', 'measured_at'] },
      by_service: { columns: ['tenant_id', 'service_id', 'measured_at'] },
    },
  },
  {
    name: 'crm_sla_violations',
    columns: {
      ...R,
      sla_id: 'text not null',
      service_id: 'text not null',
      account_id: 'text',
      party_id: 'text',
      metric: 'text not null',
      period_start: 'time not null',
      period_end: 'time not null',
      actual_value: 'real not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      one_per_period: { columns: ['tenant_id', 'service_id', 'metric', 'period_start'], unique: true },
      by_account: { columns: ['tenant_id', 'account_id', 'period_start'] },
    },
  },
  {
    name: 'crm_tickets',
    columns: {
      ...R,
      status: 'text not null',
      priority: 'text',
      severity: 'text',
      ticket_type: 'text',
      party_id: 'text',
      account_id: 'text',
      response_due: 'time',
      resolution_due: 'time',
      responded_at: 'time',
      resolved_at: 'time',
      escalation_level: 'int not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_party: { columns: ['tenant_id', 'party_id', 'status'] },
      by_account: { columns: ['tenant_id', 'account_id', 'status'] },
      open_by_due: { columns: ['tenant_id', 'resolution_due'], where: OPEN_TICKET },
    },
  },
  {
    name: 'crm_interactions',
    columns: {
      ...R,
      party_id: 'text',
      account_id: 'text',
      ticket_id: 'text',
      channel: 'text',
      direction: 'text',
      reason: 'text',
      status: 'text',
      started_at: 'time',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_party: { columns: ['tenant_id', 'party_id', 'started_at'] },
      by_party_channel: { columns: ['tenant_id', 'party_id', 'channel'] },
      by_ticket: { columns: ['tenant_id', 'ticket_id'] },
    },
  },
];

/** Usage records (CDRs) are the billions: an integer key, hot fields as columns, `doc` only for members that
 * have no column (null for records ingested in bulk). */
const USAGE_COLUMNS = `tenant_id TEXT NOT NULL, account_id TEXT, party_id TEXT, service_id TEXT,
  usage_type TEXT NOT NULL, status TEXT, started_at %TIME% NOT NULL, duration_s REAL, volume_bytes BIGINT,
  cell_id TEXT, charge REAL, currency TEXT, agreement_id TEXT, created_at %TIME% NOT NULL, updated_at %TIME% NOT NULL,
  doc %DOC%`;
const USAGE_INDEXES = `
  CREATE INDEX crm_usage_by_account ON crm_usage (tenant_id, account_id, started_at);
  CREATE INDEX crm_usage_by_party ON crm_usage (tenant_id, party_id, started_at);`;

CRM_MIGRATIONS.push({
  name: 'crm/002-accounts-services-sla-tickets-interactions-usage',
  sqlite: [
    ...DOMAIN_TABLES.map((t) => tableSql(t, 'sqlite')),
    `CREATE TABLE crm_usage (id INTEGER PRIMARY KEY, ${USAGE_COLUMNS.replace(/%TIME%/g, 'TEXT').replace('%DOC%', 'TEXT')});`,
    USAGE_INDEXES,
  ].join('\n'),
  postgres: [
    ...DOMAIN_TABLES.map((t) => tableSql(t, 'postgres')),
    `CREATE TABLE crm_usage (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      ${USAGE_COLUMNS.replace(/%TIME%/g, 'TIMESTAMPTZ').replace('%DOC%', 'JSONB')});`,
    USAGE_INDEXES,
  ].join('\n'),
});

CRM_MIGRATIONS.push({
  name: 'crm/003-selfcare-key-party',
  sqlite: 'ALTER TABLE crm_api_keys ADD COLUMN party_id TEXT;',
  postgres: 'ALTER TABLE crm_api_keys ADD COLUMN party_id TEXT;',
});

/** The rights of the person: erasure reports and the pseudonym salt (rights/migrations.ts). */
CRM_MIGRATIONS.push(...RIGHTS_MIGRATIONS);

/**
 * A ticket's channel as a column (the queue filters on it, whatever created the ticket), and the contact index
 * that finds an inbound message's sender among millions of parties (party/contacts-sql.ts).
 */
CRM_MIGRATIONS.push({
  name: 'crm/004-ticket-channel-party-contacts',
  sqlite: `ALTER TABLE crm_tickets ADD COLUMN channel TEXT;
    UPDATE crm_tickets SET channel = json_extract(doc, '$.channel.id');
    CREATE INDEX crm_tickets_by_channel ON crm_tickets (tenant_id, channel, resolution_due);
    ${CONTACTS_SQLITE}`,
  postgres: `ALTER TABLE crm_tickets ADD COLUMN channel TEXT;
    UPDATE crm_tickets SET channel = doc -> 'channel' ->> 'id';
    CREATE INDEX crm_tickets_by_channel ON crm_tickets (tenant_id, channel, resolution_due);
    ${CONTACTS_POSTGRES}`,
});
