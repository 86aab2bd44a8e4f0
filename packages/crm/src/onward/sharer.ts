import { randomUUID } from 'node:crypto';
import {
  createBisaEvent,
  createBisaOffering,
  PURPOSES,
  permits,
  ProtocolError,
  resolveTermsRef,
  sha256Hex,
  termsRef,
  validateAcknowledgedBisaEvent,
  validateBisa,
  verifyOnwardWithdrawalConfirmation,
  type JlincEvent,
  type OnwardPayload,
  type OnwardShare,
  type Party,
  type Purpose,
  type SchemaField,
} from '@parley/protocol';
import type { LedgerReceipt } from '@parley/ledger';
import type { AnyKysely } from '@parley/store';
import { heldValues } from '../agreement/data-event.js';
import type { Tenant } from '../agreement/profile.js';
import { agreementById, vendorOf, type AgreementRow, type VendorContext } from '../agreement/vendor.js';
import { HttpProblem } from '../http/problem.js';
import { originOf, OutboundError, request } from '../intent/outbound.js';
import { bisaContext } from './recipient.js';
import {
  bisaRecord,
  bisaRow,
  offeredBisa,
  shareById,
  shareFromRow,
  type BisaRow,
  type OnwardShareView,
} from './store.js';

export interface OnwardOptions {
  /** How long a recipient has to answer one request (ms). Default 5000. */
  timeoutMs?: number;
}

export interface ShareInput {
  agreementId: string;
  recipient: string;
  fields: string[];
  purpose: Purpose;
}

const forbidden = (detail: string, field: string, code: string) =>
  new HttpProblem(403, 'Forbidden', detail, field, code);
const badGateway = (detail: string, code: string) =>
  new HttpProblem(502, 'Bad Gateway', detail, 'recipient', code);

/** Field types that identify a person directly; names (given, family, full) and dates of birth too. */
const IDENTIFYING_TYPES = new Set(['email', 'phone', 'postal-address']);
const CONTACT_TYPES = new Set(['email', 'phone', 'postal-address']);
const IDENTIFYING_NAME = /name$|birth|^dob$/i;

export function directlyIdentifying(field: SchemaField): boolean {
  return IDENTIFYING_TYPES.has(field.type) || IDENTIFYING_NAME.test(field.name);
}

/**
 * Whether the person's agreement lets this share happen: the agreement is active and allows onward sharing, its
 * terms permit third-party sharing (anonymised-only: no directly identifying field), her consent to
 * ThirdPartySharing stands, NoThirdPartyMail keeps contact fields home, DoNotTrack forbids Tracking and
 * Profiling, the onward terms permit the purpose, and every field is one she sent under the agreement.
 * Throws the 403 (or 404, 422) problem naming why.
 */
