import { randomUUID } from 'node:crypto';
import type { AnyKysely } from '@parley/store';
import { badRequest, HttpProblem } from '../http/problem.js';
import type { HubLogger } from '../hub/index.js';
import type { IntentContext } from './context.js';
import { OutboundError, outboundUrl, request } from './outbound.js';
import { receiveIntent } from './receive.js';
import { iso } from './store.js';

/** An agent's intent feed a tenant follows (`POST /crm/v1/intentFeeds`). */
export interface IntentFeed {
  id: string;
  url: string;
  /** The vendor URL its answers name. */
  vendorUrl: string;
  /** The feed's `next` after the last page read (null: from the start). */
  cursor: string | null;
  /** Intentcasts of this feed answered. */
  answered: number;
  polledAt: string | null;
  lastError: string | null;
  createdAt: string;
}

const feedFromRow = (r: Record<string, unknown>): IntentFeed & { tenantId: string } => ({
  tenantId: r.tenant_id as string,
  id: r.id as string,
  url: r.url as string,
  vendorUrl: r.vendor_url as string,
  cursor: (r.feed_cursor as string | null) ?? null,
  answered: Number(r.answered ?? 0),
  polledAt: iso(r.polled_at),
  lastError: (r.last_error as string | null) ?? null,
  createdAt: iso(r.created_at) as string,
});

export const publicFeed = ({ tenantId: _t, ...feed }: IntentFeed & { tenantId?: string }): IntentFeed => feed;

/** Registers a feed (http or https, no credentials); the same URL again gives the feed already followed. */
export async function followFeed(
  db: AnyKysely,
  tenantId: string,
  url: string,
  vendorUrl: string,
): Promise<{ feed: IntentFeed; created: boolean }> {
  try {
    outboundUrl(url);
  } catch (error) {
    throw badRequest(`url: ${(error as Error).message}`, 'url');
  }
  const existing = await db
    .selectFrom('crm_intent_feeds')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('url', '=', url)
    .executeTakeFirst();
  if (existing) return { feed: publicFeed(feedFromRow(existing as Record<string, unknown>)), created: false };
  const row = {
    tenant_id: tenantId,
    id: randomUUID(),
    url,
    vendor_url: vendorUrl,
    feed_cursor: null,
    answered: 0,
    polled_at: null,
    last_error: null,
    created_at: new Date().toISOString(),
  };
  await db.insertInto('crm_intent_feeds').values(row).execute();
  return { feed: publicFeed(feedFromRow(row)), created: true };
}

export async function listFeeds(
  db: AnyKysely,
  tenantId?: string,
): Promise<(IntentFeed & { tenantId: string })[]> {
  let q = db.selectFrom('crm_intent_feeds').selectAll();
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  const rows = (await q.orderBy('created_at').orderBy('id').execute()) as Record<string, unknown>[];
  return rows.map(feedFromRow);
}

export async function unfollowFeed(db: AnyKysely, tenantId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('crm_intent_feeds')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** The URL of a feed's page after `cursor`. */
export function pageUrl(feed: string, cursor: string | null): string {
  const url = new URL(feed);
  if (cursor !== null) url.searchParams.set('after', cursor);
  return url.href;
}

export interface FeedPollOptions {
  /** Time limit of one page request (ms). Default 10 000. */
  timeoutMs?: number;
  /** Pages read from one feed in one poll. Default 20. */
  maxPages?: number;
  logger?: HubLogger;
  signal?: AbortSignal;
}

export interface FeedPollSummary {
  feeds: number;
  /** Intentcasts new to the CRM, answered (or pending a person's decision). */
  answered: number;
  /** Intentcasts seen before (not answered again). */
  known: number;
  /** Intentcasts refused (bad signature, expired, oversize, id reused). */
  refused: number;
  /** Feeds that could not be read. */
  failed: number;
}

function parsePage(text: string): { intents: unknown[]; next: string | null } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OutboundError('the feed did not answer JSON');
  }
  const b = body as { intents?: unknown; next?: unknown };
  if (typeof b !== 'object' || b === null || !Array.isArray(b.intents))
    throw new OutboundError('the feed did not answer {intents: [...], next}');
  if (b.next !== null && b.next !== undefined && typeof b.next !== 'string')
    throw new OutboundError('the feed\'s "next" is not a string');
  return { intents: b.intents, next: (b.next as string | null | undefined) ?? null };
}

/**
 * Reads every followed feed from its cursor (`GET {url}?after={cursor}`, page after page), answers each
 * intentcast new to the CRM as `POST {vendor}/intents` would (the answer queued for its replyTo), and keeps the
 * feed's `next` as its cursor. An intentcast the CRM has seen is not answered again; one it refuses is
 * skipped. A feed that cannot be read keeps its cursor and its error, and is read again at the next poll.
 */
export async function pollFeeds(ctx: IntentContext, options: FeedPollOptions = {}): Promise<FeedPollSummary> {
  const summary: FeedPollSummary = { feeds: 0, answered: 0, known: 0, refused: 0, failed: 0 };
  for (const feed of await listFeeds(ctx.db.kysely)) {
    if (options.signal?.aborted) break;
    summary.feeds++;
    const tenant = await ctx.profiles.tenant(feed.tenantId);
    if (!tenant) continue;
    let cursor = feed.cursor;
    let answered = 0;
    let error: string | null = null;
    try {
      for (let page = 0; page < (options.maxPages ?? 20); page++) {
        const { status, text } = await request('GET', pageUrl(feed.url, cursor), undefined, {
          timeoutMs: options.timeoutMs ?? 10_000,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (status !== 200) throw new OutboundError(`${new URL(feed.url).origin} answered ${status}`, status);
        const { intents, next } = parsePage(text);
        for (const intent of intents) {
          try {
            const received = await receiveIntent(ctx, tenant, intent, {
              source: 'feed',
              feedId: feed.id,
              vendorUrl: feed.vendorUrl,
            });
            if (received.fresh) answered++;
            else summary.known++;
          } catch (e) {
            if (!(e instanceof HttpProblem)) throw e;
            summary.refused++;
          }
        }
        const moved = next !== null && next !== cursor;
        if (moved) cursor = next;
        if (intents.length === 0 || !moved) break;
      }
    } catch (e) {
      if (!(e instanceof OutboundError)) throw e;
      error = e.message;
      summary.failed++;
      options.logger?.warn({ tenantId: feed.tenantId, feedId: feed.id, error }, 'intent feed not read');
    }
    summary.answered += answered;
    await ctx.db.kysely
      .updateTable('crm_intent_feeds')
      .set({
        feed_cursor: cursor,
        answered: feed.answered + answered,
        polled_at: new Date().toISOString(),
        last_error: error,
      })
      .where('tenant_id', '=', feed.tenantId)
      .where('id', '=', feed.id)
      .execute();
  }
  if (summary.answered > 0) await ctx.deliverer.deliverDue();
  return summary;
}
