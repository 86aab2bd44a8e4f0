import { stringify } from 'csv-stringify/sync';
import {
  checkAgainstAgreement,
  validateParleyMessage,
  type DataKind,
  type DataRequest,
  type SignedMessage,
} from '@parley/protocol';
import type { SelectQueryBuilder } from 'kysely';
import type { AnyKysely, Database } from '@parley/store';
import { BILLING_ACCOUNT } from '../account/account.js';
import { accountCsvRecord } from '../csv/accounts.js';
import { CSV_FORMATS } from '../csv/import.js';
import { partyCsvRecord } from '../csv/parties.js';
import { PARTY_INTERACTION } from '../interaction/interaction.js';
import { INDIVIDUAL } from '../party/party.js';
import { SERVICE } from '../service/service.js';
import { TROUBLE_TICKET } from '../ticket/ticket.js';
import { USAGE } from '../usage/usage.js';
import { heldValues } from './data-event.js';
import { checked, refused } from './errors.js';
import type { HeldValue } from './individual.js';
import { dataExportRecord } from './ledger.js';
import type { Tenant } from './profile.js';
import { hrefOf, parseDoc } from './records.js';
import type { ResourceSpec } from '../tmf/resource.js';
import { agreementById, vendorOf, type AgreementRow, type VendorContext } from './vendor.js';

/** A data request older than this is refused (and its id is remembered at least twice as long). */
export const REQUEST_MAX_AGE_MS = 5 * 60_000;
const REMEMBER_MS = 10 * 60_000;
const PAGE = 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables are untyped (Kysely<any>)
type Query = SelectQueryBuilder<any, any, any>;

/** The kinds a CSV answer can hold, and the CRM export (docs/crm-csv.md) whose columns it takes. */
const CSV_KINDS: Partial<Record<DataKind, 'parties' | 'accounts' | 'usage'>> = {
  party: 'parties',
  accounts: 'accounts',
  usage: 'usage',
};

/** The `agreement` member of a data answer: the signed record, where it stands, and every value held. */
export function agreementData(row: AgreementRow, held: readonly HeldValue[]) {
  return {
    id: row.id,
    status: row.status,
    terms: row.agreement.terms,
    purposes: row.agreement.purposes,
    retentionDays: row.agreement.retentionDays,
    effectiveAt: row.agreement.effectiveAt,
    ...(row.terminatedAt ? { terminatedAt: row.terminatedAt } : {}),
    permissions: row.permissions,
    values: held.map((h) => ({
      field: h.field,
      value: h.value,
      eventId: h.eventId,
      receivedAt: h.receivedAt,
    })),
    record: row.agreement,
  };
}

