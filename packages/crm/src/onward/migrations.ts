import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/**
 * Onward sharing under JLINC BISAs (docs/relationships.md, "Onward sharing"). Signed messages are kept as the
 * JSON text received or made. Every table is keyed by tenant first.
 *
 * Both sides:
 * - `crm_onward_bisas`: each BISA the tenant made (`role` offeror: it shares onward, `peer_url` is the
 *   recipient's vendor URL) or accepted (`role` acceptor: it receives), with the head of the BISA's event chain.
 *
 * The sharer:
 * - `crm_onward_shares`: each onward share: the agreement and party it came from, the recipient, the field
 *   names (never values), the purpose, its status (`active`, `withdrawal-pending`, `withdrawn`; `sending`
 *   while the first delivery runs), the recipient's acknowledgements and the ledger indexes.
 * - `crm_onward_outbox`: BISA events not yet acknowledged, in chain order per BISA (`seq`); the signed event is
 *   fixed at its first attempt so a retry sends the same event. Rows go once acknowledged.
 *
 * The recipient:
 * - `crm_onward_received`: each value received, with its provenance (BISA, share, sharer, original agreement,
 *   terms, purposes) and `purge_at` (received_at + retentionDays; null: until withdrawn).
 * - `crm_onward_events`: every accepted event of a BISA's chain, with the answer it got (a re-delivery gets the
 *   same answer; answers of a share, which carry its values, are dropped when it is withdrawn or purged).
 */
const TABLES: TableSpec[] = [
  {
    name: 'crm_onward_bisas',
    columns: {
      tenant_id: 'text not null',
      bisa_id: 'text not null',
      role: 'text not null',
      offering_id: 'text not null',
      offeror_did: 'text not null',
      acceptor_did: 'text not null',
      agreement_uri: 'text not null',
      peer_url: 'text',
      offering: 'text not null',
      bisa: 'text not null',
      head_event_id: 'text',
      created_at: 'time not null',
      updated_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'bisa_id'],
    indexes: {
      by_offering: { columns: ['tenant_id', 'role', 'offering_id'], unique: true },
      by_peer: { columns: ['tenant_id', 'role', 'acceptor_did', 'agreement_uri'] },
    },
  },
  {
    name: 'crm_onward_shares',
    columns: {
      tenant_id: 'text not null',
      share_id: 'text not null',
      agreement_id: 'text not null',
      party_id: 'text not null',
      recipient_url: 'text not null',
      recipient_did: 'text not null',
      bisa_id: 'text not null',
      fields: 'text not null',
      purpose: 'text not null',
      status: 'text not null',
      shared_at: 'time not null',
      ack: 'text',
      ledger_index: 'int',
      withdrawal_reason: 'text',
      withdrawn_at: 'time',
      withdrawal_confirmed_at: 'time',
      withdrawal_ack: 'text',
      confirmation: 'text',
      withdrawal_ledger_index: 'int',
      last_error: 'text',
    },
    primaryKey: ['tenant_id', 'share_id'],
    indexes: {
      by_agreement: { columns: ['tenant_id', 'agreement_id', 'shared_at'] },
      by_status: { columns: ['status', 'tenant_id'] },
    },
  },
  {
    name: 'crm_onward_outbox',
    columns: {
      tenant_id: 'text not null',
      bisa_id: 'text not null',
      seq: 'int not null',
      share_id: 'text not null',
      kind: 'text not null',
      payload: 'text not null',
      event: 'text',
      attempts: 'int not null',
      last_error: 'text',
      created_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'bisa_id', 'seq'],
  },
  {
    name: 'crm_onward_received',
    columns: {
      tenant_id: 'text not null',
      bisa_id: 'text not null',
      share_id: 'text not null',
      field: 'text not null',
      value: 'text not null',
      sharer_did: 'text not null',
      agreement_id: 'text not null',
      terms_id: 'text not null',
      purposes: 'text not null',
      event_id: 'text not null',
      received_at: 'time not null',
      purge_at: 'time',
    },
    primaryKey: ['tenant_id', 'bisa_id', 'share_id', 'field'],
    indexes: { by_purge: { columns: ['purge_at'], where: 'purge_at IS NOT NULL' } },
  },
  {
    name: 'crm_onward_events',
    columns: {
      tenant_id: 'text not null',
      event_id: 'text not null',
      bisa_id: 'text not null',
      previous_id: 'text',
      share_id: 'text not null',
      kind: 'text not null',
      response: 'text',
      received_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'event_id'],
    indexes: { by_share: { columns: ['tenant_id', 'bisa_id', 'share_id'] } },
  },
];

export const ONWARD_MIGRATIONS: Migration[] = [
  {
    name: 'crm/onward-001-bisa-shares',
    sqlite: TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
