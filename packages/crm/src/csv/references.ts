import type { Database } from '@parley/store';

/** What a CSV row may refer to, in the importing tenant. */
export type Target = 'party' | 'account' | 'service';

/** A party as a reference to it needs it (TMF RelatedParty: id, name, @referredType). */
export interface PartyInfo {
  kind: string;
  name: string;
}

const TABLES: Record<Target, { table: string; columns: string[] }> = {
  party: { table: 'crm_parties', columns: ['id', 'kind', 'name'] },
  account: { table: 'crm_accounts', columns: ['id'] },
  service: { table: 'crm_services', columns: ['id'] },
};

/** Ids looked up per query. */
const CHUNK = 500;
/** Past this many remembered ids per target the cache starts over (lookups are repeated, memory stays bounded). */
const CACHE_MAX = 1_000_000;

/**
 * Which ids exist in one tenant, looked up in bulk (one query per few hundred ids) and remembered: a file of a
 * million CDRs over a thousand accounts asks the database about each account once. Another tenant's record with
 * the same id is simply not found.
 */
export class References {
  private readonly found: Record<Target, Map<string, PartyInfo | true | false>> = {
    party: new Map(),
    account: new Map(),
    service: new Map(),
  };
  private readonly queue: Record<Target, Set<string>> = {
    party: new Set(),
    account: new Set(),
    service: new Set(),
  };

  constructor(
    private readonly db: Database,
    private readonly tenantId: string,
  ) {}

  /** Call before asking for a new set of ids: forgets everything once the cache is full. */
  trim(): void {
    for (const map of Object.values(this.found)) if (map.size > CACHE_MAX) map.clear();
  }

  want(target: Target, id: string): void {
    if (!this.found[target].has(id)) this.queue[target].add(id);
  }

  /** Looks up every id asked for since the last call. */
  async resolve(): Promise<void> {
    for (const target of Object.keys(TABLES) as Target[]) {
      const queue = this.queue[target];
      if (queue.size === 0) continue;
      const map = this.found[target];
      const ids = [...queue];
      queue.clear();
      const { table, columns } = TABLES[target];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        for (const id of chunk) map.set(id, false);
        const rows = (await this.db.kysely
          .selectFrom(table)
          .select(columns)
          .where('tenant_id', '=', this.tenantId)
          .where('id', 'in', chunk)
          .execute()) as { id: string; kind?: string; name?: string }[];
        for (const row of rows)
          map.set(row.id, target === 'party' ? { kind: String(row.kind), name: String(row.name) } : true);
      }
    }
  }

  /** True (or the party) when the id exists, false when it does not, undefined when it was not looked up. */
  get(target: Target, id: string): PartyInfo | boolean | undefined {
    return this.found[target].get(id);
  }

  party(id: string): PartyInfo | undefined {
    const v = this.found.party.get(id);
    return typeof v === 'object' ? v : undefined;
  }
}
