// Words the person reads: policy names, event kinds, statuses and values written out.
import type {
  Channel,
  DeliveryStatus,
  IntentDecisionKind,
  IntentStatus,
  OfferStatus,
  Policy,
  PostalAddress,
  PushStatus,
  RelationshipStatus,
} from './types';

export const POLICY_LABELS: Record<Policy, string> = {
  NoThirdPartyMail: 'No third-party mail, on any channel',
  DoNotTrack: 'Do not track me (no tracking, no profiling)',
  SurveysWithAnswerBack: 'Surveys only with a way to answer back',
};

/** The uses of data a term permits or forbids (the roster's purposes, spec/terms-roster.md). */
export const PURPOSES = [
  'ServiceDelivery',
  'ServiceAnalytics',
  'Tracking',
  'Profiling',
  'ThirdPartySharing',
  'Marketing',
  'IntentResponse',
  'AITraining',
  'PublicGood',
] as const;

export const PURPOSE_LABELS: Record<string, string> = {
  ServiceDelivery: 'Delivering the service',
  ServiceAnalytics: 'Analysing the service',
  Tracking: 'Tracking',
  Profiling: 'Profiling',
  ThirdPartySharing: 'Sharing with third parties',
  Marketing: 'Marketing',
  IntentResponse: 'Answering my intentcasts',
  AITraining: 'Training AI',
  PublicGood: 'Public good',
};

export const CHANNEL_LABELS: Record<Channel, string> = {
  email: 'Email',
  sms: 'SMS',
  phone: 'Phone',
  post: 'Post',
  push: 'Push',
  'in-app': 'In the app',
  social: 'Social media',
};

export const FIELD_LABELS: Record<string, string> = {
  givenName: 'Given name',
  familyName: 'Family name',
  email: 'Email',
  phone: 'Phone',
  postalAddress: 'Postal address',
};

export const RELATIONSHIP_STATUS_LABELS: Record<RelationshipStatus, string> = {
  active: 'Active',
  countered: 'Counter-offer to answer',
  refused: 'Refused',
  terminated: 'Ended',
};

export const DELIVERY_STATUS_LABELS: Record<DeliveryStatus, string> = {
  pending: 'pending',
  acknowledged: 'acknowledged',
  failed: 'failed',
};

export const INTENT_STATUS_LABELS: Record<IntentStatus, string> = {
  open: 'Open',
  accepted: 'Offer taken',
  closed: 'Withdrawn',
  expired: 'Expired',
};

export const DECISION_LABELS: Record<IntentDecisionKind, string> = {
  accept: 'Accepted',
  counter: 'Countered',
  reject: 'Rejected',
};

export const OFFER_STATUS_LABELS: Record<OfferStatus, string> = {
  open: 'open',
  accepted: 'taken',
  closed: 'closed',
  expired: 'expired',
};

export const PUSH_STATUS_LABELS: Record<PushStatus, string> = {
  answered: 'answered',
  pending: 'deciding',
  failed: 'failed',
};

/** An amount in a currency, the way her browser writes money. */
export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** A DID in a few characters (its method and the two ends of its key); the whole one in a tooltip. */
export function shortDid(did: string): string {
  const key = did.split(':').at(-1) ?? did;
  if (key.length <= 12) return did;
  const method = did.slice(0, did.length - key.length);
  return `${method}${key.slice(0, 6)}…${key.slice(-4)}`;
}

/** How long until `iso`, roughly: "in 14 days", "in 3 hours", "expired". */
export function timeLeft(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return '';
  if (ms <= 0) return 'expired';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return minutes <= 1 ? 'in a minute' : `in ${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return hours === 1 ? 'in an hour' : `in ${hours} hours`;
  return `in ${Math.round(hours / 24)} days`;
}

export function purposeLabel(purpose: string): string {
  return PURPOSE_LABELS[purpose] ?? purpose;
}

export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? field;
}

export function retentionLabel(days: number | null): string {
  if (days === null) return 'while the relationship lasts';
  return days === 1 ? '1 day' : `${days} days`;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A day, the way her browser writes dates (the time is in the element's title). */
export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

function isAddress(value: unknown): value is PostalAddress {
  return typeof value === 'object' && value !== null && 'street1' in value && 'city' in value;
}

export function formatAddress(a: PostalAddress): string {
  return [a.street1, a.street2, [a.postCode, a.city].filter(Boolean).join(' '), a.stateOrProvince, a.country]
    .filter((part) => part !== undefined && part !== '')
    .join(', ');
}

/** A shared value as text: addresses on one line, other objects as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (isAddress(value)) return formatAddress(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The element id of an intent's card, for links to it. */
export function intentAnchor(id: string): string {
  return `intent-${id.replace(/^urn:uuid:/, '')}`;
}

/** The element id of a vendor's row, for links to it. */
export function relationshipAnchor(id: string): string {
  return `relationship-${id}`;
}
