/**
 * One table description, two dialects. Column types are logical: `text`, `int` (64-bit on PostgreSQL),
 * `real`, `flag` (0/1, so both drivers bind it the same way), `time` (ISO 8601 text on SQLite, timestamptz on
 * PostgreSQL), `doc` (the TM Forum representation: JSON text on SQLite, JSONB on PostgreSQL).
 */
export type ColumnType = 'text' | 'int' | 'real' | 'flag' | 'time' | 'doc';

export interface TableSpec {
  name: string;
  /** Column -> type; append ` not null` to the type to require a value. */
  columns: Record<string, `${ColumnType}${'' | ' not null'}`>;
  primaryKey: string[];
  indexes?: Record<string, { columns: string[]; unique?: boolean; where?: string }>;
}

const TYPES: Record<ColumnType, { sqlite: string; postgres: string }> = {
  text: { sqlite: 'TEXT', postgres: 'TEXT' },
  int: { sqlite: 'INTEGER', postgres: 'BIGINT' },
  real: { sqlite: 'REAL', postgres: 'DOUBLE PRECISION' },
  flag: { sqlite: 'INTEGER', postgres: 'SMALLINT' },
  time: { sqlite: 'TEXT', postgres: 'TIMESTAMPTZ' },
  doc: { sqlite: 'TEXT', postgres: 'JSONB' },
};

export function tableSql(spec: TableSpec, dialect: 'sqlite' | 'postgres'): string {
  const columns = Object.entries(spec.columns).map(([name, type]) => {
    const [base, ...rest] = type.split(' ');
    return `${name} ${TYPES[base as ColumnType][dialect]}${rest.length ? ' NOT NULL' : ''}`;
  });
  const rowid = dialect === 'sqlite' ? ' WITHOUT ROWID' : '';
  const statements = [
    `CREATE TABLE ${spec.name} (${columns.join(', ')}, PRIMARY KEY (${spec.primaryKey.join(', ')}))${rowid};`,
  ];
  for (const [name, index] of Object.entries(spec.indexes ?? {})) {
    statements.push(
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${spec.name}_${name} ON ${spec.name} (${index.columns.join(', ')})${index.where ? ` WHERE ${index.where}` : ''};`,
    );
  }
  return statements.join('\n');
}

/** The columns every TMF resource table has besides its own. */
export const RESOURCE_COLUMNS = {
  tenant_id: 'text not null',
  id: 'text not null',
  agreement_id: 'text',
  created_at: 'time not null',
  updated_at: 'time not null',
  doc: 'doc not null',
} as const;
