import { createHash } from 'node:crypto';
import { PostgresAdapter, sql, type RawBuilder } from 'kysely';
import type { AnyKysely } from '@parley/store';
import { badRequest } from '../http/problem.js';

/**
 * Wasted self-care: from self-care session events, the sessions that failed the person. A session is the
 * events with one `sessionId`. It failed her when it did not reach `success` and she abandoned it, met a form
 * error, waited more than 3 s for a page, or called, chatted or wrote to us within 2 h of its end (the
 * strongest evidence: she had to ask a person). Every verdict comes from one set-based query over the window.
 */
export const SELFCARE_EVENT_KINDS = [
  'page_view',
  'page_load',
  'form_start',
  'form_submit',
  'form_error',
  'success',
  'abandon',
  'session_end',
] as const;
export type SelfcareEventKind = (typeof SELFCARE_EVENT_KINDS)[number];

export const WASTE_CAUSES = ['slow-page', 'form-error', 'abandoned-form', 'no-success'] as const;
export type WasteCause = (typeof WASTE_CAUSES)[number];

/** A page load slower than this (ms) fails the person. */
export const SLOW_PAGE_MS = 3000;
/** A contact on a person-to-person channel this soon after a session says the session did not solve it. */
export const CONTACT_WITHIN_MS = 2 * 3_600_000;
/** The channels on which a contact after a session counts as evidence. */
export const CONTACT_CHANNELS = ['phone', 'chat', 'email'] as const;

export interface SelfcareEvent {
  sessionId: string;
  at: string;
  kind: SelfcareEventKind;
  page: string;
  loadMs?: number;
  detail?: string;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** An event's identifier: the same event sent twice is stored once (a client may retry a batch). */
const eventId = (e: SelfcareEvent) =>
  createHash('sha256')
    .update(`${e.sessionId}\n${e.at}\n${e.kind}\n${e.page}`)
    .digest('base64url')
    .slice(0, 32);

/**
 * Stores a batch of events, each for its party. The whole batch is checked first (known parties, one party per
 * session, also against sessions already stored) and written in one transaction: a rejected batch leaves
 * nothing behind. Returns how many events were new and how many were already stored.
 */
export async function ingestSelfcareEvents(
  db: AnyKysely,
  tenantId: string,
  events: (SelfcareEvent & { partyId: string })[],
  now: Date,
): Promise<{ accepted: number; duplicates: number; sessions: number }> {
  const parties = [...new Set(events.map((e) => e.partyId))];
  const known = new Set<string>();
  for (let i = 0; i < parties.length; i += 500)
    for (const r of (await db
      .selectFrom('crm_parties')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', parties.slice(i, i + 500))
      .execute()) as { id: string }[])
      known.add(r.id);
  const sessionParty = new Map<string, string>();
  events.forEach((e, i) => {
    if (!known.has(e.partyId)) throw badRequest(`events[${i}].partyId: no party ${e.partyId}`, 'partyId');
    if (Number.isNaN(Date.parse(e.at))) throw badRequest(`events[${i}].at: not a date-time`, 'at');
    const other = sessionParty.get(e.sessionId);
    if (other !== undefined && other !== e.partyId)
      throw badRequest(
        `events[${i}].sessionId: session ${e.sessionId} belongs to another party in this batch`,
        'sessionId',
      );
    sessionParty.set(e.sessionId, e.partyId);
  });
  const sessions = [...sessionParty.keys()];
  for (let i = 0; i < sessions.length; i += 500) {
    const stored = (await db
      .selectFrom('crm_selfcare_events')
      .select(['session_id', 'party_id'])
      .distinct()
      .where('tenant_id', '=', tenantId)
      .where('session_id', 'in', sessions.slice(i, i + 500))
      .execute()) as { session_id: string; party_id: string }[];
    for (const s of stored)
      if (s.party_id !== sessionParty.get(s.session_id))
        throw badRequest(`sessionId: session ${s.session_id} belongs to another party`, 'sessionId');
  }
  // The account, for locality (everything about an account on one shard): the party's first membership.
  const accountOf = new Map<string, string>();
  for (let i = 0; i < parties.length; i += 500)
    for (const r of (await db
      .selectFrom('crm_account_members')
      .select(['party_id', 'account_id'])
      .where('tenant_id', '=', tenantId)
      .where('party_id', 'in', parties.slice(i, i + 500))
      .orderBy('party_id')
      .orderBy('account_id')
      .execute()) as { party_id: string; account_id: string }[])
      if (!accountOf.has(r.party_id)) accountOf.set(r.party_id, r.account_id);
  const created = now.toISOString();
  const rows = events.map((e) => {
    const at = new Date(e.at).toISOString();
    return {
      tenant_id: tenantId,
      id: eventId({ ...e, at }),
      party_id: e.partyId,
      account_id: accountOf.get(e.partyId) ?? null,
      session_id: e.sessionId,
      occurred_at: at,
      kind: e.kind,
      page: e.page,
      load_ms: e.loadMs ?? null,
      detail: e.detail ?? null,
      created_at: created,
    };
  });
  let accepted = 0;
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < rows.length; i += 200) {
      const result = await tx
        .insertInto('crm_selfcare_events')
        .values(rows.slice(i, i + 200))
        .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
        .executeTakeFirst();
      accepted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
  });
  return { accepted, duplicates: rows.length - accepted, sessions: sessions.length };
}

