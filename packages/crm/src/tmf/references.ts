import type { Database } from '@parley/store';
import { unprocessable } from '../http/problem.js';

export interface Ref {
  id?: string;
  role?: string;
  name?: string;
  '@referredType'?: string;
}

export type Doc = Record<string, unknown>;

export const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
export const refs = (v: unknown): Ref[] => (Array.isArray(v) ? (v as Ref[]) : []);
export const ref = (v: unknown): Ref | undefined => (v && typeof v === 'object' ? (v as Ref) : undefined);

export const PARTY_TYPES = ['Individual', 'Organization'];
export const ACCOUNT_TYPES = ['BillingAccount', 'PartyAccount'];

/** The first reference that plays `role`, else the first whose referred type is one of `types`. */
export function pick(list: Ref[], role: string, types: string[]): Ref | undefined {
  return (
    list.find((r) => r.role === role && (!r['@referredType'] || types.includes(r['@referredType']))) ??
    list.find((r) => r['@referredType'] && types.includes(r['@referredType']))
  );
}

interface Target {
  table: string;
  label: string;
  /** Column and allowed values that narrow the table, e.g. kind in (Individual, Organization). */
  kind?: { column: string; values: string[] };
}

export const PARTIES: Target = {
  table: 'crm_parties',
  label: 'party',
  kind: { column: 'kind', values: PARTY_TYPES },
};
export const ACCOUNTS: Target = {
  table: 'crm_accounts',
  label: 'account',
  kind: { column: 'kind', values: ACCOUNT_TYPES },
};
export const SERVICES: Target = { table: 'crm_services', label: 'service' };
export const SLAS: Target = { table: 'crm_slas', label: 'SLA' };
export const TICKETS: Target = { table: 'crm_tickets', label: 'trouble ticket' };
export const GROUPS: Target = { table: 'crm_user_groups', label: 'user group' };

/**
 * Requires that `id` names a row of the same tenant (an id of another tenant is simply not found), and returns
 * the row's selected columns. A referred type narrows the kind (an Individual reference must name an Individual).
 */
export async function requireRef<C extends string = never>(
  db: Database,
  tenantId: string,
  target: Target,
  reference: Ref | undefined,
  field: string,
  columns: C[] = [],
): Promise<Record<C | 'id', unknown>> {
  let kinds = target.kind?.values;
  const referred = reference?.['@referredType'];
  if (target.kind && referred) {
    if (!target.kind.values.includes(referred)) {
      throw unprocessable(
        `${field}.@referredType: expected ${target.kind.values.join(' or ')}, not ${referred}`,
        `${field}.@referredType`,
      );
    }
    kinds = [referred];
  }
  let q = db.kysely
    .selectFrom(target.table)
    .select(['id', ...columns])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', reference?.id ?? '');
  if (target.kind && kinds) q = q.where(target.kind.column, 'in', kinds);
  const row = (await q.executeTakeFirst()) as Record<C | 'id', unknown> | undefined;
  if (!row) {
    throw unprocessable(
      `${field}.id: no ${target.label} with id ${reference?.id ?? '(none)'}`,
      `${field}.id`,
    );
  }
  return row;
}

/** Checks every reference of a list whose referred type belongs to the target. */
export async function requireRefs(
  db: Database,
  tenantId: string,
  target: Target,
  list: Ref[],
  field: string,
): Promise<void> {
  for (const [i, r] of list.entries()) {
    if (target.kind && !target.kind.values.includes(r['@referredType'] ?? '')) continue;
    await requireRef(db, tenantId, target, r, `${field}.${i}`);
  }
}
