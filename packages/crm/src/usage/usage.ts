import { unprocessable } from '../http/problem.js';
import type { ResourceSpec } from '../tmf/resource.js';
import {
  ACCOUNTS,
  PARTIES,
  PARTY_TYPES,
  pick,
  refs,
  requireRef,
  requireRefs,
  SERVICES,
  text,
} from '../tmf/references.js';

/** The usage types of a CDR. */
export const USAGE_TYPES = ['voice', 'sms', 'data'];

interface Characteristic {
  name: string;
  value: unknown;
  valueType?: string;
}

const characteristic = (doc: Record<string, unknown>, name: string): unknown =>
  ((Array.isArray(doc.usageCharacteristic) ? doc.usageCharacteristic : []) as Characteristic[]).find(
    (c) => c.name === name,
  )?.value;

const numeric = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

/** A CDR's columns from its TMF635 representation (characteristics duration, volume, cellId, accountId, serviceId). */
export function usageColumns(doc: Record<string, unknown>) {
  const amount = (
    doc.ratedProductUsage as { taxIncludedRatingAmount?: { value?: number; unit?: string } }[] | undefined
  )?.[0]?.taxIncludedRatingAmount;
  return {
    usage_type: text(doc.usageType) ?? '',
    status: text(doc.status) ?? null,
    started_at: text(doc.usageDate) ?? '',
    duration_s: numeric(characteristic(doc, 'duration')),
    volume_bytes: numeric(characteristic(doc, 'volume')),
    cell_id: text(characteristic(doc, 'cellId')) ?? null,
    account_id: text(characteristic(doc, 'accountId')) ?? null,
    service_id: text(characteristic(doc, 'serviceId')) ?? null,
    party_id: pick(refs(doc.relatedParty), 'user', PARTY_TYPES)?.id ?? null,
    charge: numeric(amount?.value),
    currency: text(amount?.unit) ?? null,
  };
}

/** The TMF635 representation of a CDR stored as columns only (ingested in bulk). */
export function usageFromColumns(row: Record<string, unknown>): Record<string, unknown> {
  const chars: Characteristic[] = [];
  const add = (name: string, value: unknown, valueType: string) => {
    if (value !== null && value !== undefined)
      chars.push({ name, value: valueType === 'number' ? Number(value) : value, valueType });
  };
  add('duration', row.duration_s, 'number');
  add('volume', row.volume_bytes, 'number');
  add('cellId', row.cell_id, 'string');
  add('accountId', row.account_id, 'string');
  add('serviceId', row.service_id, 'string');
  return {
    usageDate: iso(row.started_at),
    usageType: row.usage_type,
    ...(row.status ? { status: row.status } : {}),
    ...(row.party_id
      ? { relatedParty: [{ id: row.party_id, '@referredType': 'Individual', role: 'user' }] }
      : {}),
    usageCharacteristic: chars,
    ...(row.charge !== null && row.charge !== undefined
      ? {
          ratedProductUsage: [
            { taxIncludedRatingAmount: { value: Number(row.charge), unit: row.currency ?? undefined } },
          ],
        }
      : {}),
    '@type': 'Usage',
  };
}

/** TMF635 Usage: one CDR (voice call, SMS, data session). Integer ids: there are billions. */
export const USAGE: ResourceSpec = {
  api: 'usage',
  path: '/usage',
  type: 'Usage',
  createDefinition: 'Usage_Create',
  updateDefinition: 'Usage_Update',
  table: 'crm_usage',
  partyColumn: 'party_id',
  integerId: true,
  columns: { usageType: 'usage_type', status: 'status', usageDate: 'started_at' },
  row: usageColumns,
  fromColumns: usageFromColumns,
  async check(db, tenantId, doc) {
    if (typeof doc.usageDate !== 'string')
      throw unprocessable('body.usageDate: required for a usage record', 'body.usageDate');
    if (!USAGE_TYPES.includes(String(doc.usageType))) {
      throw unprocessable(`body.usageType: expected one of ${USAGE_TYPES.join(', ')}`, 'body.usageType');
    }
    await requireRefs(db, tenantId, PARTIES, refs(doc.relatedParty), 'body.relatedParty');
    const columns = usageColumns(doc);
    if (columns.account_id)
      await requireRef(
        db,
        tenantId,
        ACCOUNTS,
        { id: columns.account_id },
        'body.usageCharacteristic.accountId',
      );
    if (columns.service_id)
      await requireRef(
        db,
        tenantId,
        SERVICES,
        { id: columns.service_id },
        'body.usageCharacteristic.serviceId',
      );
    return undefined;
  },
};
