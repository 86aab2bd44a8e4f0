import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/** Fitted churn models (the whole fit as JSON text, newest first by fitted_at). */
const TABLES: TableSpec[] = [
  {
    name: 'crm_churn_models',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      fitted_at: 'time not null',
      model: 'text not null',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_time: { columns: ['tenant_id', 'fitted_at'] } },
  },
];

export const CHURN_MIGRATIONS: Migration[] = [
  {
    name: 'crm/analytics-churn-001-models',
    sqlite: TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
