import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/**
 * What the CRM keeps to show it obeyed the terms it signed (docs/compliance.md):
 *
 * - `crm_agreement_events` gains `fields` (the names a data event carried, never values) and `purge_at`
 *   (when its retention ends: its receipt plus the agreement's retentionDays; null = none).
 * - `crm_retention_purges`: each purge of an agreement's expired values, with the signed RetentionPurge
 *   receipt the person's agent collects and the ledger index of its audit record.
 * - `crm_data_uses`: each declared use (campaign, segment, export, share) with its purpose, what it
 *   included and excluded (counts by reason) and its ledger index; `crm_data_use_members` one row per party
 *   considered, included or not and why, under which agreement.
 */
const TABLES: TableSpec[] = [
  {
    name: 'crm_retention_purges',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      agreement_id: 'text not null',
      party_id: 'text not null',
      receipt: 'text not null',
      fields: 'text not null',
      event_ids: 'text not null',
      values_removed: 'int not null',
      due_at: 'time not null',
      purged_at: 'time not null',
      ledger_index: 'int not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_agreement: { columns: ['tenant_id', 'agreement_id', 'purged_at'] } },
  },
  {
    name: 'crm_data_uses',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      kind: 'text not null',
      purpose: 'text not null',
      channel: 'text',
      publication: 'text',
      third_party: 'flag not null',
      description: 'text not null',
      requested_by: 'text not null',
      included: 'int not null',
      excluded: 'int not null',
      exclusions: 'text not null',
      ledger_index: 'int not null',
      created_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_time: { columns: ['tenant_id', 'created_at'] } },
  },
  {
    name: 'crm_data_use_members',
    columns: {
      tenant_id: 'text not null',
      use_id: 'text not null',
      party_id: 'text not null',
      agreement_id: 'text',
      included: 'flag not null',
      reason: 'text',
    },
    primaryKey: ['tenant_id', 'use_id', 'party_id'],
    indexes: {
      by_party: { columns: ['tenant_id', 'party_id'] },
      by_agreement: { columns: ['tenant_id', 'agreement_id'] },
    },
  },
];

const EVENT_COLUMNS = (time: string) => `
  ALTER TABLE crm_agreement_events ADD COLUMN fields TEXT;
  ALTER TABLE crm_agreement_events ADD COLUMN purge_at ${time};
  CREATE INDEX crm_agreement_events_by_purge ON crm_agreement_events (purge_at);`;

export const COMPLIANCE_MIGRATIONS: Migration[] = [
  {
    name: 'crm/compliance-001-retention-purges-and-uses',
    sqlite: EVENT_COLUMNS('TEXT') + '\n' + TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: EVENT_COLUMNS('TIMESTAMPTZ') + '\n' + TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
