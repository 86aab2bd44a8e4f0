/**
 * Runs tasks one at a time per key (a SISA's chain, a negotiation), tasks of different keys side by side. The
 * chain of one SISA must be checked and extended by one request at a time: two deliveries of the same event
 * then answer "accepted" and "replay", never two acknowledgements. (Across server processes the database's
 * conditional update of the chain head is the guard.)
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
