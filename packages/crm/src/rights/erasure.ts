import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { LedgerReceipt } from '@parley/ledger';
import { canonicalize, sha256Hex } from '@parley/protocol';
import type { AnyKysely, Database } from '@parley/store';
import { ACCOUNT_MEMBER, BILLING_ACCOUNT } from '../account/account.js';
import { parseDoc, updateResource, type Doc } from '../agreement/records.js';
import { SALES_LEAD } from '../intent/sales-lead.js';
import { PARTY_INTERACTION } from '../interaction/interaction.js';
import { INDIVIDUAL } from '../party/party.js';
import { SERVICE } from '../service/service.js';
import { TROUBLE_TICKET } from '../ticket/ticket.js';
import type { ResourceEventSink, ResourceSpec } from '../tmf/resource.js';

/** What erasure needs of the server. */
export interface RightsContext {
  db: Database;
  /** The vendor's ledger: an `erasure` audit record (hashes and counts, never personal data) per erasure. */
  ledger: { append(records: readonly [object, ...object[]]): Promise<LedgerReceipt> };
  /** The hub's sink: the records erasure changes notify subscribers (with their anonymised documents). */
  events?: ResourceEventSink;
  /** Forgets cached API keys, so that the revoked self-care keys stop at once. */
  forgetKeys?: () => void;
  /**
   * Told, after the commit, of the agreements the erasure terminated (as a termination by her agent tells
   * VendorContext.afterAgreementChange): their onward shares are withdrawn from the recipients.
   */
  afterTermination?: (tenantId: string, agreementIds: string[]) => Promise<void>;
}

export interface ErasureReport {
  id: string;
  partyId: string;
  erasedAt: string;
  reason: string;
  /** What was deleted, or whose personal content was blanked. */
  removed: { what: string; count: number }[];
  /** Records the law requires to be kept: kept, linked to the person only by a pseudonym. */
  kept: { what: string; count: number; why: string; anonymisedAs: string }[];
  /** The receipt of the `erasure` record in the vendor's ledger. */
  ledger?: LedgerReceipt;
}

/** The text that replaces free text about an erased person. */
export const ERASED = '[erased]';

/** Legal grounds of what is kept (docs/crm.md, "Rights of the person"). */
export const RETENTION_GROUNDS = {
  billing:
    'billing records kept 10 years for tax law (retention obligation, e.g. §147 AO, §257 HGB; GDPR Art. 17(3)(b)), ' +
    "linked only to a pseudonym; the holder's name removed",
  usage:
    'usage records (CDRs) are the basis of bills: kept with the billing records for tax law and for bill disputes ' +
    '(GDPR Art. 17(3)(b) and (e)), linked only to a pseudonym',
  contract:
    'the services and memberships of the accounts kept are part of the billing records (what was billed to whom), ' +
    'linked only to a pseudonym',
  quality:
    'service quality measurements and SLA violations are the basis of SLA credits on bills, linked only to a pseudonym',
  tickets:
    'the service history is kept for complaint statistics and SLA accountability (legitimate interest, GDPR Art. ' +
    '6(1)(f)); every free text erased, linked only to a pseudonym',
  agreements:
    'signed agreements are the proof of consent and of its end (GDPR Art. 7(1)); the values they carried are ' +
    "deleted; they name only the person's pairwise identity, and the party only as a pseudonym",
  leads: 'sales leads are records of concluded agreements (contract law), linked only to a pseudonym',
  accountability:
    "the vendor's records that it obeyed the terms (retention purges, data-use decisions, onward shares: GDPR " +
    'Art. 5(2) accountability) hold field names and decisions, never values; linked only to a pseudonym',
} as const;

/** Compliance records that name a party by `party_id` (names and decisions, never values). */
const ACCOUNTABILITY_TABLES = ['crm_retention_purges', 'crm_data_use_members', 'crm_onward_shares'];

/** The party is erased already: its stored report. */
export class AlreadyErased extends Error {
  readonly report: ErasureReport;
  constructor(report: ErasureReport) {
    super(`party ${report.partyId} was erased at ${report.erasedAt}`);
    this.report = report;
  }
}

