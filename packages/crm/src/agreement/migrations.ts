import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/**
 * The vendor side of the Parley protocol. Signed messages (the agreement, the SISA, answers) are kept as the
 * JSON text received or made, byte for byte (`text`, not JSONB, which would reorder members). Every table is
 * keyed by tenant first.
 *
 * - `crm_vendor_profiles`: what each tenant publishes at `GET {vendor}` (absent: the defaults).
 * - `crm_agreement_negotiations`: one row per SISA ever proffered with (unique: a SISA is used once), the
 *   proposal, the vendor's answer, and the answer sent back (a pending counter-offer is `countered`).
 * - `crm_agreements`: agreements in force or terminated, the party they are bound to, the head of the SISA's
 *   event chain (`head_event_id`, so chain heads survive restarts) and the permissions in force.
 * - `crm_agreement_events`: every accepted event of a chain, with the 200 answer it got (a re-delivery gets
 *   the same answer; answers carrying data are dropped when the agreement ends).
 * - `crm_agreement_data`: each value received under an agreement with its provenance (event, time), and what
 *   the party held before the agreement first wrote it (`replaced`), so destruction restores the vendor's own.
 * - `crm_agreement_data_requests`: ids of answered data requests, kept at least 10 minutes (replay refusal).
 * - `crm_agreement_invitations`: one-time codes (SHA-256 only) binding an agreement to an existing party.
 */
const TABLES: TableSpec[] = [
  {
    name: 'crm_vendor_profiles',
    columns: { tenant_id: 'text not null', profile: 'text not null', updated_at: 'time not null' },
    primaryKey: ['tenant_id'],
  },
  {
    name: 'crm_agreement_negotiations',
    columns: {
      tenant_id: 'text not null',
      proposal_id: 'text not null',
      sisa_id: 'text not null',
      person_did: 'text not null',
      status: 'text not null',
      sisa: 'text not null',
      proposal: 'text not null',
      proposal_hash: 'text not null',
      answer: 'text not null',
      reply_hash: 'text',
      invitation_hash: 'text',
      agreement_id: 'text',
      response: 'text not null',
      created_at: 'time not null',
      updated_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'proposal_id'],
    indexes: { by_sisa: { columns: ['tenant_id', 'sisa_id'], unique: true } },
  },
  {
    name: 'crm_agreements',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      sisa_id: 'text not null',
      person_did: 'text not null',
      party_id: 'text not null',
      status: 'text not null',
      terms: 'text not null',
      agreement: 'text not null',
      sisa: 'text not null',
      permissions: 'text not null',
      head_event_id: 'text',
      person_status: 'text',
      created_at: 'time not null',
      updated_at: 'time not null',
      terminated_at: 'time',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_sisa: { columns: ['tenant_id', 'sisa_id'], unique: true },
      by_party: { columns: ['tenant_id', 'party_id'] },
      by_person: { columns: ['tenant_id', 'person_did'] },
    },
  },
  {
    name: 'crm_agreement_events',
    columns: {
      tenant_id: 'text not null',
      event_id: 'text not null',
      sisa_id: 'text not null',
      agreement_id: 'text not null',
      previous_id: 'text',
      event_type: 'text not null',
      message_type: 'text not null',
      response: 'text',
      ledger_index: 'int',
      created_at: 'time not null',
      received_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'event_id'],
    indexes: { by_agreement: { columns: ['tenant_id', 'agreement_id', 'received_at'] } },
  },
  {
    name: 'crm_agreement_data',
    columns: {
      tenant_id: 'text not null',
      agreement_id: 'text not null',
      field: 'text not null',
      value: 'text not null',
      replaced: 'text',
      event_id: 'text not null',
      received_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'agreement_id', 'field'],
  },
  {
    name: 'crm_agreement_data_requests',
    columns: {
      tenant_id: 'text not null',
      request_id: 'text not null',
      agreement_id: 'text not null',
      received_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'request_id'],
    indexes: { by_time: { columns: ['received_at'] } },
  },
  {
    name: 'crm_agreement_invitations',
    columns: {
      tenant_id: 'text not null',
      code_hash: 'text not null',
      party_id: 'text not null',
      created_at: 'time not null',
      expires_at: 'time not null',
      used_at: 'time',
      agreement_id: 'text',
    },
    primaryKey: ['tenant_id', 'code_hash'],
  },
];

export const AGREEMENT_MIGRATIONS: Migration[] = [
  {
    name: 'crm/agreement-001-vendor-endpoint',
    sqlite: TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
