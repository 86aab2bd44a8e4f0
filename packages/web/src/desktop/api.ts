// The desktop's client of the CRM (docs/crm.md). The staff API key the user signs in with is kept in
// sessionStorage (this tab only) and sent as `Authorization: Bearer`. Errors are RFC 9457 problem+json: an
// ApiError carries the `detail` the CRM wrote for a person to act on.
//
// Some endpoints are being built alongside the desktop. Which ones the server has is read once from its OpenAPI
// document (`/openapi.json`, public): a screen whose endpoint is missing says so instead of calling it.
import type {
  ComplianceOfParty,
  Context,
  Customer360,
  DeskAgent,
  Individual,
  Provenance,
  QoeSeries,
  QueueTicket,
  Reason,
  SlaClock,
  TicketLoadDay,
  TroubleTicket,
} from './types';
import type {
  ChurnModel,
  QoeReport,
  SatisfactionSummary,
  Segmentation,
  Survival,
  WastedReport,
} from './analytics/types';

const KEY = 'parley.desktop.key';
export const TICKET_BASE = '/tmf-api/troubleTicket/v4';
export const PARTY_BASE = '/tmf-api/party/v4';

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly field: string | undefined;

  constructor(status: number, title: string, detail: string, field?: string) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.field = field;
  }
}

export const storedKey = (): string | null => sessionStorage.getItem(KEY);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY);

/** A message a person can read, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return `${error.message} Sign in again with a staff API key.`;
    if (error.status === 403) return `Not allowed: ${error.message}`;
    return error.message;
  }
  if (error instanceof TypeError) return `The CRM did not answer (${error.message}). Is it running?`;
  return error instanceof Error ? error.message : String(error);
}

async function problem(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Record<'title' | 'detail' | 'field', unknown>>;
    const title = typeof body.title === 'string' ? body.title : response.statusText;
    return new ApiError(
      response.status,
      title,
      typeof body.detail === 'string' ? body.detail : title,
      typeof body.field === 'string' ? body.field : undefined,
    );
  } catch {
    return new ApiError(
      response.status,
      response.statusText,
      text.trim() || `The CRM answered ${response.status} ${response.statusText}.`,
    );
  }
}

/** What the server offers: its OpenAPI paths (`/crm/v1/troubleTicket/{id}/reply`) and their query parameters. */
export class Capabilities {
  readonly #paths: Map<string, Set<string>>;

  constructor(paths: Map<string, Set<string>>) {
    this.#paths = paths;
  }

  static async load(): Promise<Capabilities> {
    const response = await fetch('/openapi.json');
    if (!response.ok) throw await problem(response);
    const doc = (await response.json()) as {
      paths?: Record<string, Record<string, { parameters?: { name?: string; in?: string }[] }>>;
    };
    const paths = new Map<string, Set<string>>();
    for (const [path, operations] of Object.entries(doc.paths ?? {})) {
      const query = new Set<string>();
      for (const operation of Object.values(operations))
        for (const p of operation.parameters ?? []) if (p.in === 'query' && p.name) query.add(p.name);
      paths.set(path, query);
    }
    return new Capabilities(paths);
  }

  has(path: string): boolean {
    return this.#paths.has(path);
  }

  /** Whether `path` takes the query parameter `name`. */
  takes(path: string, name: string): boolean {
    return this.#paths.get(path)?.has(name) ?? false;
  }
}

/** The desktop's endpoints, as the OpenAPI document names them. */
export const PATHS = {
  reasons: '/crm/v1/desktop/reasons',
  context: '/crm/v1/desktop/context',
  resolutions: '/crm/v1/desktop/resolutions',
  qoe: '/crm/v1/desktop/qoe',
  ticketLoad: '/crm/v1/desktop/ticketLoad',
  queue: '/crm/v1/ticketQueue',
  assignment: '/crm/v1/troubleTicket/{id}/assignment',
  reply: '/crm/v1/troubleTicket/{id}/reply',
  deskAgents: '/crm/v1/deskAgents',
  customer360: '/crm/v1/customer/{id}/360',
  compliance: '/crm/v1/compliance/individual/{id}',
  provenance: '/crm/v1/individual/{id}/provenance',
  survival: '/crm/v1/analytics/survival',
  churnModel: '/crm/v1/analytics/churnModel',
  segmentations: '/crm/v1/analytics/segmentations',
  segmentation: '/crm/v1/analytics/segmentations/{id}',
  segmentMembers: '/crm/v1/analytics/segmentations/{id}/segments/{segmentId}/members',
  analyticsQoe: '/crm/v1/analytics/qoe',
  wasted: '/crm/v1/analytics/selfcare/wasted',
  satisfaction: '/crm/v1/analytics/satisfaction/summary',
} as const;

const enc = encodeURIComponent;
const query = (params: Record<string, string | number | undefined | null>) => {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') q.set(name, String(value));
  const s = q.toString();
  return s ? `?${s}` : '';
};

