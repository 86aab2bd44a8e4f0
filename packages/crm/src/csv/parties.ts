import { INDIVIDUAL, ORGANIZATION } from '../party/party.js';
import { agreement, clip, dateForCsv, isoDate, oneOf, type ColumnError } from './fields.js';
import { field, newRecordId, type CsvFormat, type RowContext } from './format.js';
import { reportInvalid, tmfValidator } from './validate.js';

const KINDS = ['Individual', 'Organization'] as const;
const SPECS = { Individual: INDIVIDUAL, Organization: ORGANIZATION };

const COLUMNS = [
  'kind',
  'id',
  'givenName',
  'familyName',
  'name',
  'tradingName',
  'birthDate',
  'email',
  'phone',
  'street',
  'city',
  'postCode',
  'country',
  'status',
  'agreementId',
] as const;

/** Where a member of the TMF632 document comes from, for error messages. */
const COLUMN_OF: Record<string, string> = {
  givenName: 'givenName',
  familyName: 'familyName',
  formattedName: 'name',
  name: 'name',
  tradingName: 'tradingName',
  birthDate: 'birthDate',
  emailAddress: 'email',
  phoneNumber: 'phone',
  street1: 'street',
  city: 'city',
  postCode: 'postCode',
  country: 'country',
  status: 'status',
};

const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+$/;
const PHONE = /^\+?[0-9][0-9 ()./-]{2,39}$/;

/** The columns spec.row() derives, beside the ones every party row has. */
const DERIVED = [
  ...new Set([...Object.keys(INDIVIDUAL.row({})), ...Object.keys(ORGANIZATION.row({}))]),
].filter((c) => !['tenant_id', 'id', 'kind', 'agreement_id', 'created_at', 'updated_at', 'doc'].includes(c));

interface Medium {
  mediumType: string;
  characteristic: Record<string, string>;
}

/** TMF632 contact media from the email, phone and address columns. */
function contactMedia(
  email: string,
  phone: string,
  address: Record<string, string>,
  errors: ColumnError[],
): Medium[] {
  const media: Medium[] = [];
  if (email) {
    if (EMAIL.test(email)) media.push({ mediumType: 'email', characteristic: { emailAddress: email } });
    else errors.push({ column: 'email', message: `"${clip(email)}" is not an email address` });
  }
  if (phone) {
    if (PHONE.test(phone)) media.push({ mediumType: 'phone', characteristic: { phoneNumber: phone } });
    else
      errors.push({
        column: 'phone',
        message: `"${clip(phone)}" is not a phone number (digits, spaces, + ( ) . / -)`,
      });
  }
  const postal = Object.fromEntries(Object.entries(address).filter(([, v]) => v !== ''));
  if (Object.keys(postal).length > 0) media.push({ mediumType: 'postalAddress', characteristic: postal });
  return media;
}

