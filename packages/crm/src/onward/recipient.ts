import {
  acceptBisaOffering,
  acknowledgeBisaEvent,
  confirmOnwardWithdrawal,
  findTerms,
  permits,
  resolveTermsRef,
  validateBisaEvent,
  validateBisaOffering,
  validateOnwardPayload,
  type BisaOffering,
  type JlincEvent,
  type OnwardShare,
  type ValidatedBisa,
} from '@parley/protocol';
import type { AnyKysely } from '@parley/store';
import { badRequest } from '../http/problem.js';
import { checked, refused } from '../agreement/errors.js';
import type { Tenant } from '../agreement/profile.js';
import { vendorOf, type VendorContext } from '../agreement/vendor.js';
import { bisaByOffering, bisaRow, bisaRecord, type BisaRow } from './store.js';

const BISA_ID = /^[A-Za-z0-9_-]{43}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What the events of a stored BISA are checked against. */
export function bisaContext(row: BisaRow): ValidatedBisa {
  return {
    jlincId: row.offeringId,
    agreementURI: row.agreementUri,
    offerorDid: row.offerorDid,
    targetAcceptorDid: row.acceptorDid,
    acceptorDid: row.acceptorDid,
    bisaId: row.bisaId,
  };
}

/**
 * `POST {vendor}/bisa`: a BISA offering addressed to this tenant, for terms of the roster the tenant accepts.
 * Accepted with the tenant's vendor identity and stored; the same offering sent again gets the same BISA.
 */