export async function checkShare(
  ctx: VendorContext,
  tenantId: string,
  input: ShareInput,
): Promise<{ row: AgreementRow; values: Record<string, unknown> }> {
  const row = await agreementById(ctx.db.kysely, tenantId, input.agreementId);
  if (!row)
    throw new HttpProblem(
      404,
      'Not Found',
      `agreementId: no agreement ${input.agreementId}`,
      'agreementId',
      'unknown-agreement',
    );
  if (row.status !== 'active')
    throw forbidden('agreementId: the agreement was terminated', 'agreementId', 'terminated');
  const { agreement, permissions } = row;
  if (!agreement.onwardSharing.allowed)
    throw forbidden(
      'agreementId: the agreement does not allow onward sharing (onwardSharing.allowed is false)',
      'agreementId',
      'onward-sharing-not-allowed',
    );
  const terms = resolveTermsRef(agreement.terms, 'terms');
  const sharing = permits(terms, 'ThirdPartySharing');
  if (sharing === 'no')
    throw forbidden(
      `agreementId: ${terms.code} forbids sharing with third parties`,
      'agreementId',
      'terms-forbid',
    );
  if (permissions.consents.some((c) => c.purpose === 'ThirdPartySharing' && !c.granted))
    throw forbidden(
      'agreementId: the person withdrew her consent to ThirdPartySharing',
      'agreementId',
      'consent-withdrawn',
    );
  if (permissions.policies.includes('DoNotTrack') && ['Tracking', 'Profiling'].includes(input.purpose))
    throw forbidden(
      `purpose: the person's DoNotTrack policy forbids sharing for ${input.purpose}`,
      'purpose',
      'policy',
    );
  const onwardTerms = resolveTermsRef(agreement.onwardSharing.terms ?? agreement.terms, 'terms');
  if (permits(onwardTerms, input.purpose) === 'no')
    throw forbidden(
      `purpose: the onward terms ${onwardTerms.code} do not permit ${input.purpose}`,
      'purpose',
      'purpose',
    );
  const schema = new Map(agreement.schema.fields.map((f) => [f.name, f]));
  input.fields.forEach((name, i) => {
    const field = schema.get(name);
    const at = `fields[${i}]`;
    if (!field)
      throw new HttpProblem(
        422,
        'Unprocessable Entity',
        `${at}: ${name} is not a field of the agreement`,
        at,
        'unknown-field',
      );
    if (sharing === 'anonymised-only' && directlyIdentifying(field))
      throw forbidden(
        `${at}: ${terms.code} allows sharing fully anonymised data only; ${name} identifies the person`,
        at,
        'identifying',
      );
    if (permissions.policies.includes('NoThirdPartyMail') && CONTACT_TYPES.has(field.type))
      throw forbidden(
        `${at}: the person's NoThirdPartyMail policy keeps her contact field ${name} from third parties`,
        at,
        'policy',
      );
  });
  const held = new Map((await heldValues(ctx.db.kysely, tenantId, row.id)).map((h) => [h.field, h.value]));
  const values: Record<string, unknown> = {};
  input.fields.forEach((name, i) => {
    if (!held.has(name))
      throw new HttpProblem(
        422,
        'Unprocessable Entity',
        `fields[${i}]: the person sent no value of ${name} under this agreement`,
        `fields[${i}]`,
        'not-held',
      );
    values[name] = held.get(name);
  });
  return { row, values };
}

/** The recipient's DID, from `GET {recipient}`. */
async function recipientDid(url: string, timeoutMs: number): Promise<string> {
  let status: number;
  let text: string;
  try {
    ({ status, text } = await request('GET', url, undefined, { timeoutMs, maxBytes: 256 * 1024 }));
  } catch (error) {
    throw badGateway(`recipient: ${(error as Error).message}`, 'recipient-unreachable');
  }
  if (status !== 200) throw badGateway(`recipient: ${originOf(url)} answered ${status}`, 'recipient');
  let did: unknown;
  try {
    did = (JSON.parse(text) as { did?: unknown }).did;
  } catch {
    did = undefined;
  }
  if (typeof did !== 'string' || !/^did:jlinc:[A-Za-z0-9_-]{43}$/.test(did))
    throw badGateway(`recipient: ${originOf(url)} names no did:jlinc vendor identity`, 'recipient');
  return did;
}

/** A problem from the other side, as one line naming it. */
function describeAnswer(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { detail?: unknown; code?: unknown };
    if (typeof body.detail === 'string') return `${status}: ${body.detail}`.slice(0, 500);
  } catch {
    // not JSON
  }
  return `answered ${status}`;
}

/** Statuses after which sending the same event again is pointless: the recipient refused it. */
const FINAL = (status: number) => status >= 400 && status < 500 && ![408, 425, 429].includes(status);

