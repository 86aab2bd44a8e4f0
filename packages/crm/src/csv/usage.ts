import { tmfDocument } from '../tmf/schemas.js';
import { USAGE_TYPES } from '../usage/usage.js';
import {
  agreement,
  clip,
  decimal,
  identifier,
  isoDateTime,
  numberForCsv,
  oneOf,
  timeForCsv,
  whole,
} from './fields.js';
import { field, type CsvFormat } from './format.js';

const COLUMNS = [
  'usageType',
  'usageDate',
  'durationSeconds',
  'volumeBytes',
  'cellId',
  'charge',
  'currency',
  'accountId',
  'partyId',
  'serviceId',
  'status',
  'agreementId',
] as const;

/** TMF635's usage status values (received, rated, billed, ...). */
const STATUSES = (tmfDocument('usage').definitions.UsageStatusType?.enum as string[] | undefined) ?? [];
const CURRENCY = /^[A-Za-z]{3}$/;

/**
 * TMF635 usage records (CDRs): the volume path. A row becomes the columns of crm_usage directly (no document:
 * the API rebuilds the TMF635 representation from the columns), in the order of insertColumns.
 */
export const USAGE_CSV: CsvFormat<unknown[]> = {
  kind: 'usage',
  table: 'crm_usage',
  columns: COLUMNS,
  required: ['usageType', 'usageDate'],
  insertColumns: [
    'tenant_id',
    'account_id',
    'party_id',
    'service_id',
    'usage_type',
    'status',
    'started_at',
    'duration_s',
    'volume_bytes',
    'cell_id',
    'charge',
    'currency',
    'agreement_id',
    'created_at',
    'updated_at',
  ],
  filters: {
    accountId: 'usage of this account',
    partyId: 'usage of this party (the user)',
    serviceId: 'usage of this service',
    usageType: 'voice, sms or data',
    from: 'usage from this time on (ISO 8601, inclusive)',
    to: 'usage before this time (ISO 8601, exclusive)',
  },

  compile(indexOf) {
    const [
      iType,
      iDate,
      iDuration,
      iVolume,
      iCell,
      iCharge,
      iCurrency,
      iAccount,
      iParty,
      iService,
      iStatus,
      iAgreement,
    ] = COLUMNS.map(indexOf) as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return (record, ctx) => {
      const { errors } = ctx;
      let usageType: string | undefined = field(record, iType);
      if (usageType === 'voice' || usageType === 'sms' || usageType === 'data') {
        // the common case, checked without allocating
      } else if (usageType === '') {
        errors.push({ column: 'usageType', message: `required: ${USAGE_TYPES.join(', ')}` });
      } else usageType = oneOf(usageType, USAGE_TYPES, 'usageType', errors);
      const dateText = field(record, iDate);
      const startedAt = dateText
        ? isoDateTime(dateText, 'usageDate', errors)
        : (errors.push({ column: 'usageDate', message: 'required: when the usage started (ISO 8601)' }),
          undefined);
      const durationText = field(record, iDuration);
      const duration = durationText ? decimal(durationText, 'durationSeconds', errors) : null;
      const volumeText = field(record, iVolume);
      const volume = volumeText ? whole(volumeText, 'volumeBytes', errors) : null;
      const cell = field(record, iCell) || null;
      const chargeText = field(record, iCharge);
      const charge = chargeText ? decimal(chargeText, 'charge', errors, true) : null;
      let currency: string | null = field(record, iCurrency) || null;
      if (currency !== null) {
        if (CURRENCY.test(currency)) currency = currency.toUpperCase();
        else
          errors.push({
            column: 'currency',
            message: `"${clip(currency)}" is not an ISO 4217 code such as EUR`,
          });
      } else if (charge !== null) {
        errors.push({ column: 'currency', message: 'required with a charge: an ISO 4217 code such as EUR' });
      }
      const account = field(record, iAccount) || null;
      if (account !== null && identifier(account, 'accountId', errors) !== undefined)
        ctx.need('account', account, 'accountId');
      const party = field(record, iParty) || null;
      if (party !== null && identifier(party, 'partyId', errors) !== undefined)
        ctx.need('party', party, 'partyId');
      const service = field(record, iService) || null;
      if (service !== null && identifier(service, 'serviceId', errors) !== undefined)
        ctx.need('service', service, 'serviceId');
      const statusText = field(record, iStatus);
      const status = statusText ? (oneOf(statusText, STATUSES, 'status', errors) ?? null) : null;
      const agreementText = field(record, iAgreement);
      const agreementId = agreementText
        ? (agreement(agreementText, 'agreementId', errors) ?? null)
        : ctx.agreementId;
      if (errors.length > 0) return undefined;
      return [
        ctx.tenantId,
        account,
        party,
        service,
        usageType,
        status,
        startedAt,
        duration,
        volume,
        cell,
        charge,
        currency,
        agreementId,
        ctx.now,
        ctx.now,
      ];
    };
  },

  async page(db, tenantId, filters, cursor, limit) {
    // Per account or party: in time order along the (tenant, account|party, started_at) index; otherwise in
    // id order. Either way keyset pagination: each page is one short query that resumes after the last row.
    const byTime = Boolean(filters.accountId || filters.partyId);
    let q = db.kysely
      .selectFrom('crm_usage')
      .select([
        'id',
        'usage_type',
        'started_at',
        'duration_s',
        'volume_bytes',
        'cell_id',
        'charge',
        'currency',
        'account_id',
        'party_id',
        'service_id',
        'status',
        'agreement_id',
      ])
      .where('tenant_id', '=', tenantId);
    if (filters.accountId) q = q.where('account_id', '=', filters.accountId);
    if (filters.partyId) q = q.where('party_id', '=', filters.partyId);
    if (filters.serviceId) q = q.where('service_id', '=', filters.serviceId);
    if (filters.usageType) q = q.where('usage_type', '=', filters.usageType);
    if (filters.from) q = q.where('started_at', '>=', filters.from);
    if (filters.to) q = q.where('started_at', '<', filters.to);
    if (cursor !== undefined) {
      if (byTime) {
        const [at, id] = cursor as [unknown, number];
        // The lower bound on started_at lets the index range start at the cursor; without it each page
        // scanned (and sorted) the partition from its beginning.
        q = q
          .where('started_at', '>=', at)
          .where((eb) => eb.or([eb('started_at', '>', at), eb('id', '>', id)]));
      } else q = q.where('id', '>', cursor as number);
    }
    q = byTime ? q.orderBy('started_at').orderBy('id') : q.orderBy('id');
    const rows = (await q.limit(limit).execute()) as Record<string, unknown>[];
    const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
    const records = rows.map((r) => [
      text(r.usage_type),
      timeForCsv(r.started_at),
      numberForCsv(r.duration_s),
      numberForCsv(r.volume_bytes),
      text(r.cell_id),
      numberForCsv(r.charge),
      text(r.currency),
      text(r.account_id),
      text(r.party_id),
      text(r.service_id),
      text(r.status),
      text(r.agreement_id),
    ]);
    const last = rows.at(-1);
    return {
      records,
      cursor: last === undefined ? undefined : byTime ? [last.started_at, Number(last.id)] : Number(last.id),
    };
  },
};
