/**
 * The CRM's requests to agents (answers to a `replyTo`, reads of a feed): http and https URLs only, no
 * credentials in them, redirects never followed (a redirect could lead anywhere, including off http), a time
 * limit on every request and a size limit on every answer read. Errors name the URL by its origin only: a
 * path or query may hold a token.
 */

export class OutboundError extends Error {
  /** The HTTP status, when the other side answered. */
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'OutboundError';
    this.status = status;
  }
}

/** The URL if it is one the CRM may call: http or https, no user or password. */
export function outboundUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OutboundError('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundError(`${url.protocol} URLs are not followed (http and https only)`);
  if (url.username || url.password) throw new OutboundError('a URL with credentials is not followed');
  return url;
}

/** "https://agent.example" for a URL: what logs and errors may say about it. */
export function originOf(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return '<invalid URL>';
  }
}

function describe(error: unknown, url: string): string {
  const e = error as { name?: string; message?: string; cause?: { message?: string } } | undefined;
  if (e?.name === 'TimeoutError') return `${originOf(url)}: no answer in time`;
  if (e?.name === 'AbortError') return `${originOf(url)}: aborted`;
  let text = e?.message ?? String(error);
  if (e?.cause?.message) text += `: ${e.cause.message}`;
  return `${originOf(url)}: ${text.split(url).join('…')}`.slice(0, 500);
}

export interface OutboundOptions {
  timeoutMs: number;
  /** Aborts the request early (the server is stopping). */
  signal?: AbortSignal;
  /** The largest answer read (bytes). Default 4 MiB. */
  maxBytes?: number;
}

/** Reads at most maxBytes of the answer's body. */
async function readLimited(response: Response, maxBytes: number, url: string): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > maxBytes)
    throw new OutboundError(`${originOf(url)}: the answer is larger than ${maxBytes} bytes`);
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new OutboundError(`${originOf(url)}: the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One request; resolves with the status and the body text (at most maxBytes), or throws OutboundError. */
export async function request(
  method: 'GET' | 'POST',
  target: string,
  body: unknown,
  options: OutboundOptions,
): Promise<{ status: number; text: string }> {
  const url = outboundUrl(target);
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  try {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      signal: AbortSignal.any(signals),
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new OutboundError(
        `${originOf(target)}: answered a redirect, which is not followed`,
        response.status,
      );
    }
    const text = await readLimited(response, options.maxBytes ?? 4 * 1024 * 1024, target);
    return { status: response.status, text };
  } catch (error) {
    if (error instanceof OutboundError) throw error;
    throw new OutboundError(describe(error, target));
  }
}