/** The BISA this tenant holds with the recipient for these terms, made (offered, accepted) if none. */
async function ensureBisa(
  ctx: VendorContext,
  tenantId: string,
  vendor: Party,
  url: string,
  did: string,
  agreementURI: string,
  timeoutMs: number,
): Promise<BisaRow> {
  const db = ctx.db.kysely;
  const existing = await offeredBisa(db, tenantId, did, agreementURI, url);
  if (existing) return existing;
  const offering = createBisaOffering(vendor, did, agreementURI);
  let answer: { status: number; text: string };
  try {
    answer = await request('POST', `${url}/bisa`, offering, { timeoutMs, maxBytes: 256 * 1024 });
  } catch (error) {
    throw badGateway(`recipient: ${(error as Error).message}`, 'recipient-unreachable');
  }
  if (answer.status !== 201 && answer.status !== 200)
    throw badGateway(
      `recipient: refused the BISA offering (${describeAnswer(answer.status, answer.text)})`,
      'bisa-refused',
    );
  let bisa: object;
  try {
    bisa = JSON.parse(answer.text) as object;
    const v = validateBisa(bisa);
    if (v.jlincId !== offering.id || v.offerorDid !== vendor.did || v.acceptorDid !== did)
      throw new Error('it accepts another offering');
  } catch (error) {
    throw badGateway(`recipient: its BISA does not check: ${(error as Error).message}`, 'bisa-invalid');
  }
  const bisaId = (bisa as { bisaId: string }).bisaId;
  const now = new Date().toISOString();
  await db
    .insertInto('crm_onward_bisas')
    .values({
      tenant_id: tenantId,
      bisa_id: bisaId,
      role: 'offeror',
      offering_id: offering.id,
      offeror_did: vendor.did,
      acceptor_did: did,
      agreement_uri: agreementURI,
      peer_url: url,
      offering: JSON.stringify(offering),
      bisa: JSON.stringify(bisa),
      head_event_id: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await ctx.ledger.append([bisaRecord({ bisaId, offeror: vendor.did, acceptor: did, agreementURI })]);
  const row = await bisaRow(db, tenantId, bisaId);
  if (!row) throw new Error('the BISA just stored is gone');
  return row;
}

async function enqueue(
  tx: AnyKysely,
  tenantId: string,
  bisaId: string,
  payload: OnwardPayload,
  now: string,
): Promise<void> {
  const last = (await tx
    .selectFrom('crm_onward_outbox')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('tenant_id', '=', tenantId)
    .where('bisa_id', '=', bisaId)
    .executeTakeFirst()) as { seq: number | string | null } | undefined;
  await tx
    .insertInto('crm_onward_outbox')
    .values({
      tenant_id: tenantId,
      bisa_id: bisaId,
      seq: Number(last?.seq ?? 0) + 1,
      share_id: payload.shareId,
      kind: payload.type,
      payload: JSON.stringify(payload),
      event: null,
      attempts: 0,
      last_error: null,
      created_at: now,
    })
    .execute();
}

/** What one pass over a BISA's outbox did. */
export interface DeliveryResult {
  /** Share ids whose event was acknowledged, by kind. */
  acknowledged: { shareId: string; kind: string; ledger: LedgerReceipt }[];
  /** The event the recipient refused (it was dropped), with the recipient's reason. */
  refused?: { shareId: string; kind: string; reason: string };
  /** Events still waiting: the recipient did not answer (or answered what does not check). */
  pending: number;
  error?: string;
}

/**
 * Sends a BISA's waiting events in chain order, each signed once (at its first attempt) so a retry sends the
 * same event; stops at the first that gets no acknowledgement. An acknowledged share is recorded (status
 * active, the ack, an `onwardShare` audit record); an acknowledged withdrawal with its checked confirmation
 * marks the share withdrawn (an `onwardWithdrawal` audit record). An event the recipient refuses (4xx) is
 * dropped and the chain's head goes back to the event before it. Callers hold the BISA's lock.
 */
async function deliverOutbox(
  ctx: VendorContext,
  tenantId: string,
  bisaId: string,
  timeoutMs: number,
): Promise<DeliveryResult> {
  const db = ctx.db.kysely;
  const result: DeliveryResult = { acknowledged: [], pending: 0 };
  const bisa = await bisaRow(db, tenantId, bisaId);
  if (!bisa || bisa.role !== 'offeror' || !bisa.peerUrl) return result;
  const url = bisa.peerUrl;
  const vendor = ctx.keys.forTenant(tenantId);
  const context = bisaContext(bisa);
  let head = bisa.headEventId;
  const rows = (await db
    .selectFrom('crm_onward_outbox')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('bisa_id', '=', bisaId)
    .orderBy('seq')
    .execute()) as Record<string, unknown>[];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as Record<string, unknown>;
    const seq = Number(r.seq);
    const payload = JSON.parse(r.payload as string) as OnwardPayload;
    let event: JlincEvent;
    const now = () => new Date().toISOString();
    if (r.event) {
      event = JSON.parse(r.event as string) as JlincEvent;
    } else {
      event = createBisaEvent({ bisaId }, vendor, payload, head);
      const eventId = event.audit.eventId as string;
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('crm_onward_outbox')
          .set({ event: JSON.stringify(event) })
          .where('tenant_id', '=', tenantId)
          .where('bisa_id', '=', bisaId)
          .where('seq', '=', seq)
          .execute();
        await setHead(tx, tenantId, bisaId, eventId);
      });
      head = eventId;
    }
    const eventId = event.audit.eventId as string;
    const fail = async (error: string) => {
      await db
        .updateTable('crm_onward_outbox')
        .set({ attempts: Number(r.attempts) + 1, last_error: error })
        .where('tenant_id', '=', tenantId)
        .where('bisa_id', '=', bisaId)
        .where('seq', '=', seq)
        .execute();
      // Every share waiting behind this event waits for the same reason.
      const waiting = [...new Set(rows.slice(i).map((w) => w.share_id as string))];
      await db
        .updateTable('crm_onward_shares')
        .set({ last_error: error })
        .where('tenant_id', '=', tenantId)
        .where('share_id', 'in', waiting)
        .execute();
      result.pending = rows.length - i;
      result.error = error;
      return result;
    };
    let answer: { status: number; text: string };
    try {
      answer = await request('POST', `${url}/bisa/${encodeURIComponent(bisaId)}/events`, event, {
        timeoutMs,
        maxBytes: 1024 * 1024,
      });
    } catch (error) {
      return fail(error instanceof OutboundError ? error.message : String(error));
    }
    if (FINAL(answer.status)) {
      const reason = describeAnswer(answer.status, answer.text);
      await db.transaction().execute(async (tx) => {
        await tx
          .deleteFrom('crm_onward_outbox')
          .where('tenant_id', '=', tenantId)
          .where('bisa_id', '=', bisaId)
          .where('seq', '=', seq)
          .execute();
        await setHead(tx, tenantId, bisaId, event.audit.previousId ?? null);
        if (payload.type === 'OnwardShare') {
          // The recipient holds nothing of it: a withdrawal queued after it has nothing to withdraw.
          await tx
            .deleteFrom('crm_onward_outbox')
            .where('tenant_id', '=', tenantId)
            .where('bisa_id', '=', bisaId)
            .where('share_id', '=', payload.shareId)
            .execute();
          await tx
            .updateTable('crm_onward_shares')
            .set({
              status: 'withdrawn',
              withdrawal_confirmed_at: now(),
              last_error: `the recipient refused the share (${reason}): it holds nothing`,
            })
            .where('tenant_id', '=', tenantId)
            .where('share_id', '=', payload.shareId)
            .where('status', '=', 'withdrawal-pending')
            .execute();
        } else {
          await tx
            .updateTable('crm_onward_shares')
            .set({ last_error: `the recipient refused the withdrawal (${reason})` })
            .where('tenant_id', '=', tenantId)
            .where('share_id', '=', payload.shareId)
            .execute();
        }
      });
      result.refused = { shareId: payload.shareId, kind: payload.type, reason };
      result.pending = rows.length - i - 1;
      // Later events were signed (if at all) after the dropped one: sign them again.
      await db
        .updateTable('crm_onward_outbox')
        .set({ event: null })
        .where('tenant_id', '=', tenantId)
        .where('bisa_id', '=', bisaId)
        .where('seq', '>', seq)
        .execute();
      return result;
    }
    if (answer.status < 200 || answer.status >= 300)
      return fail(`${originOf(url)} ${describeAnswer(answer.status, answer.text)}`);
    let body: { acknowledged?: unknown; confirmation?: unknown };
    let confirmation: { removed: number } | undefined;
    try {
      body = JSON.parse(answer.text) as typeof body;
      const ack = validateAcknowledgedBisaEvent(body.acknowledged, { bisa: context, knownEvent: event });
      if (ack.acknowledgerDid !== bisa.acceptorDid) throw new Error('acknowledged by another party');
      if (payload.type === 'OnwardWithdrawal')
        confirmation = verifyOnwardWithdrawalConfirmation(body.confirmation, {
          bisaId,
          shareId: payload.shareId,
          eventId,
          recipientDid: bisa.acceptorDid,
        });
    } catch (error) {
      const why = error instanceof ProtocolError || error instanceof Error ? error.message : String(error);
      return fail(`${originOf(url)}: the acknowledgement does not check: ${why}`);
    }
    const share = await shareById(db, tenantId, payload.shareId);
    const agreementId = (share?.agreement_id as string | undefined) ?? '';
    const record =
      payload.type === 'OnwardShare'
        ? onwardShareRecord(payload, agreementId, bisa, eventId)
        : {
            type: 'onwardWithdrawal',
            agreementId,
            shareId: payload.shareId,
            bisaId,
            sharer: bisa.offerorDid,
            recipient: bisa.acceptorDid,
            eventId,
            confirmationSha256: sha256Hex(JSON.stringify(body.confirmation)),
            removed: confirmation?.removed ?? 0,
          };
    const ledger = await ctx.ledger.append([record]);
    const at = now();
    await db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom('crm_onward_outbox')
        .where('tenant_id', '=', tenantId)
        .where('bisa_id', '=', bisaId)
        .where('seq', '=', seq)
        .execute();
      if (payload.type === 'OnwardShare') {
        await tx
          .updateTable('crm_onward_shares')
          .set({ ack: JSON.stringify(body.acknowledged), ledger_index: ledger.index, last_error: null })
          .where('tenant_id', '=', tenantId)
          .where('share_id', '=', payload.shareId)
          .execute();
        await tx
          .updateTable('crm_onward_shares')
          .set({ status: 'active' })
          .where('tenant_id', '=', tenantId)
          .where('share_id', '=', payload.shareId)
          .where('status', '=', 'sending')
          .execute();
      } else {
        await tx
          .updateTable('crm_onward_shares')
          .set({
            status: 'withdrawn',
            withdrawal_confirmed_at: at,
            withdrawal_ack: JSON.stringify(body.acknowledged),
            confirmation: JSON.stringify(body.confirmation),
            withdrawal_ledger_index: ledger.index,
            last_error: null,
          })
          .where('tenant_id', '=', tenantId)
          .where('share_id', '=', payload.shareId)
          .execute();
      }
    });
    result.acknowledged.push({ shareId: payload.shareId, kind: payload.type, ledger });
  }
  return result;
}

