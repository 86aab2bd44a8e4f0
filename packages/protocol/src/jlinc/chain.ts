import { ChainError } from '../errors.js';

/**
 * Where a receiver keeps chain heads. In memory by default; a server puts it in its database. `commit` runs
 * only after every check passed, so a rejected event changes nothing.
 */
export interface ChainStore {
  head(agreementId: string): string | null;
  /** The agreement an eventId was accepted under, if it was. */
  agreementOf(eventId: string): string | undefined;
  commit(agreementId: string, eventId: string): void;
}

export class MemoryChainStore implements ChainStore {
  readonly #heads = new Map<string, string>();
  readonly #events = new Map<string, string>();

  head(agreementId: string): string | null {
    return this.#heads.get(agreementId) ?? null;
  }

  agreementOf(eventId: string): string | undefined {
    return this.#events.get(eventId);
  }

  commit(agreementId: string, eventId: string): void {
    this.#heads.set(agreementId, eventId);
    this.#events.set(eventId, agreementId);
  }
}

/**
 * The events of one agreement form a single chain: each names the previous eventId (null for the first). The
 * receiver keeps the head per agreement and refuses replays (an eventId already accepted) and forks (an
 * event whose previousId is not the head), which upstream JLINC left to the caller.
 */
export class EventChain {
  readonly store: ChainStore;

  constructor(store: ChainStore = new MemoryChainStore()) {
    this.store = store;
  }

  head(agreementId: string): string | null {
    return this.store.head(agreementId);
  }

  /** Checks that the event extends its agreement's chain, then records it as the new head. */
  append(event: { agreementId: string; eventId: string; previousId: string | null }): void {
    this.check(event);
    this.store.commit(event.agreementId, event.eventId);
  }

  check({
    agreementId,
    eventId,
    previousId,
  }: {
    agreementId: string;
    eventId: string;
    previousId: string | null;
  }) {
    if (this.store.agreementOf(eventId) !== undefined) {
      throw new ChainError('audit.eventId', 'was already accepted (replay)', 'replay');
    }
    const head = this.store.head(agreementId);
    if (previousId === head) return;
    if (previousId === null) {
      throw new ChainError(
        'audit.previousId',
        `is null but the chain already has events (fork at the start; head ${head})`,
        'fork',
      );
    }
    const previousAgreement = this.store.agreementOf(previousId);
    if (previousAgreement === agreementId) {
      throw new ChainError('audit.previousId', `names an earlier event, not the head ${head} (fork)`, 'fork');
    }
    if (previousAgreement !== undefined) {
      throw new ChainError('audit.previousId', 'names an event of another agreement', 'wrong-agreement');
    }
    throw new ChainError(
      'audit.previousId',
      `names an event this receiver has not seen (expected ${head ?? 'null'})`,
      'gap',
    );
  }
}
