import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AnyKysely, Database } from '@parley/store';
import type { ResourceEvent, ResourceEventSink } from '../tmf/resource.js';

/** The PostgreSQL channel on which the sink announces new deliveries (delivered at commit, to every process). */
export const HUB_CHANNEL = 'parley_hub';

/** A notification as TM Forum APIs send it to a listener, e.g. a `CustomerCreateEvent`. */
export interface HubEventBody {
  eventId: string;
  eventTime: string;
  /** `${resourceType}${kind}`, e.g. `CustomerCreateEvent`, `IndividualAttributeValueChangeEvent`. */
  eventType: string;
  /** The resource under its lower-camel type name, e.g. `{ customer: {...} }`, `{ troubleTicket: {...} }`. */
  event: Record<string, Record<string, unknown>>;
}

/** `Customer` -> `customer`, `TroubleTicket` -> `troubleTicket`. */
export function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function hubEventBody(event: ResourceEvent, eventTime = new Date()): HubEventBody {
  return {
    eventId: randomUUID(),
    eventTime: eventTime.toISOString(),
    eventType: `${event.resourceType}${event.kind}`,
    event: { [lowerCamel(event.resourceType)]: event.resource },
  };
}

/** One `name=value[,value…]` term of a subscription query: the value at `path` must equal one of `values`. */
export interface HubQueryTerm {
  name: string;
  path: string[];
  values: string[];
}

const SEGMENT = /^[A-Za-z@][A-Za-z0-9_@]*$/;

/**
 * Parses a subscription's `query` (TMF630 hub filtering). What is supported:
 *
 * - empty or absent: every event of the API;
 * - `eventType=CustomerCreateEvent`, or alternatives `eventType=CustomerCreateEvent,CustomerDeleteEvent`;
 * - equality on an attribute of the event body, dotted: `event.customer.status=approved` (a path through an
 *   array matches when any element matches; numbers and booleans compare by their text, `true`, `42`);
 * - terms joined with `&` must all hold: `eventType=CustomerStateChangeEvent&event.customer.status=approved`;
 * - spaces around names and values are ignored (`eventType = CustomerCreateEvent`), values may be
 *   percent-encoded, a leading `?` is ignored.
 *
 * Not supported (refused with an error naming the term): other operators (`>`, `.gt=`, regular expressions),
 * `fields=` projection, top-level names other than `eventType` and `event.…`.
 *
 * Throws an Error whose message says what is wrong; the route reports it as `body.query: …`.
 */
export function parseHubQuery(query: string | null | undefined): HubQueryTerm[] {
  const terms: HubQueryTerm[] = [];
  const text = (query ?? '').trim().replace(/^\?/, '');
  for (const raw of text.split('&')) {
    if (raw.trim() === '') continue;
    const eq = raw.indexOf('=');
    if (eq < 0) throw new Error(`"${raw.trim()}" is not a name=value term`);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(raw.slice(0, eq)).trim();
      value = decodeURIComponent(raw.slice(eq + 1)).trim();
    } catch {
      throw new Error(`"${raw.trim()}" has a malformed percent-encoding`);
    }
    if (/[<>!~]$/.test(name)) throw new Error(`"${name}": only equality (name=value) is supported`);
    const path = name.split('.');
    if (
      !path.every((p) => SEGMENT.test(p)) ||
      (name !== 'eventType' && (path[0] !== 'event' || path.length < 2))
    ) {
      throw new Error(
        `"${name}" cannot be filtered on; use eventType=… or an attribute of the event such as event.customer.status=…`,
      );
    }
    const values = value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (values.length === 0) throw new Error(`"${name}" needs a value`);
    terms.push({ name, path, values });
  }
  return terms;
}

function valuesAt(node: unknown, path: readonly string[]): unknown[] {
  if (Array.isArray(node)) return node.flatMap((item) => valuesAt(item, path));
  if (path.length === 0) return [node];
  if (node === null || typeof node !== 'object') return [];
  const [head, ...rest] = path;
  return valuesAt((node as Record<string, unknown>)[head as string], rest);
}

/** Whether an event body satisfies every term (no terms: every event). */
export function matchesHubQuery(terms: readonly HubQueryTerm[], body: HubEventBody): boolean {
  return terms.every((term) =>
    valuesAt(body, term.path).some(
      (v) =>
        (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') &&
        term.values.includes(String(v)),
    ),
  );
}

export interface HubEventSinkOptions {
  /**
   * The database's kind. With `'postgres'` the sink also issues `NOTIFY parley_hub` in the transaction, which
   * PostgreSQL delivers at commit to every listening HubDeliverer, in any process.
   */
  kind?: Database['kind'];
  /**
   * Called when deliveries were queued, e.g. `() => deliverer.notify()`, so an in-process deliverer starts at
   * once instead of at its next poll. (On SQLite the deliverer's query waits for the writing transaction.)
   */
  notify?: () => void;
}

/**
 * The hub's ResourceEventSink: inside the writing transaction, finds the tenant's subscriptions to the event's
 * API whose query matches, and inserts one outbox row per subscription. Unparseable stored queries (refused at
 * subscription time, so only from hand edits) match nothing.
 */
export function hubEventSink(options: HubEventSinkOptions = {}): ResourceEventSink {
  return async (tx: AnyKysely, event: ResourceEvent) => {
    const subscriptions = (await tx
      .selectFrom('crm_hub_subscriptions')
      .select(['id', 'query'])
      .where('tenant_id', '=', event.tenantId)
      .where('api', '=', event.api)
      .orderBy('created_at')
      .orderBy('id')
      .execute()) as { id: string; query: string | null }[];
    if (subscriptions.length === 0) return;
    const body = hubEventBody(event);
    const matching = subscriptions.filter((s) => {
      try {
        return matchesHubQuery(parseHubQuery(s.query), body);
      } catch {
        return false;
      }
    });
    if (matching.length === 0) return;
    const text = JSON.stringify(body);
    const now = new Date().toISOString();
    await tx
      .insertInto('crm_hub_deliveries')
      .values(
        matching.map((s) => ({
          tenant_id: event.tenantId,
          subscription_id: s.id,
          event: text,
          attempts: 0,
          next_attempt_at: now,
          created_at: now,
        })),
      )
      .execute();
    if (options.kind === 'postgres') await sql`SELECT pg_notify(${HUB_CHANNEL}, '')`.execute(tx);
    options.notify?.();
  };
}
