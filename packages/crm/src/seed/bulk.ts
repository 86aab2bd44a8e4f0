import type { Database } from '@parley/store';

/** Rows of one table in a write: the columns, then the values row after row. */
export interface TableRows {
  table: string;
  columns: string[];
  values: unknown[];
}

/**
 * Buffers rows per table and writes each flush in one transaction: on SQLite with prepared statements on the raw
 * better-sqlite3 handle (an immediate transaction, so that several connections writing in turn wait for the lock
 * instead of failing), on PostgreSQL as one `INSERT ... SELECT FROM unnest($1::type[], ...)` per table and chunk
 * (one array parameter per column). On PostgreSQL the write runs while the caller prepares the next batch: `flush`
 * waits for the previous write first, so at most one batch is in flight, and `close` waits for the last. Rows are
 * plain column -> value objects; the columns of each table are read from the database, and a member that is not a
 * column is an error (a generator bug).
 */
export class BulkWriter {
  private readonly buffers = new Map<string, Record<string, unknown>[]>();
  private readonly columns = new Map<string, { name: string; type: string }[]>();
  private readonly statements = new Map<string, { run(...values: unknown[]): unknown }>();
  private inFlight: Promise<void> = Promise.resolve();
  private pending = 0;
  /** Rows handed to the database so far, per table. */
  readonly written = new Map<string, number>();

  constructor(private readonly db: Database) {}

  /** Reads the columns of the tables rows will go to. */
  async prepare(tables: readonly string[]): Promise<void> {
    for (const table of tables) {
      let cols: { name: string; type: string }[];
      if (this.db.kind === 'sqlite') {
        cols = (this.db.sqlite.pragma(`table_info(${table})`) as { name: string; type: string }[]).map(
          (c) => ({ name: c.name, type: c.type.toLowerCase() }),
        );
      } else {
        const result = await this.db.pool.query<{ column_name: string; udt_name: string }>(
          `SELECT column_name, udt_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        );
        cols = result.rows.map((c) => ({ name: c.column_name, type: c.udt_name }));
      }
      if (cols.length === 0) throw new Error(`seed: no table ${table} (run the CRM migrations first)`);
      this.columns.set(table, cols);
    }
  }

  /** Rows buffered since the last flush. */
  get pendingRows(): number {
    return this.pending;
  }

  add(table: string, row: Record<string, unknown>): void {
    let buffer = this.buffers.get(table);
    if (!buffer) {
      if (!this.columns.has(table)) throw new Error(`seed: table ${table} was not prepared`);
      buffer = [];
      this.buffers.set(table, buffer);
    }
    buffer.push(row);
    this.pending++;
  }

  /** Waits for the previous write, then starts writing every buffered row in one transaction. */
  async flush(): Promise<void> {
    await this.inFlight;
    if (this.pending === 0) return;
    const work: TableRows[] = [];
    for (const [table, rows] of this.buffers) {
      if (rows.length === 0) continue;
      const columns = this.usedColumns(table, rows);
      const n = columns.length;
      const values = new Array<unknown>(rows.length * n);
      let k = 0;
      for (const row of rows) for (let i = 0; i < n; i++) values[k++] = plain(row[columns[i] as string]);
      work.push({ table, columns, values });
      this.written.set(table, (this.written.get(table) ?? 0) + rows.length);
    }
    this.buffers.clear();
    this.pending = 0;
    if (this.db.kind === 'sqlite') this.writeSqlite(work);
    else this.inFlight = this.writePostgres(work);
    // Surface a failure at the next flush or close, not as an unhandled rejection.
    this.inFlight.catch(() => undefined);
  }

  /** Writes what is buffered and waits for every write. */
  async close(): Promise<void> {
    await this.flush();
    await this.inFlight;
  }

  private writeSqlite(work: TableRows[]): void {
    if (this.db.kind !== 'sqlite') return;
    const sqlite = this.db.sqlite;
    sqlite
      .transaction(() => {
        for (const { table, columns, values } of work) {
          const key = `${table}(${columns.join(',')})`;
          let stmt = this.statements.get(key);
          if (!stmt) {
            stmt = sqlite.prepare(insertSql(table, columns));
            this.statements.set(key, stmt);
          }
          runAll(stmt, columns.length, values);
        }
      })
      .immediate();
  }

  private async writePostgres(work: TableRows[]): Promise<void> {
    if (this.db.kind !== 'postgres') return;
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      for (const { table, columns, values } of work) {
        const types = new Map((this.columns.get(table) ?? []).map((c) => [c.name, c.type]));
        const n = columns.length;
        const rows = values.length / n;
        const arrays = columns.map((c, i) => `$${i + 1}::${arrayType(types.get(c) ?? 'text')}`);
        const text = `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`;
        for (let start = 0; start < rows; start += 20_000) {
          const end = Math.min(rows, start + 20_000);
          const params = columns.map((_, i) => {
            const column = new Array<unknown>(end - start);
            for (let r = start; r < end; r++) column[r - start] = values[r * n + i];
            return column;
          });
          await client.query(text, params);
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The table's columns that the rows give values for (in table order); a member that is no column throws. */
  private usedColumns(table: string, rows: Record<string, unknown>[]): string[] {
    const all = this.columns.get(table) ?? [];
    const keys = new Set<string>();
    for (const row of rows) for (const k in row) keys.add(k);
    for (const k of keys)
      if (!all.some((c) => c.name === k)) throw new Error(`seed: ${table} has no column ${k}`);
    return all.map((c) => c.name).filter((c) => keys.has(c));
  }
}

export function insertSql(table: string, columns: string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

export function runAll(stmt: { run(...values: unknown[]): unknown }, n: number, values: unknown[]): void {
  const row = new Array<unknown>(n);
  for (let k = 0; k < values.length; k += n) {
    for (let i = 0; i < n; i++) row[i] = values[k + i];
    stmt.run(...row);
  }
}

/** A value both drivers bind: booleans as 0/1 (the schema's flags), dates as ISO text, objects as JSON. */
function plain(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v;
}

function arrayType(udt: string): string {
  const types: Record<string, string> = {
    int2: 'smallint[]',
    int4: 'integer[]',
    int8: 'bigint[]',
    float4: 'real[]',
    float8: 'double precision[]',
    timestamptz: 'timestamptz[]',
    jsonb: 'jsonb[]',
    bytea: 'bytea[]',
  };
  return types[udt] ?? 'text[]';
}
