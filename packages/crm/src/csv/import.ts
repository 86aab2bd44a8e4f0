import type { Database } from '@parley/store';
import { ACCOUNTS_CSV } from './accounts.js';
import type { ColumnError } from './fields.js';
import type { CsvFormat, CsvKind, RowContext } from './format.js';
import { PARTIES_CSV } from './parties.js';
import { CsvSyntaxError, readCsvRecords } from './reader.js';
import { References, type Target } from './references.js';
import { USAGE_CSV } from './usage.js';
import { importSink } from './write.js';

export const CSV_FORMATS: Readonly<Record<CsvKind, CsvFormat>> = {
  parties: PARTIES_CSV as CsvFormat,
  accounts: ACCOUNTS_CSV as CsvFormat,
  usage: USAGE_CSV as CsvFormat,
};

/** A problem with one row (as a spreadsheet numbers it: the header is row 1) and, where known, one column. */
export interface RowError {
  row: number;
  column?: string;
  message: string;
}

export interface ImportProgress {
  kind: CsvKind;
  /** validate: reading and checking every row (nothing visible yet); write: making the rows visible. */
  phase: 'validate' | 'write';
  /** Rows read (blank rows and the header not counted). */
  rowsRead: number;
  rowsWritten: number;
  /** Rows with at least one error so far. */
  rowsFailed: number;
  /** Since the import started. */
  seconds: number;
  /** Rows per second since the import started (rows read while validating, rows written while writing). */
  rate: number;
}

export interface ImportOptions {
  /** Validate only: read and check every row, write nothing. */
  dryRun?: boolean;
  /** Rows per transaction (default 10,000). */
  batchSize?: number;
  /** Errors kept for the report (default 1,000); rows past that are still checked and counted. */
  maxErrors?: number;
  /** The agreement of rows that leave agreementId empty. */
  agreementId?: string;
  onProgress?: (progress: ImportProgress) => void;
  /** Least time between two progress calls (default 500 ms); each phase also reports once at its end. */
  progressIntervalMs?: number;
}

export interface ImportReport {
  kind: CsvKind;
  dryRun: boolean;
  /** Data rows in the file (blank rows not counted). */
  rowsRead: number;
  rowsWritten: number;
  /** Rows with at least one error. */
  rowsFailed: number;
  errors: RowError[];
  /** More errors were found than the report lists. */
  errorsTruncated: boolean;
  seconds: number;
}

export type CsvInput = AsyncIterable<Buffer | Uint8Array | string>;
/** The CSV text: a stream (read once), or a function that opens it. */
export type CsvSource = CsvInput | (() => CsvInput);

const LABEL: Record<Target, string> = { party: 'party', account: 'account', service: 'service' };

/**
 * Imports a CSV file of parties, accounts or usage records into one tenant, all or nothing. Every row is read once
 * and checked (types, required columns, ISO dates, numbers, that each referenced party, account or service exists
 * in this tenant, that a given id is new); the errors, not the rows, are kept for the report. If any row fails (or
 * on a dry run) nothing is written and the report lists the errors (row as a spreadsheet numbers it, column,
 * message). Otherwise every row is written, in batches of `batchSize`:
 *
 * - SQLite: valid rows are staged in a temporary table while the file is read; once all have passed they are moved
 *   into the table in batches, each batch one transaction;
 * - PostgreSQL: the import is one transaction, one COPY per batch sent while the next rows are read; it commits
 *   only once every row has passed.
 *
 * On SQLite only a failure of the database itself while the staged batches are moved (disk full) can leave part of
 * a file written: the failing batch is rolled back whole and the report says how many rows were written.
 */
