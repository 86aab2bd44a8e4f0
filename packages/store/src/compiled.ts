import type { CompiledQuery } from 'kysely';
import type { Database } from './database.js';

/**
 * A hot query compiled once and run with new parameters: building and compiling a Kysely query costs several
 * microseconds, as much as an indexed lookup. `build` is called once per database with `placeholders` (distinct
 * values that stand for the arguments); each call substitutes the real arguments for them.
 */
export function compiledQuery<Args extends unknown[], Row>(
  build: (db: Database, ...args: Args) => { compile(): CompiledQuery },
  placeholders: Args,
): (db: Database, ...args: Args) => Promise<Row[]> {
  const compiled = new WeakMap<Database, { query: CompiledQuery; slots: number[] }>();
  return async (db, ...args) => {
    let entry = compiled.get(db);
    if (!entry) {
      const query = build(db, ...placeholders).compile();
      const slots = query.parameters.map((p) => placeholders.indexOf(p));
      entry = { query, slots };
      compiled.set(db, entry);
    }
    const { query, slots } = entry;
    const parameters = query.parameters.map((p, i) =>
      (slots[i] as number) >= 0 ? args[slots[i] as number] : p,
    );
    const result = await db.kysely.executeQuery<Row>({ ...query, parameters });
    return result.rows;
  };
}
