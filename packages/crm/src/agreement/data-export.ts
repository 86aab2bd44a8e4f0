import {
  checkAgainstAgreement,
  validateParleyMessage,
  type DataRequest,
  type SignedMessage,
} from '@parley/protocol';
import type { Database } from '@parley/store';
import {
  agreementData,
  CSV_KINDS,
  partyResource,
  personCsv,
  personJson,
  type PersonKind,
} from '../rights/person-export.js';
import { checked, refused } from './errors.js';
import { dataExportRecord } from './ledger.js';
import type { Tenant } from './profile.js';
import { agreementById, vendorOf, type VendorContext } from './vendor.js';

/** A data request older than this is refused (and its id is remembered at least twice as long). */
export const REQUEST_MAX_AGE_MS = 5 * 60_000;
const REMEMBER_MS = 10 * 60_000;

export { agreementData, partyResource };

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
  const csvKind = request.format === 'csv' ? CSV_KINDS[request.include[0] as PersonKind] : undefined;
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
      body: personCsv(ctx.db, tenant.id, row.partyId, csvKind),
    };
  }
  return {
    contentType: 'application/json; charset=utf-8',
    body: personJson(ctx.db, tenant.id, row.partyId, request.include, {
      head: { agreementId: row.id },
      agreement: row,
      more: { notices: async () => (await ctx.notices?.(tenant.id, row.id)) ?? [] },
    }),
  };
}