async function setHead(tx: AnyKysely, tenantId: string, bisaId: string, head: string | null) {
  await tx
    .updateTable('crm_onward_bisas')
    .set({ head_event_id: head, updated_at: new Date().toISOString() })
    .where('tenant_id', '=', tenantId)
    .where('bisa_id', '=', bisaId)
    .execute();
}

/** The audit record of an onward share: ids, DIDs, the terms and a hash of the field names (never values). */
function onwardShareRecord(payload: OnwardShare, agreementId: string, bisa: BisaRow, eventId: string) {
  return {
    type: 'onwardShare',
    agreementId,
    shareId: payload.shareId,
    bisaId: bisa.bisaId,
    sharer: bisa.offerorDid,
    recipient: bisa.acceptorDid,
    terms: payload.terms.id,
    fieldsSha256: sha256Hex(JSON.stringify(Object.keys(payload.fields).sort())),
    eventId,
  };
}

const bisaLock = (tenantId: string, bisaId: string) => `onward-out:${tenantId}:${bisaId}`;

/**
 * `POST /crm/v1/onwardShares`: checks the share against the person's agreement (checkShare), finds the
 * recipient's DID (`GET {recipient}`), reuses or makes a BISA with it for the onward terms, sends the
 * OnwardShare and checks the acknowledgement. A share the recipient never acknowledged is withdrawn at once
 * (queued: the recipient may have it) and reported 502.
 */
