import { resolveTermsRef } from '@parley/protocol';
import type { LedgerReceipt } from '@parley/ledger';
import { agreementById, type AgreementRow, type VendorContext } from '../agreement/vendor.js';

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const parse = <T>(text: unknown): T | null => (typeof text === 'string' ? (JSON.parse(text) as T) : null);

/** A fresh receipt (proof to the newest checkpoint) of what was logged at `index`, or null when nothing was. */
async function proof(ctx: VendorContext, index: unknown): Promise<LedgerReceipt | null> {
  if (index === null || index === undefined) return null;
  return ctx.ledger.receipt(Number(index));
}

async function received(ctx: VendorContext, row: AgreementRow) {
  const db = ctx.db.kysely;
  const events = (await db
    .selectFrom('crm_agreement_events')
    .select([
      'event_id',
      'event_type',
      'message_type',
      'fields',
      'response',
      'ledger_index',
      'received_at',
      'purge_at',
    ])
    .where('tenant_id', '=', row.tenantId)
    .where('agreement_id', '=', row.id)
    .orderBy('received_at')
    .execute()) as Record<string, unknown>[];
  const heldFrom = new Set(
    (
      (await db
        .selectFrom('crm_agreement_data')
        .select('event_id')
        .where('tenant_id', '=', row.tenantId)
        .where('agreement_id', '=', row.id)
        .execute()) as { event_id: string }[]
    ).map((r) => r.event_id),
  );
  return Promise.all(
    events.map(async (e) => {
      const isData = e.message_type === 'data';
      let status: string | undefined;
      if (isData) {
        if (row.status === 'terminated') status = 'destroyed at termination';
        else if (heldFrom.has(e.event_id as string)) status = 'held';
        else if (e.response === null) status = 'purged';
        else status = 'superseded by later events';
      }
      return {
        eventId: e.event_id as string,
        eventType: e.event_type as string,
        messageType: e.message_type as string,
        receivedAt: iso(e.received_at),
        ...(isData ? { fields: parse<string[]>(e.fields) ?? [], status, purgeAt: iso(e.purge_at) } : {}),
        ledger: await proof(ctx, e.ledger_index),
      };
    }),
  );
}

async function used(ctx: VendorContext, tenantId: string, where: { agreementId?: string; ownOf?: string }) {
  let q = ctx.db.kysely
    .selectFrom('crm_data_use_members as m')
    .innerJoin('crm_data_uses as u', (j) =>
      j.onRef('u.tenant_id', '=', 'm.tenant_id').onRef('u.id', '=', 'm.use_id'),
    )
    .select([
      'u.id',
      'u.kind',
      'u.purpose',
      'u.channel',
      'u.created_at',
      'u.ledger_index',
      'm.included',
      'm.reason',
      'm.party_id',
    ])
    .where('m.tenant_id', '=', tenantId);
  if (where.agreementId) q = q.where('m.agreement_id', '=', where.agreementId);
  if (where.ownOf) q = q.where('m.party_id', '=', where.ownOf).where('m.agreement_id', 'is', null);
  const rows = (await q.orderBy('u.created_at').execute()) as Record<string, unknown>[];
  return Promise.all(
    rows.map(async (r) => ({
      useId: r.id as string,
      kind: r.kind as string,
      purpose: r.purpose as string,
      ...(r.channel ? { channel: r.channel as string } : {}),
      at: iso(r.created_at),
      partyId: r.party_id as string,
      included: Number(r.included) === 1,
      ...(r.reason ? { reason: r.reason as string } : {}),
      ledger: await proof(ctx, r.ledger_index),
    })),
  );
}

async function shared(ctx: VendorContext, row: AgreementRow) {
  const rows = (await ctx.db.kysely
    .selectFrom('crm_onward_shares')
    .selectAll()
    .where('tenant_id', '=', row.tenantId)
    .where('agreement_id', '=', row.id)
    .orderBy('shared_at')
    .execute()) as Record<string, unknown>[];
  return Promise.all(
    rows.map(async (r) => ({
      shareId: r.share_id as string,
      recipient: r.recipient_url as string,
      recipientDid: r.recipient_did as string,
      bisaId: r.bisa_id as string,
      fields: parse<string[]>(r.fields) ?? [],
      purpose: r.purpose as string,
      status: r.status as string,
      sharedAt: iso(r.shared_at),
      ledger: await proof(ctx, r.ledger_index),
      ...(r.withdrawn_at
        ? {
            withdrawal: {
              requestedAt: iso(r.withdrawn_at),
              confirmedAt: iso(r.withdrawal_confirmed_at),
              confirmation: parse<unknown>(r.confirmation),
              ledger: await proof(ctx, r.withdrawal_ledger_index),
            },
          }
        : {}),
    })),
  );
}