/** The tenant's secret pseudonym salt, made at its first erasure. */
async function saltOf(tx: AnyKysely, tenantId: string, now: string): Promise<string> {
  await tx
    .insertInto('crm_erasure_salts')
    .values({ tenant_id: tenantId, salt: randomBytes(32).toString('base64'), created_at: now })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  const row = (await tx
    .selectFrom('crm_erasure_salts')
    .select('salt')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow()) as { salt: string };
  return row.salt;
}

/** `erased:` and the HMAC-SHA256 of the party id under the tenant's salt (128 bits, hex). */
export const pseudonymOf = (salt: string, partyId: string) =>
  `erased:${createHmac('sha256', salt).update(partyId).digest('hex').slice(0, 32)}`;

/**
 * A copy of `value` with every mention of the party replaced by the pseudonym: strings that hold its id, and
 * the `name` of a reference to it (e.g. an account's `relatedParty` `{id, name: 'Ada Example'}`, where TMF666
 * requires a name).
 */
export function pseudonymise(value: unknown, partyId: string, pseudonym: string): unknown {
  if (typeof value === 'string')
    return value.includes(partyId) ? value.split(partyId).join(pseudonym) : value;
  if (Array.isArray(value)) return value.map((v) => pseudonymise(v, partyId, pseudonym));
  if (value && typeof value === 'object') {
    const ref = (value as Doc).id === partyId;
    const out: Doc = {};
    for (const [k, v] of Object.entries(value as Doc)) {
      if (ref && k === 'name') out[k] = pseudonym;
      else out[k] = pseudonymise(v, partyId, pseudonym);
    }
    return out;
  }
  return value;
}

/** A ticket's or interaction's free text replaced by ERASED; attachments removed. */
function eraseText(doc: Doc): Doc {
  const out: Doc = { ...doc };
  for (const field of ['name', 'description', 'statusChangeReason'])
    if (typeof out[field] === 'string') out[field] = ERASED;
  if (Array.isArray(out.note))
    out.note = (out.note as Doc[]).map((n) => (typeof n.text === 'string' ? { ...n, text: ERASED } : n));
  delete out.attachment;
  return out;
}

/** The individual with nothing personal left: blank names, no media, characteristics or identifiers. */
function blankIndividual(before: Doc, erasureId: string, erasedAt: string): Doc {
  return {
    '@type': before['@type'] ?? 'Individual',
    givenName: '',
    familyName: '',
    ...(typeof before.status === 'string' ? { status: before.status } : {}),
    partyCharacteristic: [{ name: 'parleyErasure', valueType: 'object', value: { erasureId, erasedAt } }],
  };
}

const count = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined) =>
  Number(result?.numUpdatedRows ?? result?.numDeletedRows ?? 0);

/** The stored report of the party's erasure, if it was erased. */
export async function storedErasure(
  db: AnyKysely,
  tenantId: string,
  partyId: string,
): Promise<ErasureReport | undefined> {
  const row = (await db
    .selectFrom('crm_erasures')
    .select(['report', 'ledger'])
    .where('tenant_id', '=', tenantId)
    .where('party_id', '=', partyId)
    .executeTakeFirst()) as { report: string; ledger: string | null } | undefined;
  if (!row) return undefined;
  const report = JSON.parse(row.report) as ErasureReport;
  return row.ledger ? { ...report, ledger: JSON.parse(row.ledger) as LedgerReceipt } : report;
}

/** The audit record of an erasure: the tenant, hashes and counts, never personal data. */
export function erasureRecord(tenantId: string, report: ErasureReport) {
  const { ledger: _receipt, ...body } = report;
  return {
    type: 'erasure',
    tenant: tenantId,
    erasureId: report.id,
    partyHash: sha256Hex(report.partyId),
    reportSha256: sha256Hex(canonicalize(body)),
    counts: {
      removed: report.removed.map((r) => r.count),
      kept: report.kept.map((k) => k.count),
    },
  };
}

/** Logs the erasure in the ledger and stores the receipt with the report. */
async function logErasure(ctx: RightsContext, tenantId: string, report: ErasureReport) {
  const receipt = await ctx.ledger.append([erasureRecord(tenantId, report)]);
  await ctx.db.kysely
    .updateTable('crm_erasures')
    .set({ ledger: JSON.stringify(receipt) })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', report.id)
    .execute();
  return { ...report, ledger: receipt };
}

