import { createHash, randomUUID } from 'node:crypto';
import type { LedgerReceipt } from '@parley/ledger';
import type { AnyKysely } from '@parley/store';
import { activeAgreementsOf, nowOf, type VendorContext } from '../agreement/vendor.js';
import { HttpProblem } from '../http/problem.js';
import { EXCLUSIONS, judge, type Exclusion, type UseDeclaration } from './purpose.js';

const PAGE = 1000;

export interface UseRequest extends UseDeclaration {
  description: string;
  /** The parties to consider; absent: every individual of the tenant. */
  partyIds?: string[];
}

export interface UseResult {
  id: string;
  kind: UseDeclaration['kind'];
  purpose: UseDeclaration['purpose'];
  channel?: string;
  publication?: string;
  thirdParty: boolean;
  description: string;
  requestedBy: string;
  createdAt: string;
  considered: number;
  included: number;
  excluded: number;
  /** Included only as fully anonymised data (terms that share anonymised data only). */
  anonymisedOnly: number;
  exclusions: { reason: Exclusion; count: number; explanation: string }[];
  ledgerIndex: number;
}

/** The audit record of a use: what was declared and counted, and a hash of who was in and out; no data. */
export function dataUseRecord(use: UseResult, membersSha256: string) {
  return {
    type: 'dataUse',
    useId: use.id,
    kind: use.kind,
    purpose: use.purpose,
    ...(use.channel ? { channel: use.channel } : {}),
    thirdParty: use.thirdParty,
    included: use.included,
    excluded: use.excluded,
    exclusions: Object.fromEntries(use.exclusions.map((e) => [e.reason, e.count])),
    membersSha256,
  };
}

/** Refuses (nothing written) a list naming a party that is not an Individual of the tenant. */
async function checkIndividuals(db: AnyKysely, tenantId: string, ids: string[]): Promise<void> {
  const found = new Set(
    (
      (await db
        .selectFrom('crm_parties')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', 'Individual')
        .where('id', 'in', ids)
        .execute()) as { id: string }[]
    ).map((r) => r.id),
  );
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined)
    throw new HttpProblem(
      422,
      'Unprocessable Entity',
      `body.partyIds: ${missing} is not an Individual of this tenant`,
      'body.partyIds',
      'unknown-party',
    );
}

/** The parties a use considers, a page at a time, in id order. */
async function* candidates(db: AnyKysely, tenantId: string, partyIds?: string[]): AsyncGenerator<string[]> {
  if (partyIds) {
    const unique = [...new Set(partyIds)].sort();
    for (let i = 0; i < unique.length; i += PAGE) yield unique.slice(i, i + PAGE);
    return;
  }
  let after = '';
  for (;;) {
    const ids = (
      (await db
        .selectFrom('crm_parties')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', 'Individual')
        .where('id', '>', after)
        .orderBy('id')
        .limit(PAGE)
        .execute()) as { id: string }[]
    ).map((r) => r.id);
    if (ids.length === 0) return;
    yield ids;
    after = ids[ids.length - 1] as string;
  }
}

/**
 * Runs a declared use: every party considered is judged against the agreements in force with it (purpose.ts),
 * included or left out with the reason, recorded one row each (crm_data_use_members), counted by reason, and
 * logged in the ledger as a `dataUse` record, all in one transaction. What the use may then take is its
 * included members, nothing else.
 */
