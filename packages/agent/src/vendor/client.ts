import { parseStrictJson } from '@parley/protocol';

/** How a call to a vendor failed, and whether trying again later can help. */
export class VendorError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the vendor could not be reached. */
    readonly status: number,
    /** True for failures that may pass (unreachable, timeout, 5xx, 429); false when the vendor refused. */
    readonly retryable: boolean,
    readonly field?: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'VendorError';
  }
}

const MAX_ANSWER = 4 * 1024 * 1024;

export interface VendorClientOptions {
  /** Per request, in milliseconds (default 10 s). */
  timeoutMs?: number;
}

/** JSON over HTTP to one vendor endpoint; every answer is parsed strictly (duplicate members refused). */
export class VendorClient {
  readonly url: string;
  readonly #timeoutMs: number;

  constructor(url: string, options: VendorClientOptions = {}) {
    this.url = normaliseVendorUrl(url);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async get(path = ''): Promise<unknown> {
    return this.#json(await this.#fetch('GET', path));
  }

  async post(path: string, body: unknown): Promise<unknown> {
    return this.#json(await this.#fetch('POST', path, body));
  }

  /** For answers passed through as they come (the person's data): the caller reads the body. */
  async postRaw(path: string, body: unknown): Promise<Response> {
    return this.#fetch('POST', path, body, true);
  }

  async #fetch(method: string, path: string, body?: unknown, raw = false): Promise<Response> {
    const target = this.url + path;
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: {
          accept: raw ? '*/*' : 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new VendorError(`${target}: not reachable (${cause})`, 0, true);
    }
    if (!response.ok) throw await problemOf(response, target);
    return response;
  }

  async #json(response: Response): Promise<unknown> {
    const text = await response.text();
    if (text.length > MAX_ANSWER) throw new VendorError(`${this.url}: answer larger than 4 MiB`, 502, true);
    try {
      return parseStrictJson(text, { field: 'answer' });
    } catch (error) {
      throw new VendorError(`${this.url}: answer is not valid JSON (${(error as Error).message})`, 502, true);
    }
  }
}

async function problemOf(response: Response, target: string): Promise<VendorError> {
  const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
  let detail = response.statusText;
  let field: string | undefined;
  let code: string | undefined;
  try {
    const problem = JSON.parse(await response.text()) as Record<string, unknown>;
    if (typeof problem.detail === 'string') detail = problem.detail;
    if (typeof problem.field === 'string') field = problem.field;
    if (typeof problem.code === 'string') code = problem.code;
  } catch {
    // Not problem+json: the status text says enough.
  }
  return new VendorError(`${target}: ${response.status} ${detail}`, response.status, retryable, field, code);
}

/** A vendor URL as given by a person: http(s) only, no credentials, no fragment, no trailing slash. */
export function normaliseVendorUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new VendorError(`url: "${input}" is not a URL`, 400, false, 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new VendorError('url: expected an http or https URL', 400, false, 'url');
  if (url.username || url.password)
    throw new VendorError('url: must not carry a user name or password', 400, false, 'url');
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}