export interface SessionFilter {
  from?: string;
  to?: string;
  partyId?: string;
}

const count = (kind: SelfcareEventKind) => sql`sum(case when e.kind = ${kind} then 1 else 0 end)`;

/**
 * The sessions of the window (or of one party) with their verdict: one row a session, `wasted` 0/1, `cause`
 * (null when not wasted), `page` (where it went wrong, else the last page) and `followed` (a contact within
 * 2 h). The page of the failure: the slowest page over 3 s, the page of the first form error, of the
 * abandonment, or the last page seen.
 */
function classified(db: AnyKysely, tenantId: string, filter: SessionFilter): RawBuilder<unknown> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const until = postgres
    ? sql`s.ended_at + interval '2 hours'`
    : sql`strftime('%Y-%m-%dT%H:%M:%fZ', s.ended_at, '+2 hours')`;
  const where = [sql`e.tenant_id = ${tenantId}`];
  if (filter.from) where.push(sql`e.occurred_at >= ${filter.from}`);
  if (filter.to) where.push(sql`e.occurred_at < ${filter.to}`);
  if (filter.partyId) where.push(sql`e.party_id = ${filter.partyId}`);
  const pageWhere = (condition: RawBuilder<unknown>, order: RawBuilder<unknown>) =>
    sql`(select x.page from crm_selfcare_events x where x.tenant_id = ${tenantId}
      and x.session_id = c.session_id and ${condition} order by ${order} limit 1)`;
  const channels = sql.join(CONTACT_CHANNELS.map((c) => sql`${c}`));
  return sql`
    with s as (
      select e.session_id, e.party_id, min(e.occurred_at) as started_at, max(e.occurred_at) as ended_at,
        ${count('page_view')} as page_views, ${count('form_start')} as form_starts,
        ${count('form_submit')} as form_submits, ${count('form_error')} as form_errors,
        ${count('success')} as successes, ${count('abandon')} as abandons,
        coalesce(max(e.load_ms), 0) as max_load
      from crm_selfcare_events e
      where ${sql.join(where, sql` and `)}
      group by e.session_id, e.party_id
    ), f as (
      select s.*, case when exists (select 1 from crm_interactions i where i.tenant_id = ${tenantId}
          and i.party_id = s.party_id and i.channel in (${channels})
          and i.started_at >= s.ended_at and i.started_at <= ${until}) then 1 else 0 end as followed
      from s
    ), v as (
      select f.*, case when f.successes = 0 and (f.abandons > 0 or f.form_errors > 0
          or f.max_load > ${SLOW_PAGE_MS} or f.followed = 1) then 1 else 0 end as wasted
      from f
    ), c as (
      select v.*, case when v.wasted = 0 then null
          when v.max_load > ${SLOW_PAGE_MS} then 'slow-page'
          when v.form_errors > 0 then 'form-error'
          when v.abandons > 0 and v.form_starts > 0 then 'abandoned-form'
          else 'no-success' end as cause
      from v
    )
    select c.*, case
        when c.cause = 'slow-page' then ${pageWhere(sql`x.load_ms > ${SLOW_PAGE_MS}`, sql`x.load_ms desc`)}
        when c.cause = 'form-error' then ${pageWhere(sql`x.kind = 'form_error'`, sql`x.occurred_at`)}
        when c.cause = 'abandoned-form' then ${pageWhere(sql`x.kind = 'abandon'`, sql`x.occurred_at`)}
        else ${pageWhere(sql`1 = 1`, sql`x.occurred_at desc`)} end as page
    from c`;
}

export interface SessionVerdict {
  sessionId: string;
  partyId: string;
  startedAt: string;
  endedAt: string;
  page: string | null;
  wasted: boolean;
  cause: WasteCause | null;
  followedByContact: boolean;
  pageViews: number;
  formStarts: number;
  formSubmits: number;
  formErrors: number;
  succeeded: boolean;
  slowestLoadMs: number;
}

