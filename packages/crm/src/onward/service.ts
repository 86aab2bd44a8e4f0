import type { FastifyBaseLogger } from 'fastify';
import type { AgreementChange, VendorContext } from '../agreement/vendor.js';
import type { Tenant } from '../agreement/profile.js';
import { purgeExpiredOnward } from './recipient.js';
import { retryOnwardWithdrawals, withdrawOnwardShares, type OnwardOptions } from './sharer.js';

export interface OnwardServiceOptions extends OnwardOptions {
  /** How often withdrawals still pending are retried and expired values received onward purged (ms); 0: off. */
  retryIntervalMs?: number;
}

const REASONS: Record<AgreementChange, string> = {
  terminated: 'The person terminated the agreement',
  'sharing-consent-withdrawn': 'The person withdrew her consent to ThirdPartySharing',
};

/**
 * Onward sharing's background work: withdrawals started by the person (after her termination or consent
 * withdrawal commits), the periodic retry of withdrawals still pending, and the purge of values received
 * onward whose retention ended.
 */
export class OnwardService {
  readonly ctx: VendorContext;
  readonly options: OnwardServiceOptions;
  readonly #logger: FastifyBaseLogger | undefined;
  readonly #running = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: VendorContext, options: OnwardServiceOptions = {}, logger?: FastifyBaseLogger) {
    this.ctx = ctx;
    this.options = options;
    this.#logger = logger;
  }

  /** VendorContext.afterAgreementChange: withdraws the agreement's onward shares in the background. */
  readonly afterAgreementChange = (tenant: Tenant, agreementId: string, change: AgreementChange): void => {
    this.#track(withdrawOnwardShares(this.ctx, tenant, agreementId, REASONS[change], this.options));
  };

  /** Retries pending withdrawals and purges expired values received onward, now. */
  async retry(): Promise<{ pending: number; purged: number }> {
    const { pending } = await retryOnwardWithdrawals(this.ctx, this.options);
    const purged = await purgeExpiredOnward(this.ctx);
    return { pending, purged };
  }

  /** Resolves when the background work started so far is done. */
  async settled(): Promise<void> {
    while (this.#running.size) await Promise.allSettled([...this.#running]);
  }

  start(): void {
    const interval = this.options.retryIntervalMs ?? 60_000;
    if (interval <= 0 || this.#timer) return;
    this.#timer = setInterval(() => this.#track(this.retry()), interval);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.settled();
  }

  #track(work: Promise<unknown>): void {
    const p = work
      .catch((err: unknown) => this.#logger?.error({ err }, 'onward sharing: background work failed'))
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }
}
