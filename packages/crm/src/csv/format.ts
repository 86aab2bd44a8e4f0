import { randomUUID } from 'node:crypto';
import type { Database } from '@parley/store';
import { identifier, type ColumnError } from './fields.js';
import type { References, Target } from './references.js';

/** What a CSV file holds: TMF632 parties, TMF666 billing accounts, or TMF635 usage records (CDRs). */
export type CsvKind = 'parties' | 'accounts' | 'usage';
export const CSV_KINDS: readonly CsvKind[] = ['parties', 'accounts', 'usage'];

/** Everything a row's conversion may use and report to. */
export interface RowContext {
  tenantId: string;
  /** The time written as created_at and updated_at. */
  now: string;
  /** The agreement of rows that name none (the import's default), or null. */
  agreementId: string | null;
  /** This row's problems (the engine empties it before each row). */
  errors: ColumnError[];
  /** Asks that `id` names a record of `target` in this tenant (or, with `absent`, that it does not yet). */
  need(target: Target, id: string, column: string, absent?: boolean): void;
  /** Ids given in the file so far, with their row (to refuse an id given twice). */
  seen: Map<string, number>;
  /** The row being converted. */
  row: number;
}

/**
 * One kind of CSV file: its columns, how a row becomes the values of one database row, and how a stored row
 * becomes a CSV row again (export then import gives the same data).
 */
export interface CsvFormat<Draft = unknown> {
  kind: CsvKind;
  table: string;
  /** The columns, in the order an export writes them; an import takes them in any order. */
  columns: readonly string[];
  /** Columns the header of an import must have. */
  required: readonly string[];
  /** Other header names accepted for a column (e.g. formattedName for name). */
  aliases?: Readonly<Record<string, string>>;
  /** The database columns an import fills, in the order of the values `finish` (or `compile`) gives. */
  insertColumns: readonly string[];
  /**
   * Binds a converter to a header: `indexOf(column)` is the field number of a column in each record, or -1.
   * The converter returns the row's values (or a draft for `finish`), or undefined after adding to ctx.errors.
   */
  compile(indexOf: (column: string) => number): (record: string[], ctx: RowContext) => Draft | undefined;
  /** Completes a draft once the references it asked for are resolved (e.g. fills in the holder's name). */
  finish?(draft: Draft, refs: References, ctx: RowContext): unknown[] | undefined;
  /** Reads one page of the tenant's stored rows for export, after `cursor`. */
  page(
    db: Database,
    tenantId: string,
    filters: Readonly<Record<string, string>>,
    cursor: unknown,
    limit: number,
  ): Promise<{ records: string[][]; cursor: unknown }>;
  /** The filters an export takes (query parameters), with what each does. */
  filters: Readonly<Record<string, string>>;
}

/** Trimmed field `i` of a record ('' when the header has no such column). */
export const field = (record: string[], i: number): string => (i < 0 ? '' : (record[i] ?? '').trim());

/**
 * The id of a new record: the row's own (checked, once per file, and not yet taken in the tenant), or a new
 * UUID when the column is empty.
 */
export function newRecordId(ctx: RowContext, given: string | undefined, target: Target): string {
  if (!given) return randomUUID();
  if (identifier(given, 'id', ctx.errors) !== undefined) {
    const before = ctx.seen.get(given);
    if (before !== undefined) ctx.errors.push({ column: 'id', message: `the same id as row ${before}` });
    else {
      ctx.seen.set(given, ctx.row);
      ctx.need(target, given, 'id', true);
    }
  }
  return given;
}