export async function acceptOffering(
  ctx: VendorContext,
  tenant: Tenant,
  body: unknown,
): Promise<{ bisa: object; created: boolean }> {
  const vendor = vendorOf(ctx, tenant);
  const offering = checked('', () => validateBisaOffering(body));
  if (offering.targetAcceptorDid !== vendor.did)
    throw refused(
      422,
      `offeredBisa.agreementJwt.payload.targetAcceptorDid: this vendor is ${vendor.did}`,
      'offeredBisa.agreementJwt.payload.targetAcceptorDid',
      'wrong-party',
    );
  const terms = findTerms(offering.agreementURI);
  if (!terms || terms.uri !== offering.agreementURI)
    throw refused(
      422,
      'offeredBisa.agreementJwt.payload.agreementURI: names no terms of the roster',
      'offeredBisa.agreementJwt.payload.agreementURI',
      'unknown-terms',
    );
  if (!tenant.profile.policy.accepts.includes(terms.code))
    throw refused(
      422,
      `offeredBisa.agreementJwt.payload.agreementURI: this vendor does not accept ${terms.code}`,
      'offeredBisa.agreementJwt.payload.agreementURI',
      'terms-not-accepted',
    );
  const db = ctx.db.kysely;
  return ctx.lock.run(`bisa-offering:${tenant.id}:${offering.jlincId}`, async () => {
    const existing = await bisaByOffering(db, tenant.id, 'acceptor', offering.jlincId);
    if (existing) {
      if (existing.offeringText !== JSON.stringify(body))
        throw refused(409, 'id: another offering with this id was accepted', 'id', 'offering-reused');
      return { bisa: existing.bisa, created: false };
    }
    const bisa = checked('', () => acceptBisaOffering(body as BisaOffering, vendor));
    const now = new Date().toISOString();
    await db
      .insertInto('crm_onward_bisas')
      .values({
        tenant_id: tenant.id,
        bisa_id: bisa.bisaId,
        role: 'acceptor',
        offering_id: offering.jlincId,
        offeror_did: offering.offerorDid,
        acceptor_did: vendor.did,
        agreement_uri: offering.agreementURI,
        peer_url: null,
        offering: JSON.stringify(body),
        bisa: JSON.stringify(bisa),
        head_event_id: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await ctx.ledger.append([
      bisaRecord({
        bisaId: bisa.bisaId,
        offeror: offering.offerorDid,
        acceptor: vendor.did,
        agreementURI: offering.agreementURI,
      }),
    ]);
    return { bisa, created: true };
  });
}

/**
 * `POST {vendor}/bisa/{bisaId}/events`: an event of the BISA's chain, signed by its offeror (the sharer).
 * Checked (signature, the offeror, the chain: a fork or a gap is 409, an event whose answer was dropped is a
 * replay, 409), then an OnwardShare is stored with its provenance, an OnwardWithdrawal deletes everything
 * received under its share, in one transaction with the answer, which a re-delivery gets again.
 */
export async function receiveBisaEvent(
  ctx: VendorContext,
  tenant: Tenant,
  bisaId: string,
  body: unknown,
): Promise<object> {
  if (!BISA_ID.test(bisaId)) throw badRequest('bisaId: expected the 43-character id of a BISA', 'bisaId');
  const audit = (body as { audit?: { bisaId?: unknown } } | null)?.audit;
  if (!audit || typeof audit !== 'object' || audit.bisaId !== bisaId)
    throw badRequest('audit.bisaId: expected the BISA of the path', 'audit.bisaId');
  const vendor = vendorOf(ctx, tenant);
  const db = ctx.db.kysely;
  return ctx.lock.run(`bisa:${tenant.id}:${bisaId}`, async () => {
    const row = await bisaRow(db, tenant.id, bisaId);
    if (!row || row.role !== 'acceptor')
      throw refused(404, `bisaId: this vendor accepted no BISA ${bisaId}`, 'bisaId', 'unknown-bisa');
    const bisa = bisaContext(row);
    const event = checked('', () => validateBisaEvent(body, { bisa }));
    if (event.signerDid !== row.offerorDid)
      throw refused(
        422,
        'audit.initiatorDid: only the BISA’s offeror (the sharer) sends onward events',
        'audit.initiatorDid',
        'wrong-party',
      );
    const stored = (await db
      .selectFrom('crm_onward_events')
      .select(['response'])
      .where('tenant_id', '=', tenant.id)
      .where('event_id', '=', event.eventId)
      .executeTakeFirst()) as { response: string | null } | undefined;
    if (stored?.response) return JSON.parse(stored.response) as object;
    if (stored) throw refused(409, 'audit.eventId: was already accepted (replay)', 'audit.eventId', 'replay');
    if (event.previousId !== row.headEventId)
      throw refused(
        409,
        `audit.previousId: is not the head of the BISA's chain (${row.headEventId ?? 'null'}): fork or gap`,
        'audit.previousId',
        'fork',
      );
    const payload = checked('', () => validateOnwardPayload(event.payload));
    if (payload.type === 'OnwardShare') checkShareTerms(payload, row);
    const now = new Date().toISOString();
    const acknowledged = acknowledgeBisaEvent(body as JlincEvent, vendor, { bisa });
    const ledger = await ctx.ledger.append([{ type: 'bisaEvent', ...acknowledged.audit }]);
    let answer: Record<string, unknown>;
    let write: (tx: AnyKysely) => Promise<void>;
    if (payload.type === 'OnwardShare') {
      answer = { acknowledged, ledger, received: Object.keys(payload.fields).length };
      write = (tx) => storeShare(tx, tenant.id, row, payload, event.eventId, now);
    } else {
      const removed = await countReceived(db, tenant.id, bisaId, payload.shareId);
      const confirmation = confirmOnwardWithdrawal(
        { bisaId, shareId: payload.shareId, eventId: event.eventId, removed, confirmedAt: now },
        vendor,
      );
      answer = { acknowledged, ledger, confirmation };
      write = (tx) => removeShare(tx, tenant.id, bisaId, payload.shareId);
    }
    await db.transaction().execute(async (tx) => {
      const moved = await tx
        .updateTable('crm_onward_bisas')
        .set({ head_event_id: event.eventId, updated_at: now })
        .where('tenant_id', '=', tenant.id)
        .where('bisa_id', '=', bisaId)
        .where('head_event_id', row.headEventId === null ? 'is' : '=', row.headEventId)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1)
        throw refused(409, 'audit.previousId: the chain moved on (fork)', 'audit.previousId', 'fork');
      await write(tx);
      await tx
        .insertInto('crm_onward_events')
        .values({
          tenant_id: tenant.id,
          event_id: event.eventId,
          bisa_id: bisaId,
          previous_id: event.previousId,
          share_id: payload.shareId,
          kind: payload.type,
          response: JSON.stringify(answer),
          received_at: now,
        })
        .execute();
    });
    return answer;
  });
}

/** A share comes under the BISA's terms, for purposes those terms permit. */
function checkShareTerms(share: OnwardShare, bisa: BisaRow): void {
  if (share.terms.uri !== bisa.agreementUri)
    throw refused(
      422,
      `payload.terms: the BISA is for ${bisa.agreementUri}, not ${share.terms.uri}`,
      'payload.terms',
      'wrong-terms',
    );
  const terms = resolveTermsRef(share.terms, 'payload.terms');
  share.purposes.forEach((purpose, i) => {
    if (permits(terms, purpose) === 'no')
      throw refused(
        422,
        `payload.purposes[${i}]: ${terms.code} does not permit ${purpose}`,
        `payload.purposes[${i}]`,
        'purpose',
      );
  });
}

async function storeShare(
  tx: AnyKysely,
  tenantId: string,
  bisa: BisaRow,
  share: OnwardShare,
  eventId: string,
  now: string,
): Promise<void> {
  const purgeAt =
    share.retentionDays === null
      ? null
      : new Date(Date.parse(now) + share.retentionDays * DAY_MS).toISOString();
  for (const [field, value] of Object.entries(share.fields)) {
    const values = {
      value: JSON.stringify(value),
      sharer_did: bisa.offerorDid,
      agreement_id: share.agreementId,
      terms_id: share.terms.id,
      purposes: JSON.stringify(share.purposes),
      event_id: eventId,
      received_at: now,
      purge_at: purgeAt,
    };
    await tx
      .insertInto('crm_onward_received')
      .values({ tenant_id: tenantId, bisa_id: bisa.bisaId, share_id: share.shareId, field, ...values })
      .onConflict((oc) => oc.columns(['tenant_id', 'bisa_id', 'share_id', 'field']).doUpdateSet(values))
      .execute();
  }
}

async function countReceived(db: AnyKysely, tenantId: string, bisaId: string, shareId: string) {
  const row = (await db
    .selectFrom('crm_onward_received')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('bisa_id', '=', bisaId)
    .where('share_id', '=', shareId)
    .executeTakeFirst()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/** Deletes the values of a share and the stored answers that carry them (the share's events). */
async function removeShare(tx: AnyKysely, tenantId: string, bisaId: string, shareId: string) {
  await tx
    .deleteFrom('crm_onward_received')
    .where('tenant_id', '=', tenantId)
    .where('bisa_id', '=', bisaId)
    .where('share_id', '=', shareId)
    .execute();
  await tx
    .updateTable('crm_onward_events')
    .set({ response: null })
    .where('tenant_id', '=', tenantId)
    .where('bisa_id', '=', bisaId)
    .where('share_id', '=', shareId)
    .where('kind', '=', 'OnwardShare')
    .execute();
}

/** Values received onward whose retention ended are deleted (with the answers that carried them). */
export async function purgeExpiredOnward(ctx: VendorContext, now = new Date()): Promise<number> {
  const db = ctx.db.kysely;
  const due = (await db
    .selectFrom('crm_onward_received')
    .select(['tenant_id', 'bisa_id', 'share_id'])
    .distinct()
    .where('purge_at', 'is not', null)
    .where('purge_at', '<=', now.toISOString())
    .limit(500)
    .execute()) as { tenant_id: string; bisa_id: string; share_id: string }[];
  for (const r of due)
    await db.transaction().execute((tx) => removeShare(tx, r.tenant_id, r.bisa_id, r.share_id));
  return due.length;
}
