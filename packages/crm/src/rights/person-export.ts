import { stringify } from 'csv-stringify/sync';
import type { DataKind } from '@parley/protocol';
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
import type { ResourceSpec } from '../tmf/resource.js';
import { heldValues } from '../agreement/data-event.js';
import type { HeldValue } from '../agreement/individual.js';
import { hrefOf, parseDoc } from '../agreement/records.js';
import { agreementById, type AgreementRow } from '../agreement/vendor.js';

/**
 * Everything the CRM holds about one person, streamed a page at a time: the one implementation behind the
 * protocol's DataRequest answer (agreement/data-export.ts), the self-care export and the staff's subject-access
 * export (rights/routes.ts). Nothing is held beyond one page of PAGE rows.
 */

/** Rows per keyset page. */
export const PAGE = 1000;

/**
 * The kinds an export can hold: those of the protocol's DataRequest (`agreement` being the one agreement of
 * the request), and `agreements`, every agreement the person has signed with the vendor.
 */
export type PersonKind = DataKind | 'agreements';

/** CSV holds one kind, in the columns of the CRM's export of that kind (docs/crm-csv.md). */
export type CsvKind = 'parties' | 'accounts' | 'usage';

/** The kinds a CSV answer can hold, and the CRM export whose columns it takes. */
export const CSV_KINDS: Partial<Record<PersonKind, CsvKind>> = {
  party: 'parties',
  accounts: 'accounts',
  usage: 'usage',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables are untyped (Kysely<any>)
type Query = SelectQueryBuilder<any, any, any>;

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
export async function accountsOf(db: Database, tenantId: string, partyId: string) {
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

type Accounts = Awaited<ReturnType<typeof accountsOf>>;

const chunks = <T>(list: readonly T[], size = 500): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

/**
 * The rows of one resource table matching `where`, a page at a time in id order (keyset pagination: a short
 * query per page, nothing held beyond it), as TMF resources.
 */
export async function* resources(
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

/** The usage a person may see: every record of an account she holds, her own on one she is a member of. */
const usageScopes = (partyId: string, accounts: Accounts) => [
  ...accounts.held.map((accountId) => ({ accountId })),
  ...accounts.member.map((accountId) => ({ accountId, partyId })),
];

/**
 * Usage of the party's accounts: every record of an account she holds, her own records on an account she is
 * only a member of. Per account in time order along the (tenant, account, time) index, a page at a time.
 */
export async function* usagePages(
  db: Database,
  tenantId: string,
  partyId: string,
  accounts: Accounts,
): AsyncGenerator<Record<string, unknown>[]> {
  for (const scope of usageScopes(partyId, accounts)) {
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
        // The lower bound on started_at lets the index range start at the cursor; without it each page
        // scanned (and sorted) the account's records from the first.
        q = q
          .where('started_at', '>=', at)
          .where((eb) => eb.or([eb('started_at', '>', at), eb('id', '>', id)]));
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

/** Every agreement the party has signed (terminated ones too), each with the values held under it. */
async function* agreementPages(
  db: Database,
  tenantId: string,
  partyId: string,
): AsyncGenerator<Record<string, unknown>[]> {
  const ids = (await db.kysely
    .selectFrom('crm_agreements')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('party_id', '=', partyId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()) as { id: string }[];
  for (const { id } of ids) {
    const row = await agreementById(db.kysely, tenantId, id);
    if (row) yield [agreementData(row, await heldValues(db.kysely, tenantId, id))];
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

export interface PersonJsonOptions {
  /** Members written first, in order (e.g. `agreementId` for the protocol's answer). */
  head: Record<string, unknown>;
  /** The agreement the `agreement` kind is about (the protocol's answer); without it that kind is null. */
  agreement?: AgreementRow;
  /** Kinds answered by another module (e.g. the protocol's `notices`): the value to write; absent: null. */
  more?: Partial<Record<PersonKind, () => Promise<unknown>>>;
}

/**
 * Everything about the party as one JSON object: the `head` members, then one member per kind of `include`, in
 * that order. Arrays are streamed a page at a time.
 */
export async function* personJson(
  db: Database,
  tenantId: string,
  partyId: string,
  include: readonly PersonKind[],
  options: PersonJsonOptions,
): AsyncGenerator<string> {
  const accounts = await accountsOf(db, tenantId, partyId);
  const allAccounts = [...accounts.held, ...accounts.member];
  yield `{${Object.entries(options.head)
    .map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`)
    .join(',')}`;
  for (const kind of include) {
    yield `,${JSON.stringify(kind)}:`;
    switch (kind) {
      case 'party':
        yield JSON.stringify(await partyResource(db.kysely, tenantId, partyId));
        break;
      case 'agreement': {
        const row = options.agreement;
        yield JSON.stringify(row ? agreementData(row, await heldValues(db.kysely, tenantId, row.id)) : null);
        break;
      }
      case 'agreements':
        yield* jsonArray(agreementPages(db, tenantId, partyId));
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
      default:
        yield JSON.stringify((await options.more?.[kind]?.()) ?? null);
    }
  }
  yield '}';
}

/** One kind about the party as CSV, in the columns of the CRM's export of that kind (docs/crm-csv.md). */
export async function* personCsv(
  db: Database,
  tenantId: string,
  partyId: string,
  kind: CsvKind,
): AsyncGenerator<string> {
  const format = CSV_FORMATS[kind];
  yield stringify([format.columns as string[]]);
  const accounts = await accountsOf(db, tenantId, partyId);
  if (kind === 'parties') {
    const party = (await db.kysely
      .selectFrom('crm_parties')
      .select(['id', 'kind', 'agreement_id', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', partyId)
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
  for (const filters of usageScopes(partyId, accounts)) {
    let cursor: unknown;
    for (;;) {
      const page = await format.page(db, tenantId, filters, cursor, PAGE);
      if (page.records.length > 0) yield stringify(page.records);
      if (page.records.length < PAGE) break;
      cursor = page.cursor;
    }
  }
}
