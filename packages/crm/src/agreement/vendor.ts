import type {
  Clock,
  InformationSharingAgreement,
  Party,
  SignedMessage,
  TermsProposal,
  ValidatedSisa,
} from '@parley/protocol';
import type { AnyKysely, Database } from '@parley/store';
import type { ResourceEventSink } from '../tmf/resource.js';
import type { VendorKeys } from './keys.js';
import type { AgreementLedger } from './ledger.js';
import type { KeyedLock } from './lock.js';
import type { Tenant, VendorProfiles } from './profile.js';

/** Everything the vendor endpoint works with, built once per server. */
export interface VendorContext {
  db: Database;
  keys: VendorKeys;
  ledger: AgreementLedger;
  profiles: VendorProfiles;
  lock: KeyedLock;
  /** The hub's sink: records the CRM makes (individuals, interactions, tickets) notify subscribers too. */
  events?: ResourceEventSink;
  /** The catalogue's categories, which `GET {vendor}` publishes (intentcasting). */
  catalogue?: { categories(tenantId: string): Promise<string[]> };
  /** Offers taken with a negotiation's `acceptance` member (intentcasting); absent: the member is refused. */
  offers?: OfferAcceptances;
  /**
   * The time events are received at, retention runs by and receipts are signed with (default Date.now).
   * Tests move it to see a retention period end.
   */
  clock?: Clock;
  /** What the vendor owes the person as notices (signed purge receipts, …), answered to `notices` requests. */
  notices?: (tenantId: string, agreementId: string) => Promise<unknown[]>;
  /**
   * Called once an event's transaction has committed and the agreement ended or the person withdrew her
   * consent to ThirdPartySharing: onward shares are withdrawn (onward/). Must not throw; runs its work in the
   * background.
   */
  afterAgreementChange?: (tenant: Tenant, agreementId: string, change: AgreementChange) => void;
}

/** What afterAgreementChange reports. */
export type AgreementChange = 'terminated' | 'sharing-consent-withdrawn';

/** The vendor's current time, by its clock. */
export const nowOf = (ctx: Pick<VendorContext, 'clock'>): Date => new Date((ctx.clock?.now ?? Date.now)());

/**
 * What the negotiation needs of intentcasting when a proposal comes with an `acceptance` of an offer
 * (docs/intentcasting.md): the acceptance checked against the vendor's own offer and the proposal, the terms
 * the offer bound the vendor to, and what to record with the agreement. Every method throws an HttpProblem
 * when it refuses; nothing is stored then.
 */
export interface OfferAcceptances {
  /** Checks the acceptance's shape and signature (400); returns the id of the offer it names. */
  validate(acceptance: unknown): { offerId: string };
  /** Checks it against the offer (own, not expired, not taken: 409 `taken`) and the proposal. */
  bind(
    tenant: Tenant,
    vendor: Party,
    acceptance: unknown,
    proposal: SignedMessage<TermsProposal>,
  ): Promise<BoundOffer>;
}

/** An offer the vendor is about to conclude an agreement on. */
export interface BoundOffer {
  /** The roster id of the offer's terms: the vendor accepts them, whatever its terms policy says. */
  termsId: string;
  /** Audit records to log with the agreement's. */
  records(agreementId: string): object[];
  /** Inside the agreement's transaction, once the party exists: the offer taken (409 if it was), the lead. */
  conclude(tx: AnyKysely, agreementId: string, partyId: string, now: string): Promise<void>;
}

/** The base path of a tenant's vendor endpoint. */
export const vendorPath = (tenantId: string) => `/parley/v1/vendors/${encodeURIComponent(tenantId)}`;

/** What is in force between a person and the vendor: consents, channels, global policies, subscriptions. */
export interface Permissions {
  consents: { purpose: string; granted: boolean }[];
  channels: { channel: string; allowed: boolean }[];
  policies: string[];
  subscriptions: { publication: string; subscribed: boolean; channels: string[] }[];
}

/** A row of crm_agreements, with its JSON members parsed. */
export interface AgreementRow {
  tenantId: string;
  id: string;
  sisaId: string;
  personDid: string;
  partyId: string;
  status: 'active' | 'terminated';
  agreement: InformationSharingAgreement;
  permissions: Permissions;
  headEventId: string | null;
  personStatus: string | null;
  createdAt: string;
  terminatedAt: string | null;
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

function fromRow(r: Record<string, unknown>): AgreementRow {
  return {
    tenantId: r.tenant_id as string,
    id: r.id as string,
    sisaId: r.sisa_id as string,
    personDid: r.person_did as string,
    partyId: r.party_id as string,
    status: r.status as AgreementRow['status'],
    agreement: JSON.parse(r.agreement as string) as InformationSharingAgreement,
    permissions: JSON.parse(r.permissions as string) as Permissions,
    headEventId: (r.head_event_id as string | null) ?? null,
    personStatus: (r.person_status as string | null) ?? null,
    createdAt: iso(r.created_at) as string,
    terminatedAt: iso(r.terminated_at),
  };
}

const COLUMNS = [
  'tenant_id',
  'id',
  'sisa_id',
  'person_did',
  'party_id',
  'status',
  'agreement',
  'permissions',
  'head_event_id',
  'person_status',
  'created_at',
  'terminated_at',
];

export async function agreementBySisa(
  db: AnyKysely,
  tenantId: string,
  sisaId: string,
): Promise<AgreementRow | undefined> {
  const row = (await db
    .selectFrom('crm_agreements')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('sisa_id', '=', sisaId)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  return row && fromRow(row);
}

export async function agreementById(
  db: AnyKysely,
  tenantId: string,
  id: string,
): Promise<AgreementRow | undefined> {
  const row = (await db
    .selectFrom('crm_agreements')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  return row && fromRow(row);
}

/**
 * What the event checks need of a SISA already validated when the agreement was made: its id, its rights
 * holder and its custodian (the stored SISA is not re-validated for every event).
 */
export function sisaContext(row: AgreementRow, vendor: Party): ValidatedSisa {
  return { sisaId: row.sisaId, rightsHolderDid: row.personDid, custodianDid: vendor.did } as ValidatedSisa;
}

/** The tenant's vendor identity. */
export const vendorOf = (ctx: VendorContext, tenant: Tenant): Party => ctx.keys.forTenant(tenant.id);

/** The agreements in force with each of these parties (one query). */
export async function activeAgreementsOf(
  db: AnyKysely,
  tenantId: string,
  partyIds: readonly string[],
): Promise<Map<string, AgreementRow[]>> {
  const byParty = new Map<string, AgreementRow[]>();
  if (partyIds.length === 0) return byParty;
  const rows = (await db
    .selectFrom('crm_agreements')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('party_id', 'in', partyIds)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .execute()) as Record<string, unknown>[];
  for (const r of rows) {
    const row = fromRow(r);
    byParty.set(row.partyId, [...(byParty.get(row.partyId) ?? []), row]);
  }
  return byParty;
}
