import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import type { Database } from '@parley/store';
import { HUB_CHANNEL } from './outbox.js';

/** Where the deliverer reports; pino-shaped, so a Fastify `app.log` fits. Callbacks and bodies are never logged. */
export interface HubLogger {
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface HubDelivererOptions {
  db: Database;
  /** How often to look for due deliveries when nothing wakes the deliverer (ms). Default 1000. */
  intervalMs?: number;
  /** How long a listener has to answer one POST (ms). Default 5000. */
  timeoutMs?: number;
  /** Attempts before a delivery is given up (its `last_error` kept). Default 10. */
  maxAttempts?: number;
  /** Wait after the first failed attempt (ms), doubled after each further one. Default 1000. */
  backoffBaseMs?: number;
  /** Longest wait between attempts (ms). Default 300 000 (5 min). */
  backoffMaxMs?: number;
  /**
   * How long a claimed delivery stays with the deliverer that claimed it (ms): if that process dies, the
   * delivery is due again after this. Must exceed timeoutMs. Default timeoutMs + 30 000.
   */
  leaseMs?: number;
  /** Deliveries in flight at once (each to a different subscription). Default 16. */
  concurrency?: number;
  /** Finished (delivered or given up) deliveries are deleted after this long (ms). Default 7 days. */
  retainMs?: number;
  logger?: HubLogger;
}

interface DueDelivery {
  tenant_id: string;
  id: number;
  subscription_id: string;
  event: string;
  attempts: number;
  callback: string;
}

const DELIVERIES = 'crm_hub_deliveries';
const PURGE_EVERY_MS = 60 * 60 * 1000;
const LISTEN_RETRY_MS = 30_000;

const iso = (ms: number) => new Date(ms).toISOString();
const millis = (value: unknown) => (value instanceof Date ? value.getTime() : Date.parse(String(value)));

/** Text about a failed POST that names the listener by origin only (its path or query may hold a token). */
function describeFailure(error: unknown, callback: string): string {
  const e = error as { message?: string; cause?: { message?: string } } | undefined;
  let text = e?.message ?? String(error);
  if (e?.cause?.message) text += `: ${e.cause.message}`;
  try {
    const url = new URL(callback);
    for (const secret of [callback, url.href, `${url.pathname}${url.search}`, url.search]) {
      if (secret.length > 1) text = text.split(secret).join('/…');
    }
  } catch {
    text = text.split(callback).join('<callback>');
  }
  return text.slice(0, 500);
}

/**
 * Sends the hub's outbox (crm_hub_deliveries) to the listeners: each due delivery is POSTed as JSON to its
 * subscription's callback; a 2xx answer marks it delivered, anything else (status, network error, timeout
 * after timeoutMs, a redirect, which is not followed) schedules a retry after backoffBaseMs·2^(attempt−1),
 * capped at backoffMaxMs, until maxAttempts, when the delivery is given up with its last error kept.
 *
 * Order: a subscription's deliveries go one at a time, oldest first; a later one waits while an earlier one is
 * being retried (a given-up delivery no longer blocks). Changes to the same resource are serialized by its row
 * lock, so their events keep commit order.
 *
 * At-least-once: a delivery is claimed by pushing its next attempt out by leaseMs before the POST, and marked
 * delivered only after the 2xx. A process that stops cleanly hands back what it had in flight; one that dies
 * leaves its claims to expire. Either way the listener may see an event twice: `eventId` identifies it.
 *
 * Wakes: `notify()` (the sink's callback), on PostgreSQL a `LISTEN parley_hub` connection (the sink's NOTIFY
 * arrives at commit, from any process), and otherwise every intervalMs. Several deliverers, in one process or
 * many, may run on one database: each claim is a conditional update, so only one of them POSTs a delivery.
 */
export class HubDeliverer {
  private readonly db: Database;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly retainMs: number;
  private readonly logger: HubLogger | undefined;

  private running = false;
  private ticking = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> | undefined;
  private ticked: Promise<void> | undefined;
  private stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private listener: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private lastPurge = 0;
  private lastListen = 0;

  constructor(options: HubDelivererOptions) {
    this.db = options.db;
    this.intervalMs = options.intervalMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.backoffBaseMs = options.backoffBaseMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 300_000;
    this.leaseMs = options.leaseMs ?? this.timeoutMs + 30_000;
    this.concurrency = options.concurrency ?? 16;
    this.retainMs = options.retainMs ?? 7 * 24 * 60 * 60 * 1000;
    this.logger = options.logger;
    if (this.leaseMs <= this.timeoutMs) throw new Error('HubDeliverer: leaseMs must exceed timeoutMs');
  }

