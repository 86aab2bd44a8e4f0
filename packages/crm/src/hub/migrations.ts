import type { Migration } from '@parley/store';

/**
 * The hub's tables. `crm_hub_subscriptions` holds the TMF EventSubscription of each listener, per tenant and
 * API. `crm_hub_deliveries` is the outbox: one row per (event, subscription), inserted in the transaction that
 * makes the change, so a change and its notification commit together or not at all.
 *
 * A delivery is pending while `next_attempt_at` is set; it is cleared when the delivery succeeds
 * (`delivered_at` set) or is given up (`delivered_at` null, `last_error` says why). A deliverer claims a
 * pending row by pushing `next_attempt_at` forward by a lease; if it dies mid-delivery the lease runs out and
 * the row is due again (at-least-once).
 *
 * Deliveries are keyed by a sequence, not by tenant first: the sequence orders the deliveries of one
 * subscription, and the deliverer polls across tenants. In PostgreSQL the primary key still leads with the
 * tenant (Citus can shard by it); the due index is global.
 */
export const HUB_MIGRATIONS: Migration[] = [
  {
    name: 'crm/hub-001-subscriptions',
    sqlite: `
      CREATE TABLE crm_hub_subscriptions (tenant_id TEXT NOT NULL REFERENCES crm_tenants(id), id TEXT NOT NULL,
        api TEXT NOT NULL, callback TEXT NOT NULL, query TEXT, created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)) WITHOUT ROWID;
      CREATE INDEX crm_hub_subscriptions_by_api ON crm_hub_subscriptions (tenant_id, api);
      CREATE TABLE crm_hub_deliveries (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL,
        subscription_id TEXT NOT NULL, event TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT, delivered_at TEXT, last_error TEXT, created_at TEXT NOT NULL,
        FOREIGN KEY (tenant_id, subscription_id) REFERENCES crm_hub_subscriptions (tenant_id, id) ON DELETE CASCADE);
      CREATE INDEX crm_hub_deliveries_due ON crm_hub_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
      CREATE INDEX crm_hub_deliveries_by_subscription ON crm_hub_deliveries (tenant_id, subscription_id, id);`,
    postgres: `
      CREATE TABLE crm_hub_subscriptions (tenant_id TEXT NOT NULL REFERENCES crm_tenants(id), id TEXT NOT NULL,
        api TEXT NOT NULL, callback TEXT NOT NULL, query TEXT, created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (tenant_id, id));
      CREATE INDEX crm_hub_subscriptions_by_api ON crm_hub_subscriptions (tenant_id, api);
      CREATE TABLE crm_hub_deliveries (id BIGINT GENERATED ALWAYS AS IDENTITY, tenant_id TEXT NOT NULL,
        subscription_id TEXT NOT NULL, event TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMPTZ, delivered_at TIMESTAMPTZ, last_error TEXT, created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, subscription_id) REFERENCES crm_hub_subscriptions (tenant_id, id) ON DELETE CASCADE);
      CREATE INDEX crm_hub_deliveries_due ON crm_hub_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
      CREATE INDEX crm_hub_deliveries_by_subscription ON crm_hub_deliveries (tenant_id, subscription_id, id);`,
  },
];
