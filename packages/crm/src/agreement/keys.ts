import type { Party, SigningKey } from '@parley/protocol';

/**
 * The CRM server's keys. One master Party; each tenant speaks as its own pairwise identity derived from it
 * (`master.pairwise('tenant:' + tenantId)`), so tenants of one server cannot be linked by their DIDs and the
 * master key file restores every one of them. The ledger's note key is derived from the master key too.
 */
export class VendorKeys {
  readonly #master: Party;
  readonly #tenants = new Map<string, Party>();

  constructor(master: Party) {
    this.#master = master;
  }

  /** The tenant's vendor identity (derived once, then remembered). */
  forTenant(tenantId: string): Party {
    let party = this.#tenants.get(tenantId);
    if (!party) {
      party = this.#master.pairwise(`tenant:${tenantId}`);
      if (this.#tenants.size >= 10_000) this.#tenants.clear();
      this.#tenants.set(tenantId, party);
    }
    return party;
  }

  /** The key that signs the ledger's checkpoints. */
  ledgerKey(): SigningKey {
    return this.#master.key.derive('ledger');
  }
}