  /** Starts polling (and, on PostgreSQL, listening). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.listen();
    this.schedule(0);
  }

  /** Looks for due deliveries now rather than at the next poll. Cheap; call it whenever some were queued. */
  notify(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /**
   * Stops: no new claims, POSTs in flight are aborted and their deliveries handed back (due at once for the
   * next deliverer), the LISTEN connection is released, and no timer is left. Close the database afterwards.
   */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopping.abort();
    await this.ticked;
    await this.cycle?.catch(() => undefined);
    await Promise.all([...this.inFlight]);
    await this.listening;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    this.stopping = new AbortController();
  }

  /**
   * Delivers until nothing is pending, waiting out backoffs; for tests and one-shot tools (works without
   * start()). Rejects when deliveries are still pending after timeoutMs.
   */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.stopping.signal.aborted) throw new Error('HubDeliverer.drain: the deliverer is stopping');
      await this.runCycle();
      if (this.inFlight.size > 0) {
        await Promise.race([...this.inFlight]);
        continue;
      }
      const next = await this.nextDueAt();
      if (next === undefined) return;
      const wait = Math.max(0, next - Date.now());
      if (Date.now() + wait > deadline) {
        throw new Error(`HubDeliverer.drain: deliveries still pending after ${timeoutMs} ms`);
      }
      if (wait > 0) await sleep(wait);
    }
  }

  /** Wait after the attempt-th failed attempt. */
  backoff(attempt: number): number {
    return Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticked = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.running) return;
    this.ticking = true;
    this.again = false;
    let delay = this.intervalMs;
    try {
      if (!this.listener && Date.now() - this.lastListen >= LISTEN_RETRY_MS) this.listen();
      if (Date.now() - this.lastPurge >= PURGE_EVERY_MS) await this.purge();
      await this.runCycle();
      if (this.again) delay = 0;
      else if (this.inFlight.size < this.concurrency) {
        const next = await this.nextDueAt();
        if (next !== undefined) delay = Math.min(this.intervalMs, Math.max(0, next - Date.now()));
      }
    } catch (error) {
      this.logger?.error({ error: (error as Error).message }, 'hub: looking for due deliveries failed');
    } finally {
      this.ticking = false;
    }
    if (this.running && !this.timer) this.schedule(delay);
  }

  /** One pass: claims the due deliveries that head their subscription's queue and starts their POSTs. */
  private runCycle(): Promise<void> {
    this.cycle ??= this.claimAndStart().finally(() => {
      this.cycle = undefined;
    });
    return this.cycle;
  }

  private async claimAndStart(): Promise<void> {
    const room = this.concurrency - this.inFlight.size;
    if (room <= 0) return;
    const due = (await this.heads()
      .innerJoin('crm_hub_subscriptions as s', (join) =>
        join.onRef('s.tenant_id', '=', 'd.tenant_id').onRef('s.id', '=', 'd.subscription_id'),
      )
      .select(['d.tenant_id', 'd.id', 'd.subscription_id', 'd.event', 'd.attempts', 's.callback'])
      .where('d.next_attempt_at', '<=', iso(Date.now()))
      .orderBy('d.next_attempt_at')
      .orderBy('d.id')
      .limit(room)
      .execute()) as DueDelivery[];
    for (const delivery of due) {
      if (this.stopping.signal.aborted) return;
      const attempts = Number(delivery.attempts) + 1;
      const claim = await this.db.kysely
        .updateTable(DELIVERIES)
        .set({ attempts, next_attempt_at: iso(Date.now() + this.leaseMs) })
        .where('tenant_id', '=', delivery.tenant_id)
        .where('id', '=', delivery.id)
        .where('attempts', '=', attempts - 1)
        .where('next_attempt_at', 'is not', null)
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) !== 1) continue; // another deliverer has it
      const work: Promise<void> = this.deliver(delivery, attempts)
        .catch((error: unknown) => {
          this.logger?.error(
            {
              deliveryId: delivery.id,
              subscriptionId: delivery.subscription_id,
              error: (error as Error).message,
            },
            'hub: recording a delivery failed',
          );
        })
        .finally(() => {
          this.inFlight.delete(work);
          this.notify();
        });
      this.inFlight.add(work);
    }
  }

  /** Pending deliveries with no earlier pending delivery of the same subscription. */
  private heads() {
    return this.db.kysely
      .selectFrom(`${DELIVERIES} as d`)
      .where('d.next_attempt_at', 'is not', null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom(`${DELIVERIES} as e`)
              .select(sql.lit(1).as('one'))
              .whereRef('e.tenant_id', '=', 'd.tenant_id')
              .whereRef('e.subscription_id', '=', 'd.subscription_id')
              .where('e.next_attempt_at', 'is not', null)
              .whereRef('e.id', '<', 'd.id'),
          ),
        ),
      );
  }

  /** When the next head of a queue is due (ms since the epoch), or undefined when nothing is pending. */
  private async nextDueAt(): Promise<number | undefined> {
    const row = (await this.heads()
      .select((eb) => eb.fn.min('d.next_attempt_at').as('at'))
      .executeTakeFirst()) as { at: unknown } | undefined;
    return row?.at === null || row?.at === undefined ? undefined : millis(row.at);
  }

  private async deliver(delivery: DueDelivery, attempts: number): Promise<void> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onStop = () => controller.abort();
    this.stopping.signal.addEventListener('abort', onStop);
    if (this.stopping.signal.aborted) controller.abort();
    let failure: string | undefined;
    try {
      const response = await fetch(delivery.callback, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Parley-CRM-Hub/0.1' },
        body: delivery.event,
        redirect: 'manual',
        signal: controller.signal,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status > 299) {
        failure = `HTTP ${response.status}${response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''}`;
      }
    } catch (error) {
      if (this.stopping.signal.aborted && !timedOut) {
        // Stopping: hand the delivery back, due at once, this attempt not counted.
        await this.db.kysely
          .updateTable(DELIVERIES)
          .set({ attempts: attempts - 1, next_attempt_at: iso(Date.now()) })
          .where('tenant_id', '=', delivery.tenant_id)
          .where('id', '=', delivery.id)
          .where('attempts', '=', attempts)
          .where('delivered_at', 'is', null)
          .execute();
        return;
      }
      failure = timedOut
        ? `no answer within ${this.timeoutMs} ms`
        : describeFailure(error, delivery.callback);
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop);
    }
    const now = Date.now();
    const givenUp = failure !== undefined && attempts >= this.maxAttempts;
    const update = this.db.kysely
      .updateTable(DELIVERIES)
      .set(
        failure === undefined
          ? { delivered_at: iso(now), next_attempt_at: null, last_error: null }
          : { next_attempt_at: givenUp ? null : iso(now + this.backoff(attempts)), last_error: failure },
      )
      .where('tenant_id', '=', delivery.tenant_id)
      .where('id', '=', delivery.id)
      .where('attempts', '=', attempts); // still our claim (not expired and taken over)
    await update.execute();
    if (givenUp) {
      this.logger?.warn(
        {
          tenantId: delivery.tenant_id,
          subscriptionId: delivery.subscription_id,
          deliveryId: delivery.id,
          attempts,
          error: failure,
        },
        'hub: delivery given up',
      );
    }
  }

  /** Deletes deliveries finished (delivered or given up) longer than retainMs ago. */
  private async purge(): Promise<void> {
    this.lastPurge = Date.now();
    await this.db.kysely
      .deleteFrom(DELIVERIES)
      .where('next_attempt_at', 'is', null)
      .where('created_at', '<', iso(Date.now() - this.retainMs))
      .execute();
  }

  /** On PostgreSQL, keeps its own connection that LISTENs for the sink's NOTIFY. Retried by later ticks. */
  private listen(): void {
    const db = this.db;
    if (db.kind !== 'postgres' || this.listener || this.listening || !this.running) return;
    this.lastListen = Date.now();
    this.listening = (async () => {
      const client = new pg.Client(db.pool.options);
      client.on('notification', () => this.notify());
      client.on('error', (error: Error) => {
        if (this.listener !== client) return;
        this.listener = undefined;
        void client.end().catch(() => undefined);
        this.logger?.warn(
          { error: error.message },
          'hub: lost the LISTEN connection; polling until it is back',
        );
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${HUB_CHANNEL}`);
        if (!this.running) {
          await client.end();
          return;
        }
        this.listener = client;
        this.notify(); // anything committed before LISTEN took effect
      } catch (error) {
        await client.end().catch(() => undefined);
        this.logger?.warn({ error: (error as Error).message }, 'hub: could not LISTEN; polling instead');
      } finally {
        this.listening = undefined;
      }
    })();
  }
}