/** TMF632 Individual and Organization parties, one per row. */
export const PARTIES_CSV: CsvFormat<unknown[]> = {
  kind: 'parties',
  table: 'crm_parties',
  columns: COLUMNS,
  required: ['kind'],
  aliases: { formattedName: 'name' },
  insertColumns: ['tenant_id', 'id', 'kind', ...DERIVED, 'agreement_id', 'created_at', 'updated_at', 'doc'],
  filters: {
    kind: 'Individual or Organization',
    status: 'the party status, e.g. validated',
  },

  compile(indexOf) {
    const at = Object.fromEntries(COLUMNS.map((c) => [c, indexOf(c)])) as Record<
      (typeof COLUMNS)[number],
      number
    >;
    const validate = {
      Individual: tmfValidator('party', INDIVIDUAL.createDefinition),
      Organization: tmfValidator('party', ORGANIZATION.createDefinition),
    };
    return (record: string[], ctx: RowContext) => {
      const get = (c: (typeof COLUMNS)[number]) => field(record, at[c]);
      const { errors } = ctx;
      const kindText = get('kind');
      const kind = kindText
        ? (oneOf(kindText, KINDS, 'kind', errors) as (typeof KINDS)[number] | undefined)
        : (errors.push({ column: 'kind', message: 'required: Individual or Organization' }), undefined);
      const id = newRecordId(ctx, get('id'), 'party');
      const body: Record<string, unknown> = {};
      const name = get('name');
      if (kind === 'Individual') {
        for (const c of ['givenName', 'familyName'] as const) {
          const v = get(c);
          if (v) body[c] = v;
          else errors.push({ column: c, message: 'required for an Individual' });
        }
        if (name) body.formattedName = name;
        const birth = get('birthDate');
        if (birth) {
          const date = isoDate(birth, 'birthDate', errors);
          if (date) body.birthDate = date;
        }
        if (get('tradingName')) errors.push({ column: 'tradingName', message: 'only for an Organization' });
      } else if (kind === 'Organization') {
        const trading = get('tradingName') || name;
        if (name) body.name = name;
        if (trading) body.tradingName = trading;
        else errors.push({ column: 'name', message: 'required for an Organization' });
        for (const c of ['givenName', 'familyName', 'birthDate'] as const)
          if (get(c)) errors.push({ column: c, message: 'only for an Individual' });
      }
      const media = contactMedia(
        get('email'),
        get('phone'),
        { street1: get('street'), city: get('city'), postCode: get('postCode'), country: get('country') },
        errors,
      );
      if (media.length > 0) body.contactMedium = media;
      const status = get('status');
      if (status) body.status = status;
      const agreementText = get('agreementId');
      const agreementId = agreementText
        ? (agreement(agreementText, 'agreementId', errors) ?? null)
        : ctx.agreementId;
      if (!kind || errors.length > 0) return undefined;
      // As the API's POST stores it: the body, then its @type.
      const doc = { ...body, '@type': kind };
      if (!validate[kind](doc)) {
        reportInvalid(validate[kind].errors, COLUMN_OF, errors);
        return undefined;
      }
      const derived = SPECS[kind].row(doc);
      return [
        ctx.tenantId,
        id,
        kind,
        ...DERIVED.map((c) => derived[c] ?? null),
        agreementId,
        ctx.now,
        ctx.now,
        JSON.stringify(doc),
      ];
    };
  },

  async page(db, tenantId, filters, cursor, limit) {
    let q = db.kysely
      .selectFrom('crm_parties')
      .select(['id', 'kind', 'agreement_id', 'doc'])
      .where('tenant_id', '=', tenantId);
    if (filters.kind) q = q.where('kind', '=', filters.kind);
    if (filters.status) q = q.where('status', '=', filters.status);
    if (cursor !== undefined) q = q.where('id', '>', cursor as string);
    const rows = (await q.orderBy('id').limit(limit).execute()) as {
      id: string;
      kind: string;
      agreement_id: string | null;
      doc: unknown;
    }[];
    const records = rows.map(partyCsvRecord);
    return { records, cursor: rows.at(-1)?.id };
  },
};

/** A stored party row as the export writes it (the columns of COLUMNS, in order). */
export function partyCsvRecord(row: {
  id: string;
  kind: string;
  agreement_id: string | null;
  doc: unknown;
}): string[] {
  const doc = (typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc) as Record<string, unknown>;
  const media = (Array.isArray(doc.contactMedium) ? doc.contactMedium : []) as Medium[];
  const member = (key: string) => {
    const m =
      media.find((x) => x.characteristic?.[key] && (x as { preferred?: boolean }).preferred) ??
      media.find((x) => x.characteristic?.[key]);
    return m?.characteristic[key] ?? '';
  };
  const postal =
    media.find((x) => x.mediumType === 'postalAddress')?.characteristic ??
    media.find((x) => x.characteristic?.street1 || x.characteristic?.city)?.characteristic ??
    {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const individual = row.kind === 'Individual';
  return [
    row.kind,
    row.id,
    individual ? text(doc.givenName) : '',
    individual ? text(doc.familyName) : '',
    individual ? text(doc.formattedName) : text(doc.name),
    individual ? '' : text(doc.tradingName),
    individual ? dateForCsv(doc.birthDate) : '',
    member('emailAddress'),
    member('phoneNumber'),
    text(postal.street1),
    text(postal.city),
    text(postal.postCode),
    text(postal.country),
    text(doc.status),
    row.agreement_id ?? '',
  ];
}
