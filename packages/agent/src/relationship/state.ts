import type { Vault, VaultContents } from '../vault/vault.js';
import type { Policy } from '@parley/protocol';
import type { Profile } from '../profile/profile.js';
import type { ChangeRecord, Delivery, EventReceipt, RelationshipRecord } from './types.js';
import type { IntentRecord } from '../intent/intents.js';

export interface Preferences {
  /** Roster codes she proffers, in her order of preference. */
  terms: string[];
  /** Roster codes she accepts when a vendor counters. */
  acceptCounters: string[];
}

export const DEFAULT_PREFERENCES: Preferences = {
  terms: ['SD-BASE', 'SD-BASE-DP'],
  acceptCounters: ['SD-BASE-A', 'SD-BASE-A-DP', 'SD-BASE-DP'],
};

/** The agent's working state, kept in memory while the vault is open and saved into its sections. */
export interface AgentState {
  profile: Profile;
  policies: Policy[];
  preferences: Preferences;
  relationships: Record<string, RelationshipRecord>;
  deliveries: Record<string, Delivery>;
  changes: Record<string, ChangeRecord>;
  receipts: Record<string, EventReceipt[]>;
  intents: Record<string, IntentRecord>;
}

export function stateFromVault(contents: VaultContents): AgentState {
  const personal = contents.personalData as Partial<{
    profile: Profile;
    policies: Policy[];
    preferences: Preferences;
  }>;
  const chains = contents.chains as Partial<{
    deliveries: Record<string, Delivery>;
    changes: Record<string, ChangeRecord>;
    intents: Record<string, IntentRecord>;
  }>;
  return {
    profile: personal.profile ?? {},
    policies: personal.policies ?? [],
    preferences: personal.preferences ?? structuredClone(DEFAULT_PREFERENCES),
    relationships: contents.agreements as Record<string, RelationshipRecord>,
    deliveries: chains.deliveries ?? {},
    changes: chains.changes ?? {},
    receipts: contents.receipts as Record<string, EventReceipt[]>,
    intents: chains.intents ?? {},
  };
}

/**
 * Saves the state into the vault. Saves that are asked for while one is being written share the next
 * write: a fan-out to a hundred vendors costs two writes, not a hundred.
 */
export class StateSaver {
  #running: Promise<void> = Promise.resolve();
  #next: Promise<void> | undefined;

  readonly #base: Pick<VaultContents, 'version' | 'createdAt' | 'keys'>;

  constructor(
    private readonly vault: Vault,
    private readonly state: AgentState,
  ) {
    const { version, createdAt, keys } = vault.contents;
    this.#base = { version, createdAt, keys };
  }

  #soon: NodeJS.Timeout | undefined;

  /**
   * A save within `ms`: for what can be lost in a crash without harm (an acknowledgement is asked for
   * again and the vendor answers it again), so a burst of acknowledgements costs one write.
   */
  saveSoon(ms = 100): void {
    if (this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.save().catch(() => undefined);
    }, ms);
  }

  /** Writes now whatever saveSoon was waiting to write. */
  async flush(): Promise<void> {
    if (this.#soon) {
      clearTimeout(this.#soon);
      this.#soon = undefined;
    }
    await this.save();
  }

  /** Resolves once a save that started after this call has reached the disk. */
  save(): Promise<void> {
    if (this.#next) return this.#next;
    const next = this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        const write = this.#write();
        this.#running = write;
        return write;
      });
    this.#next = next;
    return next;
  }

  async #write(): Promise<void> {
    const s = this.state;
    await this.vault.replace({
      ...this.#base,
      personalData: { profile: s.profile, policies: s.policies, preferences: s.preferences },
      agreements: s.relationships as Record<string, unknown>,
      // Intentcasts and their answers sit with the event chains: signed messages in order.
      chains: { deliveries: s.deliveries, changes: s.changes, intents: s.intents },
      receipts: s.receipts as Record<string, unknown>,
    });
  }
}
