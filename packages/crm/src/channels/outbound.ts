import { OutboundError, originOf, outboundUrl } from '../intent/outbound.js';
import type { PostJson } from './connector.js';

export interface PostOptions {
  /** Each attempt's time limit (ms). Default 5 s. */
  timeoutMs?: number;
  /** Attempts in all (network errors, 408, 429 and 5xx are retried). Default 3. */
  attempts?: number;
  /** The wait before the second attempt (doubles each time, ms). Default 200. */
  backoffMs?: number;
}

const RETRIED = new Set([408, 425, 429, 500, 502, 503, 504]);
const MAX_BYTES = 1024 * 1024;

/**
 * JSON POSTs to a channel provider, with the intent answers' rules (intent/outbound.ts: http and https only, no
 * credentials in the URL, no redirects, a time limit and a size limit), a Bearer token, and retries with
 * backoff. Errors name the provider by its origin only.
 */
export function jsonPoster(options: PostOptions = {}): PostJson {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const attempts = Math.max(1, options.attempts ?? 3);
  const backoffMs = options.backoffMs ?? 200;
  return async (target, body, token) => {
    const url = outboundUrl(target);
    let last: OutboundError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
      try {
        const response = await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            accept: 'application/json',
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
        const text = (await response.text()).slice(0, MAX_BYTES);
        if (response.status >= 200 && response.status < 300) {
          let json: unknown = undefined;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          return { status: response.status, json };
        }
        last = new OutboundError(`${originOf(target)}: answered ${response.status}`, response.status);
        if (!RETRIED.has(response.status)) throw last;
      } catch (error) {
        if (error instanceof OutboundError && error.status !== undefined && !RETRIED.has(error.status))
          throw error;
        const e = error as { name?: string; message?: string };
        last =
          error instanceof OutboundError
            ? error
            : new OutboundError(
                e.name === 'TimeoutError'
                  ? `${originOf(target)}: no answer in time`
                  : `${originOf(target)}: ${String(e.message ?? error)
                      .split(target)
                      .join('…')}`,
              );
      }
    }
    throw last ?? new OutboundError(`${originOf(target)}: not sent`);
  };
}
