import { stringify } from 'csv-stringify/sync';
import type { Database } from '@parley/store';
import { badRequest } from '../http/problem.js';
import { USAGE_TYPES } from '../usage/usage.js';
import { isoDate, isoDateTime, oneOf, type ColumnError } from './fields.js';
import type { CsvKind } from './format.js';
import { CSV_FORMATS } from './import.js';

export interface ExportOptions {
  /** Rows read per query (default 2,000). */
  pageSize?: number;
  /** Called after each page with the rows written so far. */
  onProgress?: (rows: number) => void;
}

/** Checks an export's filters; returns them normalized (times as UTC ISO 8601). Throws a 400 HttpProblem. */
export function exportFilters(
  kind: CsvKind,
  query: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const format = CSV_FORMATS[kind];
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(query)) {
    if (raw === undefined || raw === '') continue;
    if (!(name in format.filters)) {
      const names = Object.keys(format.filters);
      throw badRequest(
        `${name}: not a filter of the ${kind} export${names.length ? `; use ${names.join(', ')}` : ''}`,
        name,
      );
    }
    if (typeof raw !== 'string') throw badRequest(`${name}: give it once`, name);
    const errors: ColumnError[] = [];
    let value: string | undefined = raw;
    if (name === 'from' || name === 'to')
      value = /^\d{4}-\d\d-\d\d$/.test(raw)
        ? isoDateTime(`${raw}T00:00:00Z`, name, errors)
        : isoDate(raw, name, errors);
    else if (name === 'kind') value = oneOf(raw, ['Individual', 'Organization'], name, errors);
    else if (name === 'usageType') value = oneOf(raw, USAGE_TYPES, name, errors);
    if (value === undefined) throw badRequest(`${name}: ${errors[0]?.message ?? 'not valid'}`, name);
    out[name] = value;
  }
  return out;
}

/**
 * The tenant's parties, accounts or usage records as CSV text, in the columns an import takes (export, then
 * import into another tenant, gives the same data): the header, then one chunk per page of rows. Pages are
 * read with keyset pagination (each a short query resuming after the last row), so nothing is held in memory
 * beyond a page and no statement stays open between pages. Filters are checked before the first chunk.
 */
export function exportCsv(
  db: Database,
  tenantId: string,
  kind: CsvKind,
  query: Readonly<Record<string, string | undefined>> = {},
  options: ExportOptions = {},
): AsyncGenerator<string> {
  const format = CSV_FORMATS[kind];
  const filters = exportFilters(kind, query);
  const pageSize = options.pageSize ?? 2000;
  return (async function* () {
    yield stringify([format.columns as string[]]);
    let cursor: unknown;
    let rows = 0;
    for (;;) {
      const page = await format.page(db, tenantId, filters, cursor, pageSize);
      if (page.records.length > 0) yield stringify(page.records);
      rows += page.records.length;
      options.onProgress?.(rows);
      if (page.records.length < pageSize) return;
      cursor = page.cursor;
    }
  })();
}