export async function createShare(
  ctx: VendorContext,
  tenant: Tenant,
  input: ShareInput,
  options: OnwardOptions = {},
): Promise<{ share: OnwardShareView; ledger: LedgerReceipt }> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const { row, values } = await checkShare(ctx, tenant.id, input);
  const url = input.recipient.replace(/\/+$/, '');
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    if (parsed.username || parsed.password) throw new Error('credentials');
  } catch {
    throw new HttpProblem(
      400,
      'Bad Request',
      'recipient: expected the http(s) URL of a vendor endpoint, without credentials',
      'recipient',
    );
  }
  const vendor = vendorOf(ctx, tenant);
  const did = await recipientDid(url, timeoutMs);
  if (did === vendor.did)
    throw new HttpProblem(
      422,
      'Unprocessable Entity',
      'recipient: is this vendor itself',
      'recipient',
      'same-party',
    );
  const agreement = row.agreement;
  const onwardTerms = agreement.onwardSharing.terms ?? agreement.terms;
  const bisa = await ctx.lock.run(`onward-peer:${tenant.id}:${url}`, () =>
    ensureBisa(ctx, tenant.id, vendor, url, did, onwardTerms.uri, timeoutMs),
  );
  return ctx.lock.run(bisaLock(tenant.id, bisa.bisaId), async () => {
    const db = ctx.db.kysely;
    const before = await deliverOutbox(ctx, tenant.id, bisa.bisaId, timeoutMs);
    if (before.pending > 0)
      throw badGateway(
        `recipient: earlier events wait for it (${before.error ?? 'no answer'}); try again later`,
        'recipient-unreachable',
      );
    const shareId = `urn:uuid:${randomUUID()}`;
    const payload: OnwardShare = {
      type: 'OnwardShare',
      shareId,
      agreementId: agreement.id,
      terms: termsRef(resolveTermsRef(onwardTerms, 'onwardSharing.terms')),
      purposes: [input.purpose],
      retentionDays: agreement.retentionDays,
      fields: values,
    };
    const now = new Date().toISOString();
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('crm_onward_shares')
        .values({
          tenant_id: tenant.id,
          share_id: shareId,
          agreement_id: agreement.id,
          party_id: row.partyId,
          recipient_url: url,
          recipient_did: did,
          bisa_id: bisa.bisaId,
          fields: JSON.stringify(input.fields),
          purpose: input.purpose,
          status: 'sending',
          shared_at: now,
          ack: null,
          ledger_index: null,
          withdrawal_reason: null,
          withdrawn_at: null,
          withdrawal_confirmed_at: null,
          withdrawal_ack: null,
          confirmation: null,
          withdrawal_ledger_index: null,
          last_error: null,
        })
        .execute();
      await enqueue(tx, tenant.id, bisa.bisaId, payload, now);
    });
    const result = await deliverOutbox(ctx, tenant.id, bisa.bisaId, timeoutMs);
    const done = result.acknowledged.find((a) => a.shareId === shareId);
    if (done) {
      const stored = await shareById(db, tenant.id, shareId);
      if (!stored) throw new Error('the share just stored is gone');
      return { share: shareFromRow(stored), ledger: done.ledger };
    }
    if (result.refused?.shareId === shareId) {
      await db
        .deleteFrom('crm_onward_shares')
        .where('tenant_id', '=', tenant.id)
        .where('share_id', '=', shareId)
        .execute();
      throw badGateway(`recipient: refused the share (${result.refused.reason})`, 'share-refused');
    }
    // No acknowledgement: the recipient may hold it. Withdraw it as soon as it answers again.
    await queueWithdrawal(db, tenant.id, shareId, bisa.bisaId, 'The share was not acknowledged');
    throw badGateway(
      `recipient: did not acknowledge the share (${result.error ?? 'no answer'}); it will be withdrawn ` +
        `when the recipient answers again (share ${shareId})`,
      'recipient-unreachable',
    );
  });
}

