import type { Migration } from '@parley/store';
import { RESOURCE_COLUMNS, tableSql, type TableSpec } from '../schema-sql.js';

const R = RESOURCE_COLUMNS;

/**
 * Intentcasting on the vendor side. Every table is keyed by tenant first; signed messages are kept as the JSON
 * text made or received (`text`, not JSONB, which would reorder members).
 *
 * - `crm_product_offerings`: the TMF620 catalogue, with what matching reads as columns (first category,
 *   brand, tax-included price, currency, lifecycle status).
 * - `crm_sales_leads`: TMF699 leads made when an offer is accepted (`agreement_id`: the agreement that followed).
 * - `crm_intents`: each intentcast received (pushed or read from a feed), signed by a one-off identity and
 *   holding no personal data; its decision, the answer given (replayed to the same intentcast), and the
 *   delivery of that answer to the intent's `replyTo` when it was not given in the HTTP answer.
 * - `crm_intent_offers`: each signed offer, `open` until accepted (`taken`, with the agreement).
 * - `crm_intent_feeds`: agents' feeds the tenant follows, with the cursor of each.
 */
const TABLES: TableSpec[] = [
  {
    name: 'crm_product_offerings',
    columns: {
      ...R,
      name: 'text not null',
      category: 'text',
      brand: 'text',
      price: 'real',
      currency: 'text',
      lifecycle_status: 'text',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_category: { columns: ['tenant_id', 'category', 'currency', 'price'] } },
  },
  {
    name: 'crm_sales_leads',
    columns: { ...R, name: 'text not null', status: 'text not null', party_id: 'text' },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_agreement: { columns: ['tenant_id', 'agreement_id'] },
      by_party: { columns: ['tenant_id', 'party_id'] },
    },
  },
  {
    name: 'crm_intents',
    columns: {
      tenant_id: 'text not null',
      intent_id: 'text not null',
      intent_hash: 'text not null',
      intent_did: 'text not null',
      intentcast: 'text not null',
      status: 'text not null',
      source: 'text not null',
      feed_id: 'text',
      vendor_url: 'text',
      decision: 'text',
      decision_kind: 'text',
      offer_id: 'text',
      response: 'text',
      delivery_status: 'text',
      delivery_attempts: 'int not null',
      delivery_due_at: 'time',
      delivery_error: 'text',
      valid_until: 'time not null',
      received_at: 'time not null',
      decided_at: 'time',
    },
    primaryKey: ['tenant_id', 'intent_id'],
    indexes: {
      by_status: { columns: ['tenant_id', 'status', 'received_at'] },
      due: { columns: ['delivery_due_at'], where: "delivery_status = 'pending'" },
    },
  },
  {
    name: 'crm_intent_offers',
    columns: {
      tenant_id: 'text not null',
      offer_id: 'text not null',
      intent_id: 'text not null',
      offer_hash: 'text not null',
      offer: 'text not null',
      status: 'text not null',
      valid_until: 'time not null',
      acceptance_id: 'text',
      agreement_id: 'text',
      created_at: 'time not null',
      taken_at: 'time',
    },
    primaryKey: ['tenant_id', 'offer_id'],
    indexes: { by_intent: { columns: ['tenant_id', 'intent_id'] } },
  },
  {
    name: 'crm_intent_feeds',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      url: 'text not null',
      vendor_url: 'text not null',
      feed_cursor: 'text',
      answered: 'int not null',
      polled_at: 'time',
      last_error: 'text',
      created_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_url: { columns: ['tenant_id', 'url'], unique: true } },
  },
];

export const INTENT_MIGRATIONS: Migration[] = [
  {
    name: 'crm/intent-001-catalogue-intents-offers-feeds-leads',
    sqlite: TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