/** Rewrites each record of `spec` linked to the party by `column` (a handful per person), as its PATCH does. */
async function rewrite(
  tx: AnyKysely,
  ctx: RightsContext,
  spec: ResourceSpec,
  tenantId: string,
  column: string,
  partyId: string,
  now: string,
  change: (doc: Doc) => Doc,
): Promise<number> {
  let q = tx
    .selectFrom(spec.table)
    .select(['id', 'doc'])
    .where('tenant_id', '=', tenantId)
    .where(column, '=', partyId);
  for (const [c, v] of Object.entries(spec.scope ?? {})) q = q.where(c, '=', v);
  const rows = (await q.execute()) as { id: string; doc: unknown }[];
  for (const row of rows) {
    const before = parseDoc(row.doc);
    await updateResource(tx, spec, tenantId, row.id, before, change(before), now, ctx.events);
  }
  return rows.length;
}

/** Replaces the party id in a bulk table's column and documents (QoE, SLA violations), in one statement. */
async function replaceInTable(
  tx: AnyKysely,
  postgres: boolean,
  table: string,
  tenantId: string,
  partyId: string,
  pseudonym: string,
): Promise<number> {
  const doc = postgres
    ? sql`replace(doc::text, ${partyId}, ${pseudonym})::jsonb`
    : sql`replace(doc, ${partyId}, ${pseudonym})`;
  const result = await tx
    .updateTable(table)
    .set({ party_id: pseudonym, doc })
    .where('tenant_id', '=', tenantId)
    .where('party_id', '=', partyId)
    .executeTakeFirst();
  return count(result);
}

/**
 * Usage records: those stored as columns only (ingested in bulk) in one statement; those with a document
 * (posted through TMF635, which may name her) rewritten a page at a time.
 */
