import { BILLING_ACCOUNT } from '../account/account.js';
import { agreement, identifier } from './fields.js';
import { field, newRecordId, type CsvFormat } from './format.js';
import { reportInvalid, tmfValidator } from './validate.js';

const COLUMNS = ['id', 'name', 'accountType', 'state', 'holderPartyId', 'agreementId'] as const;

const COLUMN_OF: Record<string, string> = {
  name: 'name',
  accountType: 'accountType',
  state: 'state',
  relatedParty: 'holderPartyId',
};

const DERIVED = Object.keys(BILLING_ACCOUNT.row({})).filter(
  (c) => !['tenant_id', 'id', 'kind', 'agreement_id', 'created_at', 'updated_at', 'doc'].includes(c),
);

interface AccountDraft {
  id: string;
  body: Record<string, unknown>;
  holder: string;
  agreementId: string | null;
}

/** TMF666 billing accounts, each with its holder (a party of the same tenant). */
export const ACCOUNTS_CSV: CsvFormat<AccountDraft> = {
  kind: 'accounts',
  table: 'crm_accounts',
  columns: COLUMNS,
  required: ['name', 'holderPartyId'],
  insertColumns: ['tenant_id', 'id', 'kind', ...DERIVED, 'agreement_id', 'created_at', 'updated_at', 'doc'],
  filters: {
    partyId: 'accounts held by this party',
    state: 'the account state, e.g. Active',
  },

  compile(indexOf) {
    const at = Object.fromEntries(COLUMNS.map((c) => [c, indexOf(c)])) as Record<
      (typeof COLUMNS)[number],
      number
    >;
    return (record, ctx) => {
      const get = (c: (typeof COLUMNS)[number]) => field(record, at[c]);
      const { errors } = ctx;
      const id = newRecordId(ctx, get('id'), 'account');
      const body: Record<string, unknown> = {};
      const name = get('name');
      if (name) body.name = name;
      else errors.push({ column: 'name', message: 'required' });
      const accountType = get('accountType');
      if (accountType) body.accountType = accountType;
      const state = get('state');
      if (state) body.state = state;
      const holder = get('holderPartyId');
      if (!holder)
        errors.push({
          column: 'holderPartyId',
          message: 'required: the id of the party who holds the account',
        });
      else if (identifier(holder, 'holderPartyId', errors) !== undefined)
        ctx.need('party', holder, 'holderPartyId');
      const agreementText = get('agreementId');
      const agreementId = agreementText
        ? (agreement(agreementText, 'agreementId', errors) ?? null)
        : ctx.agreementId;
      return errors.length > 0 ? undefined : { id, body, holder, agreementId };
    };
  },

  finish(draft, refs, ctx) {
    const party = refs.party(draft.holder);
    if (!party) return undefined; // reported by the reference check
    const validate = tmfValidator('account', BILLING_ACCOUNT.createDefinition);
    const doc = {
      ...draft.body,
      relatedParty: [{ id: draft.holder, name: party.name, role: 'holder', '@referredType': party.kind }],
      '@type': 'BillingAccount',
    };
    if (!validate(doc)) {
      reportInvalid(validate.errors, COLUMN_OF, ctx.errors);
      return undefined;
    }
    const derived = BILLING_ACCOUNT.row(doc);
    return [
      ctx.tenantId,
      draft.id,
      'BillingAccount',
      ...DERIVED.map((c) => derived[c] ?? null),
      draft.agreementId,
      ctx.now,
      ctx.now,
      JSON.stringify(doc),
    ];
  },

  async page(db, tenantId, filters, cursor, limit) {
    let q = db.kysely
      .selectFrom('crm_accounts')
      .select(['id', 'name', 'account_type', 'state', 'holder_party_id', 'agreement_id'])
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'BillingAccount');
    if (filters.partyId) q = q.where('holder_party_id', '=', filters.partyId);
    if (filters.state) q = q.where('state', '=', filters.state);
    if (cursor !== undefined) q = q.where('id', '>', cursor as string);
    const rows = (await q.orderBy('id').limit(limit).execute()) as Record<string, string | null>[];
    const records = rows.map(accountCsvRecord);
    return { records, cursor: rows.at(-1)?.id };
  },
};

/** A stored account row (its columns) as the export writes it. */
export function accountCsvRecord(r: Record<string, string | null>): string[] {
  return [
    r.id ?? '',
    r.name ?? '',
    r.account_type ?? '',
    r.state ?? '',
    r.holder_party_id ?? '',
    r.agreement_id ?? '',
  ];
}