export async function runUse(
  ctx: VendorContext,
  tenantId: string,
  request: UseRequest,
  requestedBy: string,
): Promise<{ use: UseResult; ledger: LedgerReceipt }> {
  const id = randomUUID();
  const createdAt = nowOf(ctx).toISOString();
  const counts = new Map<Exclusion, number>();
  let considered = 0;
  let included = 0;
  let anonymisedOnly = 0;
  const members = createHash('sha256');
  return ctx.db.kysely.transaction().execute(async (tx) => {
    for await (const page of candidates(tx, tenantId, request.partyIds)) {
      if (request.partyIds) await checkIndividuals(tx, tenantId, page);
      const agreements = await activeAgreementsOf(tx, tenantId, page);
      const rows = page.map((partyId) => {
        const j = judge(request, agreements.get(partyId) ?? []);
        considered++;
        if (j.included) {
          included++;
          if (j.anonymisedOnly) anonymisedOnly++;
        } else if (j.reason) counts.set(j.reason, (counts.get(j.reason) ?? 0) + 1);
        members.update(`${partyId}\t${j.included ? 'in' : (j.reason ?? 'out')}\n`);
        return {
          tenant_id: tenantId,
          use_id: id,
          party_id: partyId,
          agreement_id: j.agreementId,
          included: j.included ? 1 : 0,
          reason: j.reason ?? (j.anonymisedOnly ? 'anonymised-only' : null),
        };
      });
      for (let i = 0; i < rows.length; i += 200)
        await tx
          .insertInto('crm_data_use_members')
          .values(rows.slice(i, i + 200))
          .execute();
    }
    const use: UseResult = {
      id,
      kind: request.kind,
      purpose: request.purpose,
      ...(request.channel ? { channel: request.channel } : {}),
      ...(request.publication ? { publication: request.publication } : {}),
      thirdParty: request.kind === 'share' || request.thirdParty === true,
      description: request.description,
      requestedBy,
      createdAt,
      considered,
      included,
      excluded: considered - included,
      anonymisedOnly,
      exclusions: [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([reason, count]) => ({ reason, count, explanation: EXCLUSIONS[reason] })),
      ledgerIndex: -1,
    };
    const ledger = await ctx.ledger.append([dataUseRecord(use, members.digest('hex'))]);
    use.ledgerIndex = ledger.index;
    await tx
      .insertInto('crm_data_uses')
      .values({
        tenant_id: tenantId,
        id,
        kind: use.kind,
        purpose: use.purpose,
        channel: use.channel ?? null,
        publication: use.publication ?? null,
        third_party: use.thirdParty ? 1 : 0,
        description: use.description,
        requested_by: requestedBy,
        included,
        excluded: use.excluded,
        exclusions: JSON.stringify({ considered, anonymisedOnly, exclusions: use.exclusions }),
        ledger_index: ledger.index,
        created_at: createdAt,
      })
      .execute();
    return { use, ledger };
  });
}

/** A use as stored. */
export async function useById(
  ctx: VendorContext,
  tenantId: string,
  id: string,
): Promise<UseResult | undefined> {
  const r = (await ctx.db.kysely
    .selectFrom('crm_data_uses')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  if (!r) return undefined;
  const extra = JSON.parse(r.exclusions as string) as Pick<
    UseResult,
    'considered' | 'anonymisedOnly' | 'exclusions'
  >;
  return {
    id: r.id as string,
    kind: r.kind as UseResult['kind'],
    purpose: r.purpose as UseResult['purpose'],
    ...(r.channel ? { channel: r.channel as string } : {}),
    ...(r.publication ? { publication: r.publication as string } : {}),
    thirdParty: Number(r.third_party) === 1,
    description: r.description as string,
    requestedBy: r.requested_by as string,
    createdAt: new Date(r.created_at as string).toISOString(),
    included: Number(r.included),
    excluded: Number(r.excluded),
    ...extra,
    ledgerIndex: Number(r.ledger_index),
  };
}

/** A page of a use's members (in party id order), included ones or excluded ones. */
export async function useMembers(
  ctx: VendorContext,
  tenantId: string,
  useId: string,
  options: { included?: boolean; after?: string; limit: number },
) {
  let q = ctx.db.kysely
    .selectFrom('crm_data_use_members')
    .select(['party_id', 'agreement_id', 'included', 'reason'])
    .where('tenant_id', '=', tenantId)
    .where('use_id', '=', useId);
  if (options.included !== undefined) q = q.where('included', '=', options.included ? 1 : 0);
  if (options.after) q = q.where('party_id', '>', options.after);
  const rows = (await q.orderBy('party_id').limit(options.limit).execute()) as Record<string, unknown>[];
  return rows.map((r) => ({
    partyId: r.party_id as string,
    agreementId: (r.agreement_id as string | null) ?? null,
    included: Number(r.included) === 1,
    ...(r.reason ? { reason: r.reason as string } : {}),
  }));
}
