import type { OfferAcceptances, VendorContext } from '../agreement/vendor.js';
import type { HubLogger } from '../hub/index.js';
import { offerAcceptances } from './acceptance.js';
import { Catalogues } from './catalogues.js';
import type { IntentContext } from './context.js';
import { AnswerDeliverer, type AnswerDeliveryOptions } from './delivery.js';
import { pollFeeds, type FeedPollSummary } from './feeds.js';
import { purgeEndedIntents } from './store.js';

export interface IntentOptions {
  /** How often followed feeds are read (ms); 0: never on a timer. Default 30 000. */
  feedPollMs?: number;
  /** Time limit of one feed page request (ms). Default 10 000. */
  feedTimeoutMs?: number;
  /** How long an offer stands (days; never past the intent's end). Default 3. */
  offerDays?: number;
  /** Items in an automatic offer (the best matches). Default 1. */
  maxOfferItems?: number;
  /** Delivery of answers to replyTo (tests shorten the backoff). */
  delivery?: Omit<AnswerDeliveryOptions, 'db' | 'logger'>;
  /** The server's public base URL, which answers name in `vendor`; default: the host a request came to. */
  publicUrl?: string;
  /** How long a tenant's catalogue index is trusted before its fingerprint is checked again (ms). Default 5000. */
  catalogueTtlMs?: number;
  /** How often intentcasts that ended untaken are forgotten (ms); 0: never on a timer. Default one hour. */
  purgeIntervalMs?: number;
}

/**
 * The vendor side of intentcasting, built once per server: the catalogue indexes, the answers' deliverer, the
 * feed poller, and what the negotiation needs to take an offer.
 */
export class IntentService {
  readonly ctx: IntentContext;
  readonly offers: OfferAcceptances;
  readonly #pollMs: number;
  readonly #feedTimeoutMs: number;
  readonly #logger: HubLogger | undefined;
  readonly #purgeMs: number;
  #timer: NodeJS.Timeout | undefined;
  #purgeTimer: NodeJS.Timeout | undefined;
  #polling: Promise<FeedPollSummary> | undefined;
  #stopping = new AbortController();

  constructor(base: VendorContext, options: IntentOptions = {}, logger?: HubLogger) {
    this.#logger = logger;
    this.#pollMs = options.feedPollMs ?? 30_000;
    this.#feedTimeoutMs = options.feedTimeoutMs ?? 10_000;
    this.#purgeMs = options.purgeIntervalMs ?? 3_600_000;
    this.ctx = {
      ...base,
      catalogues: new Catalogues(base.db, options.catalogueTtlMs),
      deliverer: new AnswerDeliverer({ ...options.delivery, db: base.db, ...(logger ? { logger } : {}) }),
      evaluation: { offerDays: options.offerDays ?? 3, maxItems: options.maxOfferItems ?? 1 },
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    };
    this.offers = offerAcceptances(this.ctx);
  }

  get catalogues() {
    return this.ctx.catalogues;
  }

  /** Reads every followed feed now (one poll at a time) and tries to deliver the answers once. */
  pollFeeds(): Promise<FeedPollSummary> {
    this.#polling ??= pollFeeds(this.ctx, {
      timeoutMs: this.#feedTimeoutMs,
      signal: this.#stopping.signal,
      ...(this.#logger ? { logger: this.#logger } : {}),
    }).finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Forgets the intentcasts that ended without being taken, and their offers; how many. */
  purgeEnded(now = new Date()): Promise<number> {
    return purgeEndedIntents(this.ctx.db.kysely, now.toISOString());
  }

  /** Delivers every answer due, waiting out backoffs (tests, one-shot tools). */
  deliverAnswers(timeoutMs?: number): Promise<void> {
    return this.ctx.deliverer.drain(timeoutMs);
  }

  start(): void {
    this.ctx.deliverer.start();
    if (this.#pollMs > 0 && !this.#timer) {
      this.#timer = setInterval(() => {
        this.pollFeeds().catch((err: unknown) => this.#logger?.error({ err }, 'intent feed poll failed'));
      }, this.#pollMs);
      this.#timer.unref();
    }
    if (this.#purgeMs > 0 && !this.#purgeTimer) {
      this.#purgeTimer = setInterval(() => {
        this.purgeEnded().catch((err: unknown) => this.#logger?.error({ err }, 'intent purge failed'));
      }, this.#purgeMs);
      this.#purgeTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#purgeTimer);
    this.#timer = undefined;
    this.#purgeTimer = undefined;
    this.#stopping.abort();
    await this.#polling?.catch(() => undefined);
    await this.ctx.deliverer.stop();
    this.#stopping = new AbortController();
  }
}
