import type { Delivery } from '../relationship/types.js';
import { VendorError } from '../vendor/client.js';

export interface RetryPolicy {
  /** First wait after a failure (default 1 s); doubles each time. */
  baseMs: number;
  /** Longest wait (default 5 minutes). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 5 * 60_000 };

export interface DelivererHooks {
  /** The relationship's deliveries still to send, oldest first. */
  queue(relationshipId: string): Delivery[];
  /** Signs the event (if not yet signed) against the head of the chain and makes sure it is saved. */
  prepare(delivery: Delivery): Promise<void>;
  /** Sends and checks the acknowledgement; throws VendorError (or another error if the answer is bad). */
  send(delivery: Delivery): Promise<void>;
  /** The delivery's state changed (to save it). */
  changed(delivery: Delivery): void;
}

/**
 * Sends each relationship's events in chain order, one at a time, at least once: a vendor that cannot be
 * reached, or answers 5xx or with an acknowledgement that does not verify, is tried again with exponential
 * backoff; a vendor that refuses the event itself (4xx) fails it for good, and the next event is chained
 * to the last one acknowledged instead.
 */
export class Deliverer {
  readonly #hooks: DelivererHooks;
  readonly #retry: RetryPolicy;
  readonly #running = new Map<string, Promise<void>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(hooks: DelivererHooks, retry: Partial<RetryPolicy> = {}) {
    this.#hooks = hooks;
    this.#retry = { ...DEFAULT_RETRY, ...retry };
  }

  /** Starts (or joins) the relationship's sending; resolves when it stops (all sent, or waiting to retry). */
  kick(relationshipId: string, force = false): Promise<void> {
    const running = this.#running.get(relationshipId);
    if (running) return running;
    const timer = this.#timers.get(relationshipId);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(relationshipId);
    }
    const run = this.#pump(relationshipId, force).finally(() => this.#running.delete(relationshipId));
    this.#running.set(relationshipId, run);
    return run;
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Waits for every sending in progress to stop. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  async #pump(relationshipId: string, force: boolean): Promise<void> {
    while (!this.#closed) {
      const next = this.#hooks.queue(relationshipId)[0];
      if (!next) return;
      const due = next.nextAttemptAt ? Date.parse(next.nextAttemptAt) : 0;
      if (!force && due > Date.now()) {
        this.#schedule(relationshipId, due - Date.now());
        return;
      }
      force = false;
      try {
        await this.#hooks.prepare(next);
      } catch (error) {
        this.#fail(next, `could not sign the event: ${(error as Error).message}`);
        continue;
      }
      next.attempts += 1;
      try {
        await this.#hooks.send(next);
        next.status = 'acknowledged';
        next.acknowledgedAt = new Date().toISOString();
        delete next.lastError;
        delete next.nextAttemptAt;
        this.#hooks.changed(next);
      } catch (error) {
        if (error instanceof VendorError && !error.retryable) {
          this.#fail(next, error.message);
          continue;
        }
        const wait = Math.min(this.#retry.maxMs, this.#retry.baseMs * 2 ** Math.min(next.attempts - 1, 30));
        next.lastError = (error as Error).message;
        next.nextAttemptAt = new Date(Date.now() + wait).toISOString();
        this.#hooks.changed(next);
        this.#schedule(relationshipId, wait);
        return;
      }
    }
  }

  #fail(delivery: Delivery, message: string): void {
    delivery.status = 'failed';
    delivery.lastError = message;
    delete delivery.nextAttemptAt;
    this.#hooks.changed(delivery);
  }

  #schedule(relationshipId: string, ms: number): void {
    if (this.#closed) return;
    const old = this.#timers.get(relationshipId);
    if (old) clearTimeout(old);
    const timer = setTimeout(() => {
      this.#timers.delete(relationshipId);
      void this.kick(relationshipId);
    }, ms);
    timer.unref();
    this.#timers.set(relationshipId, timer);
  }
}