async function queueWithdrawal(
  db: AnyKysely,
  tenantId: string,
  shareId: string,
  bisaId: string,
  reason: string,
): Promise<void> {
  const now = new Date().toISOString();
  await db.transaction().execute(async (tx) => {
    const moved = await tx
      .updateTable('crm_onward_shares')
      .set({ status: 'withdrawal-pending', withdrawal_reason: reason, withdrawn_at: now })
      .where('tenant_id', '=', tenantId)
      .where('share_id', '=', shareId)
      .where('status', 'in', ['active', 'sending'])
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return;
    const payload: OnwardPayload = { type: 'OnwardWithdrawal', shareId, reason: reason.slice(0, 500) };
    await enqueue(tx, tenantId, bisaId, payload, now);
  });
}

/** What a withdrawal did to each share: `withdrawn` (confirmed) or `withdrawal-pending`. */
export interface WithdrawalOutcome {
  shareId: string;
  status: string;
  error?: string;
}

/**
 * Withdraws the given shares (each queued: status `withdrawal-pending`, an OnwardWithdrawal in its BISA's
 * outbox) and sends the withdrawals now; shares whose recipient does not answer stay pending for the retry job.
 */
async function withdrawShares(
  ctx: VendorContext,
  tenantId: string,
  shares: { share_id: string; bisa_id: string }[],
  reason: string,
  timeoutMs: number,
): Promise<WithdrawalOutcome[]> {
  const db = ctx.db.kysely;
  const bisas = new Set<string>();
  for (const s of shares) {
    await ctx.lock.run(bisaLock(tenantId, s.bisa_id), () =>
      queueWithdrawal(db, tenantId, s.share_id, s.bisa_id, reason),
    );
    bisas.add(s.bisa_id);
  }
  await Promise.all(
    [...bisas].map((bisaId) =>
      ctx.lock.run(bisaLock(tenantId, bisaId), () => deliverOutbox(ctx, tenantId, bisaId, timeoutMs)),
    ),
  );
  const outcomes: WithdrawalOutcome[] = [];
  for (const s of shares) {
    const row = await shareById(db, tenantId, s.share_id);
    outcomes.push({
      shareId: s.share_id,
      status: (row?.status as string | undefined) ?? 'unknown',
      ...(row?.last_error ? { error: row.last_error as string } : {}),
    });
  }
  return outcomes;
}

