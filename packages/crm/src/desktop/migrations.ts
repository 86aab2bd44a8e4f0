import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/**
 * The agent desktop's memory: which fact resolved which contact (`crm_contact_resolutions`), what the
 * in-context ranking learns its reason-to-fact weights from; and an index to find degraded cells fast.
 */
const TABLES: TableSpec[] = [
  {
    name: 'crm_contact_resolutions',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      party_id: 'text not null',
      ticket_id: 'text',
      reason: 'text not null',
      fact_type: 'text not null',
      fact_id: 'text not null',
      resolved_by: 'text not null',
      resolved_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_reason: { columns: ['tenant_id', 'reason', 'fact_type'] } },
  },
];

const CELL_INDEX =
  'CREATE INDEX crm_qoe_measurements_by_cell ON crm_qoe_measurements (tenant_id, cell_id, measured_at);';

export const DESKTOP_MIGRATIONS: Migration[] = [
  {
    name: 'crm/desktop-001-resolutions-cells',
    sqlite: [...TABLES.map((t) => tableSql(t, 'sqlite')), CELL_INDEX].join('\n'),
    postgres: [...TABLES.map((t) => tableSql(t, 'postgres')), CELL_INDEX].join('\n'),
  },
];