export async function importCsv(
  db: Database,
  tenantId: string,
  kind: CsvKind,
  source: CsvSource,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const format = CSV_FORMATS[kind];
  if (!format) throw new Error(`no CSV format ${String(kind)}`);
  const batchSize = Math.max(1, options.batchSize ?? 10_000);
  const maxErrors = options.maxErrors ?? 1000;
  const interval = options.progressIntervalMs ?? 500;
  const started = performance.now();
  const refs = new References(db, tenantId);
  const errors: RowError[] = [];
  let rowsFailed = 0;
  let rowsWritten = 0;
  let rowsRead = 0;
  let errorCount = 0;
  /** Records an error (up to maxErrors of them; all are counted). */
  const failOne = (row: number, error: ColumnError) => {
    errorCount++;
    if (errors.length < maxErrors)
      errors.push(
        error.column
          ? { row, column: error.column, message: error.message }
          : { row, message: error.message },
      );
  };
  /** A row that failed, with its errors. */
  const fail = (row: number, list: readonly ColumnError[]) => {
    rowsFailed++;
    for (const e of list) failOne(row, e);
  };

  let phase: ImportProgress['phase'] = 'validate';
  let lastProgress = started;
  const progress = (force: boolean) => {
    const t = performance.now();
    if (!options.onProgress || (!force && t - lastProgress < interval)) return;
    lastProgress = t;
    options.onProgress({
      kind,
      phase,
      rowsRead,
      rowsWritten,
      rowsFailed,
      seconds: (t - started) / 1000,
      rate: (phase === 'validate' ? rowsRead : rowsWritten) / Math.max((t - started) / 1000, 1e-9),
    });
  };

  const now = new Date().toISOString();
  const sink = options.dryRun
    ? undefined
    : importSink(db, format.table, format.insertColumns, batchSize, {
        tenant_id: tenantId,
        created_at: now,
        updated_at: now,
      });
  // Per group of records: the converted rows (or drafts) and the references they asked for.
  const drafts: unknown[] = [];
  const draftRows: number[] = [];
  const needTarget: Target[] = [];
  const needId: string[] = [];
  const needColumn: string[] = [];
  const needAbsent: boolean[] = [];
  const needDraft: number[] = [];
  const ctx: RowContext = {
    tenantId,
    now,
    agreementId: options.agreementId ?? null,
    errors: [],
    seen: new Map(),
    row: 0,
    need(target, id, column, absent = false) {
      needTarget.push(target);
      needId.push(id);
      needColumn.push(column);
      needAbsent.push(absent);
      needDraft.push(drafts.length);
    },
  };
  const clearNeeds = (length: number) => {
    needTarget.length = needId.length = needColumn.length = needAbsent.length = needDraft.length = length;
  };
  const databaseError = (error: unknown, written: number) => {
    rowsFailed++;
    failOne(0, {
      message:
        `the database refused the rows (${(error as Error).message}); ` +
        (written > 0 ? `the import stopped after ${written} rows were written` : 'nothing was written'),
    });
  };

  let convert: ((record: string[], ctx: RowContext) => unknown) | undefined;
  let width = 0;
  let row = 0;
  let sinkFailed = false;
  try {
    const input = typeof source === 'function' ? source() : source;
    reading: for await (const records of readCsvRecords(input)) {
      let i = 0;
      if (!convert) {
        row = 1;
        i = 1;
        const header = (records[0] as string[]).map((h) => h.trim());
        width = header.length;
        const mapped = mapHeader(format, header);
        if ('errors' in mapped) {
          fail(1, mapped.errors);
          break reading;
        }
        convert = format.compile(mapped.indexOf);
      }
      for (; i < records.length; i++) {
        row++;
        const record = records[i] as string[];
        if (record.length === 1 && record[0] === '') continue;
        if (record[0] === '' && record.every((f) => f.trim() === '')) continue;
        rowsRead++;
        if (record.length !== width) {
          fail(row, [{ message: `${record.length} fields, but the header names ${width} columns` }]);
          continue;
        }
        ctx.row = row;
        ctx.errors.length = 0;
        const needs = needTarget.length;
        const draft = convert(record, ctx);
        if (draft === undefined || ctx.errors.length > 0) {
          fail(row, ctx.errors);
          clearNeeds(needs);
          continue;
        }
        drafts.push(draft);
        draftRows.push(row);
      }

      if (needTarget.length > 0) {
        refs.trim();
        for (let k = 0; k < needTarget.length; k++) refs.want(needTarget[k] as Target, needId[k] as string);
        await refs.resolve();
      }
      const failed = new Uint8Array(drafts.length);
      for (let k = 0; k < needTarget.length; k++) {
        const target = needTarget[k] as Target;
        const id = needId[k] as string;
        const found = refs.get(target, id);
        const d = needDraft[k] as number;
        const absent = needAbsent[k];
        if (absent ? found : !found) {
          if (!failed[d]) rowsFailed++;
          failed[d] = 1;
          failOne(draftRows[d] as number, {
            column: needColumn[k] as string,
            message: absent
              ? `a ${LABEL[target]} with id ${id} already exists`
              : `no ${LABEL[target]} with id ${id} in this tenant`,
          });
        }
      }
      const valid: unknown[][] = [];
      for (let d = 0; d < drafts.length; d++) {
        if (failed[d]) continue;
        let values = drafts[d] as unknown[] | undefined;
        if (format.finish) {
          ctx.row = draftRows[d] as number;
          ctx.errors.length = 0;
          values = format.finish(values, refs, ctx);
          if (!values || ctx.errors.length > 0) {
            fail(ctx.row, ctx.errors.length > 0 ? ctx.errors : [{ message: 'not valid' }]);
            continue;
          }
        }
        if (rowsFailed === 0) valid.push(values as unknown[]);
      }
      drafts.length = draftRows.length = 0;
      clearNeeds(0);
      if (sink && !sinkFailed) {
        try {
          // After the first error nothing more is kept; what was is dropped.
          if (rowsFailed > 0) await sink.abort();
          else await sink.add(valid);
        } catch (error) {
          sinkFailed = true;
          databaseError(error, 0);
          await sink.abort();
        }
      }
      progress(false);
    }
    if (!convert && rowsFailed === 0)
      fail(1, [{ message: 'the file is empty: its first row must name the columns' }]);
  } catch (error) {
    if (error instanceof CsvSyntaxError) fail(error.row, [{ message: `CSV syntax: ${error.message}` }]);
    else {
      await sink?.abort();
      throw error;
    }
  }
  progress(true);

  if (sink) {
    if (rowsFailed > 0) await sink.abort();
    else {
      phase = 'write';
      try {
        await sink.commit((n) => {
          rowsWritten = n;
          progress(false);
        });
      } catch (error) {
        databaseError(error, rowsWritten);
        await sink.abort();
      }
      progress(true);
    }
  }
  return {
    kind,
    dryRun: Boolean(options.dryRun),
    rowsRead,
    rowsWritten,
    rowsFailed,
    errors,
    errorsTruncated: errorCount > errors.length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Matches a header to a format's columns (any order, any case, aliases); an empty header cell is ignored. */
function mapHeader(
  format: CsvFormat,
  header: string[],
): { indexOf: (column: string) => number } | { errors: ColumnError[] } {
  const errors: ColumnError[] = [];
  const index = new Map<string, number>();
  const byLower = new Map(format.columns.map((c) => [c.toLowerCase(), c]));
  for (const [alias, column] of Object.entries(format.aliases ?? {}))
    byLower.set(alias.toLowerCase(), column);
  header.forEach((name, i) => {
    if (name === '') return;
    const column = byLower.get(name.toLowerCase());
    if (!column) {
      errors.push({
        column: name,
        message: `not a column of ${format.kind}; the columns are ${format.columns.join(', ')}`,
      });
    } else if (index.has(column)) {
      errors.push({ column: name, message: `the column ${column} is named twice` });
    } else index.set(column, i);
  });
  for (const column of format.required) {
    if (!index.has(column)) errors.push({ column, message: 'this column is required' });
  }
  return errors.length > 0 ? { errors } : { indexOf: (column) => index.get(column) ?? -1 };
}
