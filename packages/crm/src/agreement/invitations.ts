import { createHash, randomBytes } from 'node:crypto';
import type { AnyKysely, Database } from '@parley/store';
import { INDIVIDUAL } from '../party/party.js';
import { unprocessable } from '../http/problem.js';
import { refused } from './errors.js';

/** How long an invitation code stays valid. */
export const INVITATION_DAYS = 7;

const hashOf = (code: string) => createHash('sha256').update(code).digest('hex');

/**
 * A one-time code the vendor's staff give an existing customer, so that the agreement her agent makes binds
 * to her party instead of creating a new one. Only the code's SHA-256 is stored; it is shown once.
 */
export async function createInvitation(
  db: Database,
  tenantId: string,
  partyId: string,
  now = new Date(),
): Promise<{ code: string; expiresAt: string }> {
  const party = await db.kysely
    .selectFrom(INDIVIDUAL.table)
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'Individual')
    .where('id', '=', partyId)
    .executeTakeFirst();
  if (!party) throw unprocessable(`body.partyId: no Individual with id ${partyId}`, 'body.partyId');
  const code = `inv_${randomBytes(18).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + INVITATION_DAYS * 86_400_000).toISOString();
  await db.kysely
    .insertInto('crm_agreement_invitations')
    .values({
      tenant_id: tenantId,
      code_hash: hashOf(code),
      party_id: partyId,
      created_at: now.toISOString(),
      expires_at: expiresAt,
      used_at: null,
      agreement_id: null,
    })
    .execute();
  return { code, expiresAt };
}

/** The party an unused, unexpired invitation names (its hash, to consume later); 422 otherwise. */
export async function findInvitation(
  db: AnyKysely,
  tenantId: string,
  code: unknown,
  now = new Date(),
): Promise<{ hash: string; partyId: string }> {
  const invalid = () =>
    refused(422, 'invitation: this invitation code is unknown, used or expired', 'invitation', 'invitation');
  if (typeof code !== 'string' || code.length > 100) throw invalid();
  const hash = hashOf(code);
  const row = (await db
    .selectFrom('crm_agreement_invitations')
    .select(['party_id', 'expires_at', 'used_at'])
    .where('tenant_id', '=', tenantId)
    .where('code_hash', '=', hash)
    .executeTakeFirst()) as { party_id: string; expires_at: unknown; used_at: unknown } | undefined;
  if (!row || row.used_at !== null || new Date(row.expires_at as string).getTime() <= now.getTime())
    throw invalid();
  return { hash, partyId: row.party_id };
}

/** Uses the invitation up, inside the agreement's transaction: a second use (even a concurrent one) fails. */
export async function consumeInvitation(
  tx: AnyKysely,
  tenantId: string,
  hash: string,
  agreementId: string,
  now: string,
): Promise<string> {
  const row = (await tx
    .updateTable('crm_agreement_invitations')
    .set({ used_at: now, agreement_id: agreementId })
    .where('tenant_id', '=', tenantId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('party_id')
    .executeTakeFirst()) as { party_id: string } | undefined;
  if (!row)
    throw refused(
      422,
      'invitation: this invitation code is unknown, used or expired',
      'invitation',
      'invitation',
    );
  return row.party_id;
}
