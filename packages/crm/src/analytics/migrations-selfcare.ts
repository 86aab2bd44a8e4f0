import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/**
 * Self-care session events (analytics/selfcare.ts): what a person did on the web or app self-care, one row an
 * event. A session is its events with the same `session_id`; the party's index finds her recent sessions when
 * she calls, the time index serves the reports over a window.
 */
const TABLES: TableSpec[] = [
  {
    name: 'crm_selfcare_events',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      party_id: 'text not null',
      account_id: 'text',
      session_id: 'text not null',
      occurred_at: 'time not null',
      kind: 'text not null',
      page: 'text not null',
      load_ms: 'real',
      detail: 'text',
      created_at: 'time not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: {
      by_session: { columns: ['tenant_id', 'session_id', 'occurred_at'] },
      by_party: { columns: ['tenant_id', 'party_id', 'occurred_at'] },
      by_time: { columns: ['tenant_id', 'occurred_at'] },
    },
  },
];

export const SELFCARE_MIGRATIONS: Migration[] = [
  {
    name: 'crm/selfcare-001-events',
    sqlite: TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