/** A party's most recent sessions with their verdicts, newest first (her events of the last 90 days by default). */
export async function sessionsOf(
  db: AnyKysely,
  tenantId: string,
  partyId: string,
  options: { limit?: number; from?: string; to?: string; now?: number } = {},
): Promise<SessionVerdict[]> {
  const from = options.from ?? new Date((options.now ?? Date.now()) - 90 * 24 * 3_600_000).toISOString();
  const inner = classified(db, tenantId, { partyId, from, ...(options.to ? { to: options.to } : {}) });
  const { rows } = await sql<Record<string, unknown>>`
    select * from (${inner}) q order by q.started_at desc, q.session_id limit ${options.limit ?? 20}`.execute(
    db,
  );
  return rows.map((r) => ({
    sessionId: String(r.session_id),
    partyId: String(r.party_id),
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
    page: r.page === null || r.page === undefined ? null : String(r.page),
    wasted: num(r.wasted) === 1,
    cause: (r.cause ?? null) as WasteCause | null,
    followedByContact: num(r.followed) === 1,
    pageViews: num(r.page_views),
    formStarts: num(r.form_starts),
    formSubmits: num(r.form_submits),
    formErrors: num(r.form_errors),
    succeeded: num(r.successes) > 0,
    slowestLoadMs: num(r.max_load),
  }));
}

export interface WastedReport {
  from: string | null;
  to: string | null;
  sessions: number;
  wasted: number;
  rate: number;
  followedByContact: number;
  byPage: {
    page: string;
    sessions: number;
    wasted: number;
    rate: number;
    causes: Partial<Record<WasteCause, number>>;
  }[];
  byCause: Partial<Record<WasteCause, number>>;
  /** Sessions that reached each step. */
  funnel: { pageViews: number; formStarts: number; formSubmits: number; successes: number };
}

const rate = (part: number, whole: number) =>
  whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;

/**
 * The wasted self-care of a window: sessions, wasted sessions and their rate, by the page where they went
 * wrong (against the sessions that viewed that page) and by cause, and the funnel. Two aggregate queries.
 */
export async function wastedReport(
  db: AnyKysely,
  tenantId: string,
  window: { from?: string; to?: string },
): Promise<WastedReport> {
  const inner = classified(db, tenantId, window);
  const { rows: groups } = await sql<Record<string, unknown>>`
    select q.wasted, q.cause, case when q.wasted = 1 then q.page else null end as page, count(*) as n,
      sum(q.followed) as followed,
      sum(case when q.page_views > 0 then 1 else 0 end) as page_views,
      sum(case when q.form_starts > 0 then 1 else 0 end) as form_starts,
      sum(case when q.form_submits > 0 then 1 else 0 end) as form_submits,
      sum(case when q.successes > 0 then 1 else 0 end) as successes
    from (${inner}) q
    group by q.wasted, q.cause, case when q.wasted = 1 then q.page else null end`.execute(db);
  const where = [sql`e.tenant_id = ${tenantId}`];
  if (window.from) where.push(sql`e.occurred_at >= ${window.from}`);
  if (window.to) where.push(sql`e.occurred_at < ${window.to}`);
  const { rows: pages } = await sql<{ page: string; n: unknown }>`
    select e.page, count(distinct e.session_id) as n from crm_selfcare_events e
    where ${sql.join(where, sql` and `)} group by e.page`.execute(db);

  const report: WastedReport = {
    from: window.from ?? null,
    to: window.to ?? null,
    sessions: 0,
    wasted: 0,
    rate: 0,
    followedByContact: 0,
    byPage: [],
    byCause: {},
    funnel: { pageViews: 0, formStarts: 0, formSubmits: 0, successes: 0 },
  };
  const byPage = new Map<string, WastedReport['byPage'][number]>(
    pages.map((p) => [p.page, { page: p.page, sessions: num(p.n), wasted: 0, rate: 0, causes: {} }]),
  );
  for (const g of groups) {
    const n = num(g.n);
    report.sessions += n;
    report.funnel.pageViews += num(g.page_views);
    report.funnel.formStarts += num(g.form_starts);
    report.funnel.formSubmits += num(g.form_submits);
    report.funnel.successes += num(g.successes);
    if (num(g.wasted) !== 1) continue;
    const cause = g.cause as WasteCause;
    report.wasted += n;
    report.followedByContact += num(g.followed);
    report.byCause[cause] = (report.byCause[cause] ?? 0) + n;
    const page = String(g.page ?? '(unknown)');
    let entry = byPage.get(page);
    if (!entry) {
      entry = { page, sessions: 0, wasted: 0, rate: 0, causes: {} };
      byPage.set(page, entry);
    }
    entry.wasted += n;
    entry.causes[cause] = (entry.causes[cause] ?? 0) + n;
  }
  report.rate = rate(report.wasted, report.sessions);
  report.byPage = [...byPage.values()]
    .map((p) => ({ ...p, rate: rate(p.wasted, Math.max(p.sessions, p.wasted)) }))
    .sort((a, b) => b.wasted - a.wasted || b.sessions - a.sessions || a.page.localeCompare(b.page));
  return report;
}
