import type { AnyKysely } from '@parley/store';

/** A row of crm_onward_bisas. */
export interface BisaRow {
  tenantId: string;
  bisaId: string;
  role: 'offeror' | 'acceptor';
  offeringId: string;
  offerorDid: string;
  acceptorDid: string;
  agreementUri: string;
  peerUrl: string | null;
  offeringText: string;
  bisa: object;
  headEventId: string | null;
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

function bisaFromRow(r: Record<string, unknown>): BisaRow {
  return {
    tenantId: r.tenant_id as string,
    bisaId: r.bisa_id as string,
    role: r.role as BisaRow['role'],
    offeringId: r.offering_id as string,
    offerorDid: r.offeror_did as string,
    acceptorDid: r.acceptor_did as string,
    agreementUri: r.agreement_uri as string,
    peerUrl: (r.peer_url as string | null) ?? null,
    offeringText: r.offering as string,
    bisa: JSON.parse(r.bisa as string) as object,
    headEventId: (r.head_event_id as string | null) ?? null,
  };
}

export async function bisaRow(db: AnyKysely, tenantId: string, bisaId: string) {
  const r = (await db
    .selectFrom('crm_onward_bisas')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('bisa_id', '=', bisaId)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  return r && bisaFromRow(r);
}

export async function bisaByOffering(
  db: AnyKysely,
  tenantId: string,
  role: BisaRow['role'],
  offeringId: string,
) {
  const r = (await db
    .selectFrom('crm_onward_bisas')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('role', '=', role)
    .where('offering_id', '=', offeringId)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  return r && bisaFromRow(r);
}

/** The sharer's BISA with a recipient (by DID and vendor URL) for these terms, if one was made. */
export async function offeredBisa(
  db: AnyKysely,
  tenantId: string,
  acceptorDid: string,
  agreementUri: string,
  peerUrl: string,
) {
  const r = (await db
    .selectFrom('crm_onward_bisas')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('role', '=', 'offeror')
    .where('acceptor_did', '=', acceptorDid)
    .where('agreement_uri', '=', agreementUri)
    .where('peer_url', '=', peerUrl)
    .orderBy('created_at')
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  return r && bisaFromRow(r);
}

/** The audit record of a BISA: ids and DIDs. */
export function bisaRecord(b: { bisaId: string; offeror: string; acceptor: string; agreementURI: string }) {
  return { type: 'bisa', ...b };
}

export type ShareStatus = 'sending' | 'active' | 'withdrawal-pending' | 'withdrawn';

/** An onward share as the staff API shows it (field names only, never values). */
export interface OnwardShareView {
  id: string;
  href: string;
  agreementId: string;
  partyId: string;
  recipient: string;
  recipientDid: string;
  bisaId: string;
  fields: string[];
  purpose: string;
  status: ShareStatus;
  sharedAt: string;
  acknowledged: boolean;
  ledgerIndex: number | null;
  withdrawal?: {
    reason: string | null;
    requestedAt: string | null;
    confirmedAt: string | null;
    removed: number | null;
    ledgerIndex: number | null;
    lastError: string | null;
  };
}

export const SHARES_PATH = '/crm/v1/onwardShares';

export function shareFromRow(r: Record<string, unknown>): OnwardShareView {
  const confirmation = r.confirmation
    ? (JSON.parse(r.confirmation as string) as { removed: number })
    : undefined;
  const view: OnwardShareView = {
    id: r.share_id as string,
    href: `${SHARES_PATH}/${encodeURIComponent(r.share_id as string)}`,
    agreementId: r.agreement_id as string,
    partyId: r.party_id as string,
    recipient: r.recipient_url as string,
    recipientDid: r.recipient_did as string,
    bisaId: r.bisa_id as string,
    fields: JSON.parse(r.fields as string) as string[],
    purpose: r.purpose as string,
    status: r.status as ShareStatus,
    sharedAt: iso(r.shared_at) as string,
    acknowledged: r.ack !== null && r.ack !== undefined,
    ledgerIndex: r.ledger_index === null || r.ledger_index === undefined ? null : Number(r.ledger_index),
  };
  if (r.withdrawn_at !== null && r.withdrawn_at !== undefined)
    view.withdrawal = {
      reason: (r.withdrawal_reason as string | null) ?? null,
      requestedAt: iso(r.withdrawn_at),
      confirmedAt: iso(r.withdrawal_confirmed_at),
      removed: confirmation ? confirmation.removed : null,
      ledgerIndex:
        r.withdrawal_ledger_index === null || r.withdrawal_ledger_index === undefined
          ? null
          : Number(r.withdrawal_ledger_index),
      lastError: (r.last_error as string | null) ?? null,
    };
  return view;
}

export async function shareById(db: AnyKysely, tenantId: string, shareId: string) {
  const r = (await db
    .selectFrom('crm_onward_shares')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('share_id', '=', shareId)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  return r;
}