/**
 * Withdrawal propagation: every active share of the agreement gets an OnwardWithdrawal; each acknowledged
 * withdrawal (with the recipient's signed confirmation, counts only) marks its share withdrawn and is logged
 * (`onwardWithdrawal`); a recipient that does not answer leaves its share `withdrawal-pending`, retried by
 * retryOnwardWithdrawals.
 */
export async function withdrawOnwardShares(
  ctx: VendorContext,
  tenant: Tenant | string,
  agreementId: string,
  reason: string,
  options: OnwardOptions = {},
): Promise<WithdrawalOutcome[]> {
  const tenantId = typeof tenant === 'string' ? tenant : tenant.id;
  const shares = (await ctx.db.kysely
    .selectFrom('crm_onward_shares')
    .select(['share_id', 'bisa_id'])
    .where('tenant_id', '=', tenantId)
    .where('agreement_id', '=', agreementId)
    .where('status', 'in', ['active', 'sending', 'withdrawal-pending'])
    .orderBy('shared_at')
    .execute()) as { share_id: string; bisa_id: string }[];
  return withdrawShares(ctx, tenantId, shares, reason, options.timeoutMs ?? 5000);
}

/** `POST /crm/v1/onwardShares/{shareId}/withdrawal`: one share withdrawn by staff. */
export async function withdrawShare(
  ctx: VendorContext,
  tenantId: string,
  shareId: string,
  reason: string,
  options: OnwardOptions = {},
): Promise<OnwardShareView> {
  const db = ctx.db.kysely;
  const row = await shareById(db, tenantId, shareId);
  if (!row)
    throw new HttpProblem(
      404,
      'Not Found',
      `shareId: no onward share ${shareId}`,
      'shareId',
      'unknown-share',
    );
  if (row.status !== 'withdrawn')
    await withdrawShares(
      ctx,
      tenantId,
      [{ share_id: shareId, bisa_id: row.bisa_id as string }],
      reason,
      options.timeoutMs ?? 5000,
    );
  const after = await shareById(db, tenantId, shareId);
  return shareFromRow(after ?? row);
}

