import type {
  Channel,
  InformationSharingAgreement,
  JlincEvent,
  Policy,
  Purpose,
  SignedMessage,
  Sisa,
  Subscription,
  TermsAnswer,
  TermsProposal,
} from '@parley/protocol';
import type { LedgerReceipt } from '@parley/ledger';
import type { VendorIdentity } from '../vendor/identity.js';
import type { PurgeRecord, VendorMessage } from './notices.js';

export type RelationshipStatus = 'active' | 'countered' | 'refused' | 'terminated';

export interface Permissions {
  consents: { purpose: Purpose; granted: boolean }[];
  channels: { channel: Channel; allowed: boolean }[];
  policies: Policy[];
  subscriptions: Subscription[];
}

/** One relationship as the vault keeps it: who the vendor is (pinned at connection), what was agreed. */
export interface RelationshipRecord {
  id: string;
  url: string;
  createdAt: string;
  status: RelationshipStatus;
  vendor: VendorIdentity;
  /** Her pairwise DID for this vendor (the key is derived from her master key and `id`). */
  did: string;
  sisa: Sisa;
  proposal: SignedMessage<TermsProposal>;
  answers: SignedMessage<TermsAnswer>[];
  agreement?: InformationSharingAgreement;
  consentReceipts: string[];
  /** The vendor's ledger receipt for the agreement, verified at connection. */
  agreementLedger?: LedgerReceipt;
  reason?: string;
  /** What she sent under this agreement and the vendor acknowledged, field by field. */
  shared: Record<string, unknown>;
  permissions: Permissions;
  /** The eventId of the last event the vendor acknowledged (the head of the chain); null before the first. */
  head: string | null;
  returnedData?: unknown;
  confirmation?: unknown;
  /** The vendor's receipts of data it purged when the agreement's retention ended, each checked. */
  purges?: PurgeRecord[];
  /** The vendor's signed replies to her (its desk answering her feedback), each checked. */
  messages?: VendorMessage[];
}

export type EventKind = 'data' | 'permissions' | 'feedback' | 'termination';

export type DeliveryStatus = 'pending' | 'acknowledged' | 'failed';

/** One event for one vendor: signed when it reaches the head of the queue, then kept until acknowledged. */
export interface Delivery {
  id: string;
  /** Order of creation: a relationship's deliveries go out in this order, one at a time (one chain). */
  seq: number;
  changeId: string;
  relationshipId: string;
  kind: EventKind;
  eventType: 'dataEvent' | 'permissionEvent' | 'statusEvent';
  payload: object;
  event?: JlincEvent;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  lastError?: string;
  nextAttemptAt?: string;
  acknowledgedAt?: string;
}

export type ChangeKind = 'profile' | 'policies' | 'permissions' | 'feedback' | 'termination';

export interface ChangeRecord {
  id: string;
  kind: ChangeKind;
  createdAt: string;
  summary: string;
  deliveries: string[];
}

/** What the person keeps of each acknowledged event: the acknowledgement and the proofs. */
export interface EventReceipt {
  eventId: string;
  relationshipId: string;
  kind: EventKind;
  createdAt: string;
  acknowledgedAt: string;
  acknowledged: JlincEvent;
  /** The vendor's ledger receipt, verified against the log key pinned at connection. */
  vendorLedger: LedgerReceipt;
  /** Where the agent's own log holds the same audit record. */
  ownLedgerIndex?: number;
  consentReceipt?: string;
}
