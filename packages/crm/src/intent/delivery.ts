import type { Database } from '@parley/store';
import type { HubLogger } from '../hub/index.js';
import { originOf, OutboundError, request } from './outbound.js';
import { intentFromRow, type IntentRow } from './store.js';

export interface AnswerDeliveryOptions {
  db: Database;
  /** How often due answers are looked for when nothing wakes the deliverer (ms). Default 1000. */
  intervalMs?: number;
  /** How long the agent has to answer one POST (ms). Default 5000. */
  timeoutMs?: number;
  /** Attempts before an answer is given up (its last error kept). Default 10. */
  maxAttempts?: number;
  /** Wait after the first failed attempt (ms), doubled after each further one. Default 1000. */
  backoffBaseMs?: number;
  /** Longest wait between attempts (ms). Default 300 000. */
  backoffMaxMs?: number;
  logger?: HubLogger;
}

/** The body POSTed to an intent's replyTo (docs/intentcasting.md, `POST {agent}/intents/answers`). */
export function replyBody(row: IntentRow) {
  const { decision, offer, ledger } = row.answer;
  return { vendor: row.vendorUrl, decision, ...(offer ? { offer } : {}), ledger };
}

/** Statuses after which another attempt is pointless: the agent refused the answer itself. */
const FINAL = (status: number) => status >= 400 && status < 500 && ![408, 425, 429].includes(status);

/**
 * Sends answers that were not given in an HTTP answer (a person's decision on a pending intentcast, answers to
 * intentcasts read from a feed) to the intent's `replyTo`: a 2xx marks the answer delivered; a refusal (4xx)
 * ends it; anything else (5xx, network error, timeout, a redirect, which is not followed) is tried again after
 * backoffBaseMs·2^(attempt−1), capped at backoffMaxMs, until maxAttempts or the intent's end.
 *
 * An answer is claimed by moving its due time past the request's time limit before the POST (a conditional
 * update, so two deliverers on one database never both send it); a process that dies leaves the claim to
 * expire. Delivery is at least once: the agent recognises an answer it has by its decision's id.
 */
export class AnswerDeliverer {
  readonly #db: Database;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #logger: HubLogger | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #cycle: Promise<void> | undefined;
  #again = false;
  #stopping = new AbortController();

  constructor(options: AnswerDeliveryOptions) {
    this.#db = options.db;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxAttempts = options.maxAttempts ?? 10;
    this.#backoffBaseMs = options.backoffBaseMs ?? 1000;
    this.#backoffMaxMs = options.backoffMaxMs ?? 300_000;
    this.#logger = options.logger;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopping.abort();
    await this.#cycle?.catch(() => undefined);
    this.#stopping = new AbortController();
  }

  /** Looks for due answers now rather than at the next poll. */
  notify(): void {
    if (this.#running) this.#schedule(0);
  }

  /** Wait after the attempt-th failed attempt. */
  backoff(attempt: number): number {
    return Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  }

  /** One pass over the answers due now (each tried once); resolves when their attempts are done. */
  deliverDue(): Promise<void> {
    if (this.#cycle) {
      this.#again = true;
      return this.#cycle;
    }
    const run = async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again);
    };
    this.#cycle = run().finally(() => (this.#cycle = undefined));
    return this.#cycle;
  }

  /** Delivers until nothing is due any more, waiting out backoffs (tests, one-shot tools). */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.deliverDue();
      const row = (await this.#db.kysely
        .selectFrom('crm_intents')
        .select((eb) => eb.fn.min('delivery_due_at').as('next'))
        .where('delivery_status', '=', 'pending')
        .executeTakeFirst()) as { next: unknown } | undefined;
      if (row?.next === null || row?.next === undefined) return;
      const wait = Math.max(0, new Date(row.next as string).getTime() - Date.now());
      if (Date.now() + wait > deadline)
        throw new Error(`AnswerDeliverer.drain: answers still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.deliverDue()
        .catch((err: unknown) => this.#logger?.error({ err }, 'intent answer delivery failed'))
        .finally(() => {
          if (this.#running && !this.#timer) this.#schedule(this.#intervalMs);
        });
    }, ms);
    this.#timer.unref();
  }

  async #pass(): Promise<void> {
    const now = new Date();
    const due = (await this.#db.kysely
      .selectFrom('crm_intents')
      .selectAll()
      .where('delivery_status', '=', 'pending')
      .where('delivery_due_at', '<=', now.toISOString())
      .orderBy('delivery_due_at')
      .limit(64)
      .execute()) as Record<string, unknown>[];
    const claimed: IntentRow[] = [];
    for (const r of due) {
      const row = intentFromRow(r);
      const lease = new Date(now.getTime() + this.#timeoutMs + 30_000).toISOString();
      const result = await this.#db.kysely
        .updateTable('crm_intents')
        .set({ delivery_due_at: lease })
        .where('tenant_id', '=', row.tenantId)
        .where('intent_id', '=', row.intentId)
        .where('delivery_status', '=', 'pending')
        .where('delivery_due_at', '=', r.delivery_due_at as string)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) claimed.push(row);
    }
    let next = 0;
    const work = async () => {
      while (next < claimed.length) await this.#deliver(claimed[next++] as IntentRow);
    };
    await Promise.all(Array.from({ length: Math.min(16, claimed.length) }, work));
  }

  async #deliver(row: IntentRow): Promise<void> {
    const attempts = row.delivery.attempts + 1;
    let error: string;
    let final = false;
    try {
      const { status } = await request('POST', row.intentcast.replyTo, replyBody(row), {
        timeoutMs: this.#timeoutMs,
        signal: this.#stopping.signal,
        maxBytes: 64 * 1024,
      });
      if (status >= 200 && status < 300) {
        await this.#finish(row, 'delivered', attempts, null);
        return;
      }
      error = `${originOf(row.intentcast.replyTo)} answered ${status}`;
      final = FINAL(status);
    } catch (e) {
      if (this.#stopping.signal.aborted) {
        // Handed back: due again at once for the next deliverer.
        await this.#reschedule(row, row.delivery.attempts, new Date(), null);
        return;
      }
      error = e instanceof OutboundError ? e.message : String(e);
      final = e instanceof OutboundError && e.status === undefined && /not followed/.test(e.message);
    }
    const nextAt = new Date(Date.now() + this.backoff(attempts));
    if (final || attempts >= this.#maxAttempts || nextAt.getTime() >= Date.parse(row.validUntil)) {
      this.#logger?.warn(
        { tenantId: row.tenantId, intentId: row.intentId, attempts, error },
        'intent answer given up',
      );
      await this.#finish(row, 'failed', attempts, error);
      return;
    }
    await this.#reschedule(row, attempts, nextAt, error);
  }

  async #finish(row: IntentRow, status: 'delivered' | 'failed', attempts: number, error: string | null) {
    await this.#db.kysely
      .updateTable('crm_intents')
      .set({
        delivery_status: status,
        delivery_attempts: attempts,
        delivery_due_at: null,
        delivery_error: error,
      })
      .where('tenant_id', '=', row.tenantId)
      .where('intent_id', '=', row.intentId)
      .execute();
  }

  async #reschedule(row: IntentRow, attempts: number, at: Date, error: string | null) {
    await this.#db.kysely
      .updateTable('crm_intents')
      .set({ delivery_attempts: attempts, delivery_due_at: at.toISOString(), delivery_error: error })
      .where('tenant_id', '=', row.tenantId)
      .where('intent_id', '=', row.intentId)
      .execute();
  }
}