/**
 * The periodic job: shares left `withdrawal-pending` get their withdrawal queued again if it was dropped, and
 * every BISA with waiting events is delivered again. Returns how many shares are still pending.
 */
export async function retryOnwardWithdrawals(ctx: VendorContext, options: OnwardOptions = {}) {
  const db = ctx.db.kysely;
  const timeoutMs = options.timeoutMs ?? 5000;
  const pending = (await db
    .selectFrom('crm_onward_shares')
    .select(['tenant_id', 'share_id', 'bisa_id', 'withdrawal_reason'])
    .where('status', '=', 'withdrawal-pending')
    .execute()) as {
    tenant_id: string;
    share_id: string;
    bisa_id: string;
    withdrawal_reason: string | null;
  }[];
  for (const s of pending) {
    await ctx.lock.run(bisaLock(s.tenant_id, s.bisa_id), async () => {
      const queued = await db
        .selectFrom('crm_onward_outbox')
        .select('seq')
        .where('tenant_id', '=', s.tenant_id)
        .where('bisa_id', '=', s.bisa_id)
        .where('share_id', '=', s.share_id)
        .where('kind', '=', 'OnwardWithdrawal')
        .executeTakeFirst();
      if (queued) return;
      const payload: OnwardPayload = {
        type: 'OnwardWithdrawal',
        shareId: s.share_id,
        reason: (s.withdrawal_reason ?? 'Withdrawn').slice(0, 500),
      };
      await db
        .transaction()
        .execute((tx) => enqueue(tx, s.tenant_id, s.bisa_id, payload, new Date().toISOString()));
    });
  }
  const waiting = (await db
    .selectFrom('crm_onward_outbox')
    .select(['tenant_id', 'bisa_id'])
    .distinct()
    .execute()) as { tenant_id: string; bisa_id: string }[];
  for (const w of waiting)
    await ctx.lock.run(bisaLock(w.tenant_id, w.bisa_id), () =>
      deliverOutbox(ctx, w.tenant_id, w.bisa_id, timeoutMs),
    );
  const left = (await db
    .selectFrom('crm_onward_shares')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', 'withdrawal-pending')
    .executeTakeFirst()) as { n: number | string } | undefined;
  return { pending: Number(left?.n ?? 0) };
}

/** `GET /crm/v1/onwardShares?agreementId=`. */
export async function listShares(ctx: VendorContext, tenantId: string, agreementId?: string) {
  let q = ctx.db.kysely.selectFrom('crm_onward_shares').selectAll().where('tenant_id', '=', tenantId);
  if (agreementId) q = q.where('agreement_id', '=', agreementId);
  const rows = (await q.orderBy('shared_at').orderBy('share_id').execute()) as Record<string, unknown>[];
  return rows.map(shareFromRow);
}

export const SHARE_PURPOSES = PURPOSES;
