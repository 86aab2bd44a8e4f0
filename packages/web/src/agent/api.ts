// The dashboard's client of the agent's API (docs/relationships.md, "The agent's API", and
// docs/intentcasting.md, "The agent's endpoints"). Every call carries
// `Authorization: Bearer {token}`; the token comes from the URL fragment `#token=…` the agent printed, is kept in
// sessionStorage (this tab only) and taken out of the address bar. Errors are RFC 9457 problem+json: an
// ApiError carries the `detail` the agent wrote for a person to act on.
import type {
  Change,
  DataDisposition,
  FeedbackInput,
  Intent,
  Me,
  NewIntent,
  OfferAcceptanceResult,
  PermissionsUpdate,
  Policy,
  Profile,
  RecentEvent,
  Relationship,
} from './types';

const TOKEN_KEY = 'parley.agent.token';

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly field: string | undefined;
  readonly code: string | undefined;

  constructor(status: number, title: string, detail: string, field?: string, code?: string) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.field = field;
    this.code = code;
  }
}

/** The token from `#token=…` (then removed from the address bar), else the one this tab kept. */
export function takeToken(): string | null {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    fragment.delete('token');
    const rest = fragment.toString();
    window.history.replaceState(
      null,
      '',
      window.location.pathname + window.location.search + (rest ? `#${rest}` : ''),
    );
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

const PLAIN_TITLES = new Set(['Bad Request', 'Unprocessable Content', 'Unprocessable Entity']);

/** A message a person can read, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return `${error.message} Open the dashboard link the agent printed at start.`;
    // The title says whose answer it is (e.g. "Refused by the Vendor", "Vendor Unreachable"); a plain
    // validation title adds nothing to a detail that already names the field.
    return PLAIN_TITLES.has(error.title) || !error.title ? error.message : `${error.title}: ${error.message}`;
  }
  if (error instanceof TypeError) return `The agent did not answer (${error.message}). Is it running?`;
  return error instanceof Error ? error.message : String(error);
}

async function problem(response: Response): Promise<ApiError> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await response.json()) as Partial<Record<'title' | 'detail' | 'field' | 'code', unknown>>;
      const title = typeof body.title === 'string' ? body.title : response.statusText;
      const detail = typeof body.detail === 'string' ? body.detail : title;
      return new ApiError(
        response.status,
        title,
        detail,
        typeof body.field === 'string' ? body.field : undefined,
        typeof body.code === 'string' ? body.code : undefined,
      );
    } catch {
      // fall through: not JSON after all
    }
  }
  const text = await response.text().catch(() => '');
  return new ApiError(
    response.status,
    response.statusText,
    text.trim() || `The agent answered ${response.status} ${response.statusText}.`,
  );
}

export interface Download {
  blob: Blob;
  filename: string;
}

export class AgentApi {
  readonly #token: string;
  readonly #base: string;

  constructor(token: string, base = '/api/v1') {
    this.#token = token;
    this.#base = base;
  }

  async #send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.#token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw await problem(response);
    return response;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body);
    return (await response.json()) as T;
  }

  me(): Promise<Me> {
    return this.#json('GET', '/me');
  }

  updateProfile(patch: Profile): Promise<Change> {
    return this.#json('PATCH', '/me/profile', patch);
  }

  setPolicies(policies: Policy[]): Promise<Change> {
    return this.#json('PUT', '/me/policies', { policies });
  }

  relationships(): Promise<Relationship[]> {
    return this.#json('GET', '/relationships');
  }

  connect(url: string, invitation?: string): Promise<Relationship> {
    return this.#json('POST', '/relationships', { url, ...(invitation ? { invitation } : {}) });
  }

  decide(id: string, accept: boolean): Promise<Relationship> {
    return this.#json('POST', `/relationships/${encodeURIComponent(id)}/decision`, { accept });
  }

  setPermissions(id: string, update: PermissionsUpdate): Promise<Change> {
    return this.#json('POST', `/relationships/${encodeURIComponent(id)}/permissions`, update);
  }

  sendFeedback(id: string, feedback: FeedbackInput): Promise<Change> {
    return this.#json('POST', `/relationships/${encodeURIComponent(id)}/feedback`, feedback);
  }

  terminate(id: string, dataDisposition: DataDisposition): Promise<Change> {
    return this.#json('POST', `/relationships/${encodeURIComponent(id)}/termination`, { dataDisposition });
  }

  /** The vendor's answer to a data request, as a file: `json` (everything) or `csv` of one kind. */
  async data(id: string, format: 'json' | 'csv', kind?: string): Promise<Download> {
    const query = new URLSearchParams({ format, ...(kind ? { kind } : {}) });
    const response = await this.#send('GET', `/relationships/${encodeURIComponent(id)}/data?${query}`);
    const named = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1];
    return {
      blob: await response.blob(),
      filename: named ?? `parley-${kind ?? 'data'}.${format}`,
    };
  }

  unconfirmedChanges(): Promise<Change[]> {
    return this.#json('GET', '/changes?status=unconfirmed');
  }

  retry(): Promise<{ retrying: number }> {
    return this.#json('POST', '/changes/retry');
  }

  events(limit = 50): Promise<RecentEvent[]> {
    return this.#json('GET', `/events?limit=${limit}`);
  }

  /** Intentcasts a wish with a one-off identity; answered with the intent and the answers of those pushed to. */
  createIntent(input: NewIntent): Promise<Intent> {
    return this.#json('POST', '/intents', input);
  }

  /** Her intentcasts, newest first. */
  intents(): Promise<Intent[]> {
    return this.#json('GET', '/intents');
  }

  intent(id: string): Promise<Intent> {
    return this.#json('GET', `/intents/${encodeURIComponent(id)}`);
  }

  /** Takes one offer: an agreement under its terms, a relationship with the vendor, the other offers closed. */
  acceptOffer(intentId: string, offerId: string): Promise<OfferAcceptanceResult> {
    return this.#json(
      'POST',
      `/intents/${encodeURIComponent(intentId)}/offers/${encodeURIComponent(offerId)}/acceptance`,
      {},
    );
  }

  /** Withdraws an intentcast: it leaves her feed and its offers close. */
  withdrawIntent(id: string): Promise<Intent> {
    return this.#json('DELETE', `/intents/${encodeURIComponent(id)}`);
  }
}
