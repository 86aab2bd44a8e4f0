import type { Database } from '@parley/store';

/**
 * Buffers rows per table and writes them in one transaction per flush: on SQLite through prepared statements on
 * the raw better-sqlite3 handle, on PostgreSQL as one `INSERT ... SELECT FROM unnest($1::type[], ...)` per table
 * (one array parameter per column, any number of rows). Rows are plain column -> value objects; the columns of
 * each table are read from the database, and a row member that is not a column is an error (a generator bug).
 */
export class BulkWriter {
  private readonly buffers = new Map<string, Record<string, unknown>[]>();
  private readonly columns = new Map<string, { name: string; type: string }[]>();
  private readonly statements = new Map<string, { run(...values: unknown[]): unknown }>();
  private readonly known = new Map<string, Set<string>>();
  private pending = 0;
  /** Rows written so far, per table. */
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
      this.known.set(table, new Set(cols.map((c) => c.name)));
    }
  }

  get pendingRows(): number {
    return this.pending;
  }

  add(table: string, row: Record<string, unknown>): void {
    let buffer = this.buffers.get(table);
    if (!buffer) {
      const known = this.known.get(table);
      if (!known) throw new Error(`seed: table ${table} was not prepared`);
      buffer = [];
      this.buffers.set(table, buffer);
    }
    buffer.push(row);
    this.pending++;
  }

  /** Writes every buffered row in one transaction. */
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const work = [...this.buffers.entries()].filter(([, rows]) => rows.length > 0);
    if (this.db.kind === 'sqlite') {
      const sqlite = this.db.sqlite;
      sqlite.transaction(() => {
        for (const [table, rows] of work) {
          const cols = this.usedColumns(table, rows);
          const stmt = this.statement(table, cols);
          const n = cols.length;
          const values = new Array<unknown>(n);
          for (const row of rows) {
            for (let i = 0; i < n; i++) values[i] = sqliteValue(row[cols[i] as string]);
            stmt.run(...values);
          }
        }
      })();
    } else {
      const client = await this.db.pool.connect();
      try {
        await client.query('BEGIN');
        for (const [table, rows] of work) {
          const cols = this.usedColumns(table, rows);
          for (let start = 0; start < rows.length; start += 20_000) {
            const chunk = rows.slice(start, start + 20_000);
            const types = new Map((this.columns.get(table) ?? []).map((c) => [c.name, c.type]));
            const params = cols.map((c) => chunk.map((row) => postgresValue(row[c])));
            const arrays = cols.map((c, i) => `$${i + 1}::${arrayType(types.get(c) ?? 'text')}`);
            await client.query(
              `INSERT INTO ${table} (${cols.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`,
              params,
            );
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
    for (const [table, rows] of work) {
      this.written.set(table, (this.written.get(table) ?? 0) + rows.length);
      rows.length = 0;
    }
    this.pending = 0;
  }

  /** The table's columns that the rows give values for (in table order); a member that is no column throws. */
  private usedColumns(table: string, rows: Record<string, unknown>[]): string[] {
    const known = this.known.get(table) as Set<string>;
    const keys = new Set<string>();
    for (const row of rows) for (const k in row) keys.add(k);
    for (const k of keys) if (!known.has(k)) throw new Error(`seed: ${table} has no column ${k}`);
    return (this.columns.get(table) ?? []).map((c) => c.name).filter((c) => keys.has(c));
  }

  private statement(table: string, cols: string[]) {
    const key = `${table}(${cols.join(',')})`;
    let stmt = this.statements.get(key);
    if (!stmt && this.db.kind === 'sqlite') {
      stmt = this.db.sqlite.prepare(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
      );
      this.statements.set(key, stmt);
    }
    return stmt as { run(...values: unknown[]): unknown };
  }
}

function sqliteValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v;
}

function postgresValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v;
}

function arrayType(udt: string): string {
  switch (udt) {
    case 'int2':
      return 'smallint[]';
    case 'int4':
      return 'integer[]';
    case 'int8':
      return 'bigint[]';
    case 'float8':
      return 'double precision[]';
    case 'float4':
      return 'real[]';
    case 'timestamptz':
      return 'timestamptz[]';
    case 'jsonb':
      return 'jsonb[]';
    case 'bytea':
      return 'bytea[]';
    default:
      return 'text[]';
  }
}
