// Words the person reads: policy names, event kinds, statuses and values written out.
import type { Channel, DeliveryStatus, Policy, PostalAddress, RelationshipStatus } from './types';

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
