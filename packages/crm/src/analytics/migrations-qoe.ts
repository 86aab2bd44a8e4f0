import type { Migration } from '@parley/store';

/**
 * QoE against SLA by user group (analytics/qoe.ts): the members of a group, found without scanning every
 * membership. (By cell, the desktop's index on measurements serves; by account, user and service, the tables'
 * own indexes.)
 */
const GROUP_INDEX =
  'CREATE INDEX crm_account_members_by_group ON crm_account_members (tenant_id, group_id, party_id) WHERE group_id IS NOT NULL;';

export const QOE_MIGRATIONS: Migration[] = [
  { name: 'crm/analytics-qoe-001-group-index', sqlite: GROUP_INDEX, postgres: GROUP_INDEX },
];