/** The party's individual as TMF632 serves it. */
export async function partyResource(db: AnyKysely, tenantId: string, partyId: string) {
  const row = (await db
    .selectFrom('crm_parties')
    .select(['id', 'doc'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', partyId)
    .executeTakeFirst()) as { id: string; doc: unknown } | undefined;
  return row ? { id: row.id, href: hrefOf(INDIVIDUAL, row.id), ...parseDoc(row.doc) } : null;
}

/** The accounts the party holds, and those it is only a member of (secondary, guest). */
async function accountsOf(db: Database, tenantId: string, partyId: string) {
  const held = (await db.kysely
    .selectFrom('crm_accounts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('holder_party_id', '=', partyId)
    .orderBy('id')
    .execute()) as { id: string }[];
  const member = (await db.kysely
    .selectFrom('crm_account_members')
    .select('account_id')
    .where('tenant_id', '=', tenantId)
    .where('party_id', '=', partyId)
    .orderBy('account_id')
    .execute()) as { account_id: string }[];
  const heldIds = held.map((h) => h.id);
  const memberIds = [...new Set(member.map((m) => m.account_id))].filter((id) => !heldIds.includes(id));
  return { held: heldIds, member: memberIds };
}

const chunks = <T>(list: readonly T[], size = 500): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

/**
 * The rows of one resource table matching `where`, a page at a time in id order (keyset pagination: a short
 * query per page, nothing held beyond it), as TMF resources.
 */
async function* resources(
  db: Database,
  spec: ResourceSpec,
  tenantId: string,
  where: (q: Query) => Query,
): AsyncGenerator<Record<string, unknown>[]> {
  let cursor: string | undefined;
  for (;;) {
    let q = where(db.kysely.selectFrom(spec.table).where('tenant_id', '=', tenantId) as Query);
    if (cursor !== undefined) q = q.where('id', '>', cursor);
    const rows = (await q.select(['id', 'doc']).orderBy('id').limit(PAGE).execute()) as {
      id: string;
      doc: unknown;
    }[];
    if (rows.length > 0) yield rows.map((r) => ({ id: r.id, href: hrefOf(spec, r.id), ...parseDoc(r.doc) }));
    if (rows.length < PAGE) return;
    cursor = rows.at(-1)?.id;
  }
}

/**
 * Usage of the party's accounts: every record of an account she holds, her own records on an account she is
 * only a member of. Per account in time order along the (tenant, account, time) index, a page at a time.
 */
async function* usagePages(
  db: Database,
  tenantId: string,
  partyId: string,
  accounts: { held: string[]; member: string[] },
): AsyncGenerator<Record<string, unknown>[]> {
  const scopes = [
    ...accounts.held.map((accountId) => ({ accountId })),
    ...accounts.member.map((accountId) => ({ accountId, partyId })),
  ];
  for (const scope of scopes) {
    let cursor: [unknown, number] | undefined;
    for (;;) {
      let q = db.kysely
        .selectFrom('crm_usage')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('account_id', '=', scope.accountId);
      if ('partyId' in scope) q = q.where('party_id', '=', scope.partyId);
      if (cursor) {
        const [at, id] = cursor;
        q = q.where((eb) =>
          eb.or([eb('started_at', '>', at), eb.and([eb('started_at', '=', at), eb('id', '>', id)])]),
        );
      }
      const rows = (await q.orderBy('started_at').orderBy('id').limit(PAGE).execute()) as Record<
        string,
        unknown
      >[];
      if (rows.length > 0) {
        yield rows.map((r) => {
          const id = String(r.id);
          const doc = r.doc === null ? (USAGE.fromColumns?.(r) ?? {}) : parseDoc(r.doc);
          return { id, href: hrefOf(USAGE, id), ...doc };
        });
      }
      if (rows.length < PAGE) break;
      const last = rows.at(-1) as Record<string, unknown>;
      cursor = [last.started_at, Number(last.id)];
    }
  }
}

async function* jsonArray(pages: AsyncIterable<unknown[]>): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const page of pages) {
    if (page.length === 0) continue;
    yield (first ? '' : ',') + page.map((item) => JSON.stringify(item)).join(',');
    first = false;
  }
  yield ']';
}

async function* jsonAnswer(
  db: Database,
  tenantId: string,
  row: AgreementRow,
  include: readonly DataKind[],
): AsyncGenerator<string> {
  const partyId = row.partyId;
  const accounts = await accountsOf(db, tenantId, partyId);
  const allAccounts = [...accounts.held, ...accounts.member];
  yield `{"agreementId":${JSON.stringify(row.id)}`;
  for (const kind of include) {
    yield `,${JSON.stringify(kind)}:`;
    switch (kind) {
      case 'party':
        yield JSON.stringify(await partyResource(db.kysely, tenantId, partyId));
        break;
      case 'agreement':
        yield JSON.stringify(agreementData(row, await heldValues(db.kysely, tenantId, row.id)));
        break;
      case 'accounts':
        yield* jsonArray(
          (async function* () {
            for (const ids of chunks(allAccounts))
              for await (const page of resources(db, BILLING_ACCOUNT, tenantId, (q) =>
                q.where('id', 'in', ids),
              ))
                yield page;
          })(),
        );
        break;
      case 'services':
        yield* jsonArray(
          resources(db, SERVICE, tenantId, (q) =>
            q.where((eb) =>
              accounts.held.length > 0
                ? eb.or([eb('user_party_id', '=', partyId), eb('account_id', 'in', accounts.held)])
                : eb('user_party_id', '=', partyId),
            ),
          ),
        );
        break;
      case 'usage':
        yield* jsonArray(usagePages(db, tenantId, partyId, accounts));
        break;
      case 'interactions':
        yield* jsonArray(
          resources(db, PARTY_INTERACTION, tenantId, (q) => q.where('party_id', '=', partyId)),
        );
        break;
      case 'tickets':
        yield* jsonArray(resources(db, TROUBLE_TICKET, tenantId, (q) => q.where('party_id', '=', partyId)));
        break;
    }
  }
  yield '}';
}

/** One kind as CSV in the columns of the CRM's export of that kind (docs/crm-csv.md). */
async function* csvAnswer(
  db: Database,
  tenantId: string,
  row: AgreementRow,
  kind: 'parties' | 'accounts' | 'usage',
): AsyncGenerator<string> {
  const format = CSV_FORMATS[kind];
  yield stringify([format.columns as string[]]);
  const accounts = await accountsOf(db, tenantId, row.partyId);
  if (kind === 'parties') {
    const party = (await db.kysely
      .selectFrom('crm_parties')
      .select(['id', 'kind', 'agreement_id', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', row.partyId)
      .executeTakeFirst()) as Parameters<typeof partyCsvRecord>[0] | undefined;
    if (party) yield stringify([partyCsvRecord(party)]);
    return;
  }
  if (kind === 'accounts') {
    for (const ids of chunks([...accounts.held, ...accounts.member])) {
      const rows = (await db.kysely
        .selectFrom('crm_accounts')
        .select(['id', 'name', 'account_type', 'state', 'holder_party_id', 'agreement_id'])
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', 'BillingAccount')
        .where('id', 'in', ids)
        .orderBy('id')
        .execute()) as Record<string, string | null>[];
      if (rows.length > 0) yield stringify(rows.map(accountCsvRecord));
    }
    return;
  }
  const scopes = [
    ...accounts.held.map((accountId) => ({ accountId })),
    ...accounts.member.map((accountId) => ({ accountId, partyId: row.partyId })),
  ];
  for (const filters of scopes) {
    let cursor: unknown;
    for (;;) {
      const page = await format.page(db, tenantId, filters, cursor, PAGE);
      if (page.records.length > 0) yield stringify(page.records);
      if (page.records.length < PAGE) break;
      cursor = page.cursor;
    }
  }
}

let lastPurge = 0;

/** Forgets data request ids old enough that their requests are refused as stale anyway. */
async function purgeRequestIds(db: Database, now: number): Promise<void> {
  if (now - lastPurge < 60_000) return;
  lastPurge = now;
  await db.kysely
    .deleteFrom('crm_agreement_data_requests')
    .where('received_at', '<', new Date(now - REMEMBER_MS).toISOString())
    .execute();
}

export interface DataAnswer {
  contentType: string;
  filename?: string;
  body: AsyncGenerator<string>;
}

/**
 * `POST {vendor}/data`: a DataRequest signed by the person of the agreement, at most five minutes old and
 * never seen before, answered as JSON (the kinds asked for) or CSV (one kind), streamed a page at a time.
 * Every check runs before the first byte; the answer is logged in the ledger as a `dataExport` record.
 */
export async function answerDataRequest(
  ctx: VendorContext,
  tenant: Tenant,
  body: unknown,
): Promise<DataAnswer> {
  const vendor = vendorOf(ctx, tenant);
  const request = checked('', () =>
    validateParleyMessage<DataRequest>(body, { type: 'DataRequest' }),
  ) as SignedMessage<DataRequest>;
  if (request.to !== vendor.did)
    throw refused(422, `to: expected this vendor, ${vendor.did}`, 'to', 'wrong-party');
  const row = await agreementById(ctx.db.kysely, tenant.id, request.agreementId);
  if (!row)
    throw refused(
      404,
      `agreementId: no agreement ${request.agreementId} with this vendor`,
      'agreementId',
      'unknown-agreement',
    );
  checked('', () => checkAgainstAgreement(request, row.agreement));
  if (row.status === 'terminated')
    throw refused(
      410,
      'agreementId: this agreement was terminated; its data was returned or destroyed',
      'agreementId',
      'terminated',
    );
  const now = Date.now();
  if (now - Date.parse(request.createdAt) > REQUEST_MAX_AGE_MS)
    throw refused(
      409,
      'createdAt: the request is older than five minutes; sign a new one',
      'createdAt',
      'replay',
    );
  const csvKind = request.format === 'csv' ? CSV_KINDS[request.include[0] as DataKind] : undefined;
  if (request.format === 'csv' && !csvKind) {
    throw refused(
      422,
      `include[0]: CSV is available for ${Object.keys(CSV_KINDS).join(', ')}; ask for ${request.include[0]} as json`,
      'include[0]',
      'csv-kind',
    );
  }
  await purgeRequestIds(ctx.db, now);
  const inserted = await ctx.db.kysely
    .insertInto('crm_agreement_data_requests')
    .values({
      tenant_id: tenant.id,
      request_id: request.id,
      agreement_id: row.id,
      received_at: new Date(now).toISOString(),
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'request_id']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1)
    throw refused(409, 'id: this request was already answered; sign a new one', 'id', 'replay');
  await ctx.ledger.append([dataExportRecord(request)]);
  if (csvKind) {
    return {
      contentType: 'text/csv; charset=utf-8',
      filename: `${csvKind}.csv`,
      body: csvAnswer(ctx.db, tenant.id, row, csvKind),
    };
  }
  return {
    contentType: 'application/json; charset=utf-8',
    body: jsonAnswer(ctx.db, tenant.id, row, request.include),
  };
}
