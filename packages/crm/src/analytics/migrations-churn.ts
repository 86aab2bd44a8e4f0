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

/** Contacts per account, counted for every churn risk the desktop shows (churnCovariates): by index. */
const INTERACTIONS_BY_ACCOUNT =
  'CREATE INDEX crm_interactions_by_account ON crm_interactions (tenant_id, account_id);';

export const CHURN_MIGRATIONS: Migration[] = [
  {
    name: 'crm/analytics-churn-001-models',
    sqlite: TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
  {
    name: 'crm/analytics-churn-002-interactions-by-account',
    sqlite: INTERACTIONS_BY_ACCOUNT,
    postgres: INTERACTIONS_BY_ACCOUNT,
  },
];