async function anonymiseUsage(
  tx: AnyKysely,
  tenantId: string,
  partyId: string,
  pseudonym: string,
): Promise<number> {
  let n = count(
    await tx
      .updateTable('crm_usage')
      .set({ party_id: pseudonym })
      .where('tenant_id', '=', tenantId)
      .where('party_id', '=', partyId)
      .where('doc', 'is', null)
      .executeTakeFirst(),
  );
  for (;;) {
    const rows = (await tx
      .selectFrom('crm_usage')
      .select(['id', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('party_id', '=', partyId)
      .orderBy('id')
      .limit(1000)
      .execute()) as { id: number | string; doc: unknown }[];
    for (const row of rows) {
      const doc = pseudonymise(parseDoc(row.doc), partyId, pseudonym);
      await tx
        .updateTable('crm_usage')
        .set({ party_id: pseudonym, doc: JSON.stringify(doc) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', row.id)
        .execute();
    }
    n += rows.length;
    if (rows.length < 1000) return n;
  }
}

/**
 * Erases an individual (GDPR Art. 17) in one transaction: her names, contact media and characteristics are
 * blanked, her agreements' values deleted and active agreements terminated, her self-care keys revoked, her
 * customer records and invitations deleted, the free text of tickets and interactions about her erased; records
 * the law requires to be kept (billing accounts, usage, the services and memberships billed, QoE, tickets,
 * signed agreements, sales leads) stay, linked to her only by a pseudonym. The report is stored, then logged in
 * the vendor's ledger. An individual erased already gets AlreadyErased with the stored report.
 */
export async function eraseIndividual(
  ctx: RightsContext,
  tenantId: string,
  partyId: string,
  options: { reason: string; requestedBy: string; now?: Date },
): Promise<ErasureReport | undefined> {
  const stored = await storedErasure(ctx.db.kysely, tenantId, partyId);
  if (stored) throw new AlreadyErased(stored.ledger ? stored : await logErasure(ctx, tenantId, stored));
  const erasedAt = (options.now ?? new Date()).toISOString();
  const id = randomUUID();
  const postgres = ctx.db.kind === 'postgres';
  let report: ErasureReport | undefined;
  let terminatedIds: string[] = [];
  try {
    report = await ctx.db.kysely.transaction().execute(async (tx) => {
      const party = (await tx
        .selectFrom('crm_parties')
        .select(['doc'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', partyId)
        .where('kind', '=', 'Individual')
        .executeTakeFirst()) as { doc: unknown } | undefined;
      if (!party) return undefined;
      const pseudonym = pseudonymOf(await saltOf(tx, tenantId, erasedAt), partyId);
      const removed: ErasureReport['removed'] = [];
      const kept: ErasureReport['kept'] = [];
      const keep = (what: string, n: number, why: string) =>
        kept.push({ what, count: n, why, anonymisedAs: pseudonym });
      const anonymise = (doc: Doc) => pseudonymise(doc, partyId, pseudonym) as Doc;

      // Notifications not yet delivered, or kept after delivery, that carry her data (before the changes
      // below add theirs, which carry the anonymised documents).
      const like = `%${partyId}%`;
      const deliveries = count(
        await tx
          .deleteFrom('crm_hub_deliveries')
          .where('tenant_id', '=', tenantId)
          .where('event', 'like', like)
          .executeTakeFirst(),
      );

      // The individual.
      const before = parseDoc(party.doc);
      const fields = Object.keys(before).filter((k) => !['@type', 'status'].includes(k)).length;
      await updateResource(
        tx,
        INDIVIDUAL,
        tenantId,
        partyId,
        before,
        blankIndividual(before, id, erasedAt),
        erasedAt,
        ctx.events,
      );
      removed.push({
        what: 'personal attributes of the individual (names, contact media, characteristics, identifiers)',
        count: fields,
      });

      // Agreements: values deleted, answers carrying data dropped, active ones terminated, party pseudonymised.
      const agreements = (await tx
        .selectFrom('crm_agreements')
        .select(['id', 'status'])
        .where('tenant_id', '=', tenantId)
        .where('party_id', '=', partyId)
        .execute()) as { id: string; status: string }[];
      const agreementIds = agreements.map((a) => a.id);
      let values = 0;
      let answers = 0;
      if (agreementIds.length > 0) {
        values = count(
          await tx
            .deleteFrom('crm_agreement_data')
            .where('tenant_id', '=', tenantId)
            .where('agreement_id', 'in', agreementIds)
            .executeTakeFirst(),
        );
        answers = count(
          await tx
            .updateTable('crm_agreement_events')
            .set({ response: null })
            .where('tenant_id', '=', tenantId)
            .where('agreement_id', 'in', agreementIds)
            .where('response', 'is not', null)
            .executeTakeFirst(),
        );
        await tx
          .updateTable('crm_agreements')
          .set({ status: 'terminated', terminated_at: erasedAt, updated_at: erasedAt })
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', agreementIds)
          .where('status', '=', 'active')
          .execute();
        await tx
          .updateTable('crm_agreements')
          .set({ party_id: pseudonym, updated_at: erasedAt })
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', agreementIds)
          .execute();
      }
      removed.push({ what: 'values received under her agreements', count: values });
      removed.push({ what: 'stored answers to her agents carrying her data', count: answers });
      const terminated = agreements.filter((a) => a.status === 'active').map((a) => a.id);
      removed.push({ what: 'active agreements terminated', count: terminated.length });
      const shares =
        agreementIds.length === 0
          ? 0
          : Number(
              (
                (await tx
                  .selectFrom('crm_onward_shares')
                  .select((eb) => eb.fn.countAll().as('n'))
                  .where('tenant_id', '=', tenantId)
                  .where('agreement_id', 'in', agreementIds)
                  .where('status', '=', 'active')
                  .executeTakeFirst()) as { n: number | string }
              ).n,
            );
      removed.push({ what: 'onward shares of her data (withdrawn from their recipients)', count: shares });
      terminatedIds = terminated;
      removed.push({
        what: 'agreement invitations',
        count: count(
          await tx
            .deleteFrom('crm_agreement_invitations')
            .where('tenant_id', '=', tenantId)
            .where('party_id', '=', partyId)
            .executeTakeFirst(),
        ),
      });
      removed.push({
        what: 'self-care API keys (revoked)',
        count: count(
          await tx
            .deleteFrom('crm_api_keys')
            .where('tenant_id', '=', tenantId)
            .where('party_id', '=', partyId)
            .executeTakeFirst(),
        ),
      });
      removed.push({
        what: 'customer records (TMF629)',
        count: count(
          await tx
            .deleteFrom('crm_customers')
            .where('tenant_id', '=', tenantId)
            .where('engaged_party_id', '=', partyId)
            .executeTakeFirst(),
        ),
      });
      removed.push({ what: 'event notifications carrying her data (hub outbox)', count: deliveries });

      // Tickets and interactions: free text erased, the party pseudonymised.
      const tickets = await rewrite(tx, ctx, TROUBLE_TICKET, tenantId, 'party_id', partyId, erasedAt, (d) =>
        anonymise(eraseText(d)),
      );
      const interactions = await rewrite(
        tx,
        ctx,
        PARTY_INTERACTION,
        tenantId,
        'party_id',
        partyId,
        erasedAt,
        (d) => anonymise(eraseText(d)),
      );
      removed.push({ what: 'free text of trouble tickets about her', count: tickets });
      removed.push({ what: 'free text of party interactions with her', count: interactions });
      // Channel messages (channels/): their text, sender and reply address erased, the party pseudonymised.
      const messages = count(
        await tx
          .updateTable('crm_channel_messages')
          .set({ body: ERASED, subject: null, sender: null, detail: null, party_id: pseudonym })
          .where('tenant_id', '=', tenantId)
          .where('party_id', '=', partyId)
          .executeTakeFirst(),
      );
      await tx
        .updateTable('crm_ticket_desk')
        .set({ reply_to: null, party_id: pseudonym, updated_at: erasedAt })
        .where('tenant_id', '=', tenantId)
        .where('party_id', '=', partyId)
        .execute();
      removed.push({ what: 'channel messages with her (text and addresses)', count: messages });

      // Records kept by law, anonymised.
      const accounts = await rewrite(
        tx,
        ctx,
        BILLING_ACCOUNT,
        tenantId,
        'holder_party_id',
        partyId,
        erasedAt,
        (d) => ({ ...anonymise(d), name: ERASED }),
      );
      keep('billing accounts she holds', accounts, RETENTION_GROUNDS.billing);
      keep(
        'usage records (CDRs)',
        await anonymiseUsage(tx, tenantId, partyId, pseudonym),
        RETENTION_GROUNDS.usage,
      );
      const members = await rewrite(
        tx,
        ctx,
        ACCOUNT_MEMBER,
        tenantId,
        'party_id',
        partyId,
        erasedAt,
        anonymise,
      );
      const services = await rewrite(
        tx,
        ctx,
        SERVICE,
        tenantId,
        'user_party_id',
        partyId,
        erasedAt,
        anonymise,
      );
      keep('account memberships and services she used', members + services, RETENTION_GROUNDS.contract);
      const quality =
        (await replaceInTable(tx, postgres, 'crm_qoe_measurements', tenantId, partyId, pseudonym)) +
        (await replaceInTable(tx, postgres, 'crm_sla_violations', tenantId, partyId, pseudonym));
      keep('QoE measurements and SLA violations', quality, RETENTION_GROUNDS.quality);
      keep('trouble tickets and party interactions', tickets + interactions, RETENTION_GROUNDS.tickets);
      keep('signed agreements', agreements.length, RETENTION_GROUNDS.agreements);
      const leads = await rewrite(tx, ctx, SALES_LEAD, tenantId, 'party_id', partyId, erasedAt, anonymise);
      keep('sales leads', leads, RETENTION_GROUNDS.leads);
      let accountability = 0;
      for (const table of ACCOUNTABILITY_TABLES) {
        accountability += count(
          await tx
            .updateTable(table)
            .set({ party_id: pseudonym })
            .where('tenant_id', '=', tenantId)
            .where('party_id', '=', partyId)
            .executeTakeFirst(),
        );
      }
      keep('compliance records naming her', accountability, RETENTION_GROUNDS.accountability);

      const made: ErasureReport = { id, partyId, erasedAt, reason: options.reason, removed, kept };
      const { reportSha256 } = erasureRecord(tenantId, made);
      await tx
        .insertInto('crm_erasures')
        .values({
          tenant_id: tenantId,
          id,
          party_id: partyId,
          erased_at: erasedAt,
          reason: options.reason,
          requested_by: options.requestedBy,
          report: JSON.stringify(made),
          report_sha256: reportSha256,
          ledger: null,
        })
        .execute();
      return made;
    });
  } catch (error) {
    // Erased meanwhile by a concurrent request (the unique index refused the second report).
    const now = await storedErasure(ctx.db.kysely, tenantId, partyId);
    if (now) throw new AlreadyErased(now);
    throw error;
  }
  if (!report) return undefined;
  ctx.forgetKeys?.();
  if (terminatedIds.length > 0) await ctx.afterTermination?.(tenantId, terminatedIds);
  return logErasure(ctx, tenantId, report);
}