async function purged(ctx: VendorContext, row: AgreementRow) {
  const rows = (await ctx.db.kysely
    .selectFrom('crm_retention_purges')
    .selectAll()
    .where('tenant_id', '=', row.tenantId)
    .where('agreement_id', '=', row.id)
    .orderBy('purged_at')
    .execute()) as Record<string, unknown>[];
  return Promise.all(
    rows.map(async (r) => ({
      purgedAt: iso(r.purged_at),
      dueAt: iso(r.due_at),
      fields: parse<string[]>(r.fields) ?? [],
      events: (parse<string[]>(r.event_ids) ?? []).length,
      valuesRemoved: Number(r.values_removed),
      receipt: parse<unknown>(r.receipt),
      ledger: await proof(ctx, r.ledger_index),
    })),
  );
}

/** The ledger receipt the agreement was answered with (its `agreement` record), made fresh. */
async function agreementProof(ctx: VendorContext, row: AgreementRow) {
  const n = (await ctx.db.kysely
    .selectFrom('crm_agreement_negotiations')
    .select('response')
    .where('tenant_id', '=', row.tenantId)
    .where('agreement_id', '=', row.id)
    .executeTakeFirst()) as { response: string } | undefined;
  const answered = parse<{ ledger?: { index?: number } }>(n?.response);
  return proof(ctx, answered?.ledger?.index);
}

/**
 * What happened to the data of one agreement: the agreement and its terms; every event received (data events
 * with the fields they carried and whether their values are held, superseded, purged or destroyed); every
 * declared use that considered the person under it; every onward share and its withdrawal; every retention
 * purge with its signed receipt. Each entry carries a ledger receipt proving it is in the log, all against
 * the same, newest checkpoint, so a regulator (or the person) can check them offline with the log's key.
 */
export async function complianceOfAgreement(ctx: VendorContext, tenantId: string, agreementId: string) {
  const row = await agreementById(ctx.db.kysely, tenantId, agreementId);
  if (!row) return undefined;
  const terms = resolveTermsRef(row.agreement.terms, 'agreement.terms');
  return {
    agreement: {
      id: row.id,
      partyId: row.partyId,
      person: row.personDid,
      status: row.status,
      terms: { id: terms.id, code: terms.code, title: terms.title },
      purposes: row.agreement.purposes,
      retentionDays: row.agreement.retentionDays,
      onwardSharing: row.agreement.onwardSharing,
      effectiveAt: row.agreement.effectiveAt,
      ...(row.terminatedAt ? { terminatedAt: row.terminatedAt } : {}),
      permissions: row.permissions,
      ledger: await agreementProof(ctx, row),
    },
    received: await received(ctx, row),
    used: await used(ctx, tenantId, { agreementId }),
    shared: await shared(ctx, row),
    purged: await purged(ctx, row),
    ledger: { origin: ctx.ledger.origin, vkey: ctx.ledger.vkey, size: ctx.ledger.size },
  };
}

/** The reports of every agreement a person has had with the vendor, and the uses of the vendor's own data. */
export async function complianceOfParty(ctx: VendorContext, tenantId: string, partyId: string) {
  const db = ctx.db.kysely;
  const party = await db
    .selectFrom('crm_parties')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', partyId)
    .executeTakeFirst();
  if (!party) return undefined;
  const ids = (
    (await db
      .selectFrom('crm_agreements')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('party_id', '=', partyId)
      .orderBy('created_at')
      .execute()) as { id: string }[]
  ).map((r) => r.id);
  const agreements = [];
  for (const id of ids) agreements.push(await complianceOfAgreement(ctx, tenantId, id));
  return {
    partyId,
    agreements,
    ownDataUses: await used(ctx, tenantId, { ownOf: partyId }),
    ledger: { origin: ctx.ledger.origin, vkey: ctx.ledger.vkey, size: ctx.ledger.size },
  };
}
