// The shapes of the agent's API (docs/relationships.md, "The agent's API"), as the dashboard reads them.
// The browser cannot import @parley/protocol (it uses node:crypto), so the few vocabularies it needs are here.

export const POLICIES = ['NoThirdPartyMail', 'DoNotTrack', 'SurveysWithAnswerBack'] as const;
export type Policy = (typeof POLICIES)[number];

export const CHANNELS = ['email', 'sms', 'phone', 'post', 'push', 'in-app', 'social'] as const;
export type Channel = (typeof CHANNELS)[number];

export const FEEDBACK_KINDS = ['feedback', 'error-report', 'survey-answer'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

export interface PostalAddress {
  street1: string;
  street2?: string;
  city: string;
  postCode: string;
  stateOrProvince?: string;
  country: string;
}

export interface Profile {
  givenName?: string;
  familyName?: string;
  email?: string;
  phone?: string;
  postalAddress?: PostalAddress;
}

export interface Preferences {
  terms: string[];
  acceptCounters: string[];
}

export interface Me {
  profile: Profile;
  policies: Policy[];
  preferences: Preferences;
}

export type DeliveryStatus = 'pending' | 'acknowledged' | 'failed';

export interface Delivery {
  relationshipId: string;
  vendor: string;
  eventId?: string;
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  nextAttemptAt?: string;
  acknowledgedAt?: string;
}

export type ChangeKind = 'profile' | 'policies' | 'permissions' | 'feedback' | 'termination';

export interface Change {
  id: string;
  kind: ChangeKind;
  createdAt: string;
  summary: string;
  deliveries: Delivery[];
}

export interface Terms {
  code: string;
  title: string;
  uri: string;
}

export interface Publication {
  id: string;
  name: string;
  kind: 'newsletter' | 'publication' | 'service';
  channels: Channel[];
}

export interface Consent {
  purpose: string;
  granted: boolean;
}

export interface ChannelPermission {
  channel: Channel;
  allowed: boolean;
}

export interface Subscription {
  publication: string;
  subscribed: boolean;
  channels: Channel[];
}

export interface Permissions {
  consents: Consent[];
  channels: ChannelPermission[];
  policies: Policy[];
  subscriptions: Subscription[];
}

export interface RelationshipEvent {
  eventId: string;
  kind: string;
  createdAt: string;
  /** Given in a relationship's lastEvents; GET /events lists acknowledged events (with acknowledgedAt). */
  status?: DeliveryStatus;
  acknowledgedAt?: string;
  ledgerIndex?: number;
  receiptVerified?: boolean;
}

/** An event of GET /api/v1/events: a relationship's event, with the relationship it belongs to. */
export interface RecentEvent extends RelationshipEvent {
  relationshipId?: string;
  vendor?: string;
}

export type RelationshipStatus = 'active' | 'countered' | 'refused' | 'terminated';

export interface Relationship {
  id: string;
  url: string;
  status: RelationshipStatus;
  vendor: { name: string; did: string; publications: Publication[] };
  did: string;
  agreement?: {
    id: string;
    terms: Terms;
    purposes: string[];
    retentionDays: number | null;
    fields: string[];
    effectiveAt: string;
  };
  counter?: { terms: Terms; purposes: string[]; reason?: string };
  /** Not in the document's example; shown when the agent gives it (why a vendor refused). */
  reason?: string;
  shared: Record<string, unknown>;
  permissions: Permissions;
  lastEvents: RelationshipEvent[];
  /** The vendor's receipts of data it deleted when the agreement's retention ended, each checked by the agent. */
  purges?: Purge[];
  /** The vendor's signed replies to her feedback, each checked by the agent. */
  messages?: VendorMessage[];
  unconfirmed: number;
}

export interface VendorMessage {
  id: string;
  kind: string;
  subject: string;
  body: string;
  inReplyTo?: string;
  sentAt: string;
  receivedAt: string;
  signatureVerified: boolean;
}

export interface Purge {
  id: string;
  purgedAt: string;
  dueAt: string;
  retentionDays: number;
  fields: string[];
  events: number;
  summary: string;
  lateByMs: number;
  ledgerIndex: number;
  ownLedgerIndex?: number;
  receiptVerified: boolean;
}

export interface PermissionsUpdate {
  consents?: Consent[];
  channels?: ChannelPermission[];
  subscriptions?: Subscription[];
}

export interface FeedbackInput {
  kind: FeedbackKind;
  subject: string;
  body: string;
  inReplyTo?: string;
}

export type DataDisposition = 'return' | 'destroy';

// Intentcasting (docs/intentcasting.md, "The agent's endpoints"): what she wants, the vendors' answers, offers.

/** The terms she can intentcast under, in the order the form offers them (her preferences' default order). */
export const INTENT_TERMS = [
  { code: 'PDC-INTENT', title: 'Intent only' },
  { code: '2P-30D', title: 'Second-party use, 30 days' },
] as const;

export interface IntentWhat {
  category: string;
  description: string;
  tags: string[];
  brands?: string[];
}

export interface PriceRange {
  min?: number;
  max: number;
  currency: string;
}

/** Where, coarsely: a country and perhaps a region. Never an address. */
export interface IntentLocation {
  country: string;
  region?: string;
  postCode?: string;
  radiusKm?: number;
}

export interface NewIntent {
  intent: IntentWhat;
  price: PriceRange;
  location?: IntentLocation;
  validUntil: string;
  terms?: string[];
  vendors?: string[];
}

export interface TermsRef {
  code: string;
  title: string;
}

export interface OfferItem {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export type OfferStatus = 'open' | 'accepted' | 'closed' | 'expired';

export interface IntentOffer {
  id: string;
  items: OfferItem[];
  total: { amount: number; currency: string };
  /** Given by the agent (the terms of the decision the offer follows). */
  terms?: TermsRef;
  validUntil: string;
  status: OfferStatus;
  note?: string;
}

export type IntentDecisionKind = 'accept' | 'counter' | 'reject';

export interface IntentAnswer {
  vendor: { name: string; url: string; did?: string };
  decision: IntentDecisionKind;
  terms?: TermsRef;
  reason?: string;
  offer?: IntentOffer;
  receiptVerified: boolean;
  receivedAt: string;
}

export type PushStatus = 'answered' | 'pending' | 'failed';

export interface IntentPush {
  vendor: string;
  status: PushStatus;
  error?: string;
}

export type IntentStatus = 'open' | 'accepted' | 'closed' | 'expired';

export interface Intent {
  id: string;
  status: IntentStatus;
  /** The one-off identity this intent was signed with. */
  did: string;
  createdAt: string;
  validFrom?: string;
  validUntil: string;
  intent: IntentWhat;
  price: PriceRange;
  location?: IntentLocation;
  terms: TermsRef[];
  answers: IntentAnswer[];
  pushes: IntentPush[];
  relationshipId?: string;
}

export interface OfferAcceptanceResult {
  intent: Intent;
  relationship: Relationship;
}
