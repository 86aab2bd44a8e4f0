import type { Migration } from '@parley/store';
import { CLOSED_STATUSES } from '../ticket/ticket.js';

const OPEN = `status NOT IN (${CLOSED_STATUSES.map((s) => `'${s}'`).join(', ')})`;
const INDEXES = `
  CREATE INDEX crm_account_members_supervised_by_account ON crm_account_members (tenant_id, account_id, party_id)
    WHERE role = 'secondary' AND parental_controls = 1;
  CREATE INDEX crm_tickets_open_by_account ON crm_tickets (tenant_id, account_id, party_id, status)
    WHERE ${OPEN};`;

/**
 * Indexes of the relationship queries (insight/queries.ts), both partial and covering:
 * - open tickets in account order, with the reporting party: "accounts with open tickets and ..." walks only
 *   the open tickets (a few percent of all), in the order pages are cut, without reading the table;
 * - supervised secondaries (role secondary, parental controls on) by account, then party: one index probe per
 *   candidate account (or account and reporting party) instead of reading every member row of the account.
 * The open-ticket predicate is written with literals, as the queries write it: a planner matches a partial index
 * only against constants.
 */
export const INSIGHT_MIGRATIONS: Migration[] = [
  { name: 'crm/insight-001-indexes', sqlite: INDEXES, postgres: INDEXES },
];

// The member index of crm/002 (party first) serves no query; the account-first one above replaces it.
INSIGHT_MIGRATIONS.push({
  name: 'crm/insight-002-drop-party-first-supervised-index',
  sqlite: 'DROP INDEX IF EXISTS crm_account_members_supervised;',
  postgres: 'DROP INDEX IF EXISTS crm_account_members_supervised;',
});