export class DesktopApi {
  readonly #key: string;

  constructor(key: string) {
    this.#key = key;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.#key}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw await problem(response);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The queue of open tickets; filters the server does not take are left to the caller. */
  queue(filters: { channel?: string; assignee?: string } = {}): Promise<QueueTicket[]> {
    return this.#json('GET', `${PATHS.queue}${query({ ...filters, limit: 500 })}`);
  }

  ticket(id: string): Promise<TroubleTicket> {
    return this.#json('GET', `${TICKET_BASE}/troubleTicket/${enc(id)}`);
  }

  slaClock(id: string): Promise<SlaClock> {
    return this.#json('GET', `/crm/v1/troubleTicket/${enc(id)}/slaClock`);
  }

  deskAgents(): Promise<DeskAgent[]> {
    return this.#json('GET', PATHS.deskAgents);
  }

  assign(ticketId: string, assignee: string): Promise<unknown> {
    return this.#json('POST', `/crm/v1/troubleTicket/${enc(ticketId)}/assignment`, { assignee });
  }

  /** Sends a reply through the ticket's channel: which channel, and whether it stopped the response clock. */
  reply(ticketId: string, text: string): Promise<{ channel?: string; firstResponse?: boolean }> {
    return this.#json('POST', `/crm/v1/troubleTicket/${enc(ticketId)}/reply`, { text });
  }

  reasons(): Promise<Reason[]> {
    return this.#json('GET', PATHS.reasons);
  }

  context(partyId: string, reason: string, ticketId?: string): Promise<Context> {
    return this.#json('GET', `${PATHS.context}${query({ partyId, reason, ticketId })}`);
  }

  resolution(body: {
    partyId: string;
    reason: string;
    factType: string;
    factId: string;
    ticketId?: string;
  }): Promise<unknown> {
    return this.#json('POST', PATHS.resolutions, body);
  }

  qoe(partyId: string, days = 30): Promise<QoeSeries[]> {
    return this.#json('GET', `${PATHS.qoe}${query({ partyId, days })}`);
  }

  ticketLoad(days = 14): Promise<TicketLoadDay[]> {
    return this.#json('GET', `${PATHS.ticketLoad}${query({ days })}`);
  }

  customer360(id: string): Promise<Customer360> {
    return this.#json('GET', `/crm/v1/customer/${enc(id)}/360${query({ interactions: 10 })}`);
  }

  /** TMF632 individuals by equality filters (the CRM's TMF filters), at most 50. */
  searchIndividuals(filters: {
    givenName?: string;
    familyName?: string;
    id?: string;
  }): Promise<Individual[]> {
    return this.#json('GET', `${PARTY_BASE}/individual${query({ ...filters, limit: 50 })}`);
  }

  compliance(partyId: string): Promise<ComplianceOfParty> {
    return this.#json('GET', `/crm/v1/compliance/individual/${enc(partyId)}`);
  }

  provenance(partyId: string): Promise<Provenance> {
    return this.#json('GET', `/crm/v1/individual/${enc(partyId)}/provenance`);
  }

  survival(by: string): Promise<Survival> {
    return this.#json('GET', `${PATHS.survival}${query({ by, confType: 'log' })}`);
  }

  churnModel(): Promise<ChurnModel> {
    return this.#json('GET', PATHS.churnModel);
  }

  fitChurnModel(): Promise<ChurnModel> {
    return this.#json('POST', PATHS.churnModel);
  }

  segment(): Promise<Segmentation> {
    return this.#json('POST', PATHS.segmentations, { method: 'kmeans', k: 'auto' });
  }

  segmentation(id: string): Promise<Segmentation> {
    return this.#json('GET', `${PATHS.segmentations}/${enc(id)}`);
  }

  /** Every member of a segment (party ids), following the keyset pages of 1,000. */
  async segmentMembers(id: string, segmentId: string): Promise<string[]> {
    const members: string[] = [];
    let after = '';
    for (;;) {
      const page = await this.#json<{ partyId: string }[]>(
        'GET',
        `${PATHS.segmentations}/${enc(id)}/segments/${enc(segmentId)}/members${query({ after, limit: 1000 })}`,
      );
      members.push(...page.map((m) => m.partyId));
      const last = page[page.length - 1];
      if (page.length < 1000 || !last) return members;
      after = last.partyId;
    }
  }

  analyticsQoe(by: string, after?: string): Promise<QoeReport> {
    return this.#json('GET', `${PATHS.analyticsQoe}${query({ by, after, limit: 50 })}`);
  }

  wasted(): Promise<WastedReport> {
    return this.#json('GET', PATHS.wasted);
  }

  satisfaction(): Promise<SatisfactionSummary> {
    return this.#json('GET', PATHS.satisfaction);
  }
}
