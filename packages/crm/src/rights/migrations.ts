import type { Migration } from '@parley/store';
import { tableSql, type TableSpec } from '../schema-sql.js';

/**
 * The rights of the person (rights/erasure.ts).
 *
 * - `crm_erasures`: one report per erased party (unique: a party is erased once; asking again answers the
 *   stored report). `report` is the JSON answered, without its ledger receipt, whose SHA-256 is logged in the
 *   vendor's ledger (`report_sha256`); `ledger` the receipt, set once the record is logged. The report holds
 *   counts, legal grounds and the pseudonym, never personal data.
 * - `crm_erasure_salts`: the tenant's secret salt of pseudonyms (`erased:` + HMAC-SHA256(salt, party id)), made
 *   at the tenant's first erasure; without it a pseudonym cannot be linked back to a party id.
 */
const TABLES: TableSpec[] = [
  {
    name: 'crm_erasures',
    columns: {
      tenant_id: 'text not null',
      id: 'text not null',
      party_id: 'text not null',
      erased_at: 'time not null',
      reason: 'text not null',
      requested_by: 'text not null',
      report: 'text not null',
      report_sha256: 'text not null',
      ledger: 'text',
    },
    primaryKey: ['tenant_id', 'id'],
    indexes: { by_party: { columns: ['tenant_id', 'party_id'], unique: true } },
  },
  {
    name: 'crm_erasure_salts',
    columns: { tenant_id: 'text not null', salt: 'text not null', created_at: 'time not null' },
    primaryKey: ['tenant_id'],
  },
];

export const RIGHTS_MIGRATIONS: Migration[] = [
  {
    name: 'crm/rights-001-erasures',
    sqlite: TABLES.map((t) => tableSql(t, 'sqlite')).join('\n'),
    postgres: TABLES.map((t) => tableSql(t, 'postgres')).join('\n'),
  },
];
