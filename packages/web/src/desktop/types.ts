// The shapes the desktop reads from the CRM (docs/crm.md). The desktop's own endpoints (/crm/v1/desktop/…,
// assignment, reply, desk agents) are being built alongside it: every member they may leave out is optional.

export type Severity = 'info' | 'warning' | 'critical';

export interface SlaClock {
  responseDue: string;
  resolutionDue: string;
  respondedAt: string | null;
  resolvedAt: string | null;
  escalationLevel: number;
  priorityClass?: string;
  responseBreached: boolean;
  resolutionBreached: boolean;
  resolutionSecondsLeft: number | null;
}

/** A warning the queue attaches to a ticket (breach soon, breached, escalated…); a string or an object. */
export type QueueWarning = string | { kind?: string; severity?: Severity; title?: string; detail?: string };

export interface QueueTicket {
  id: string;
  status: string;
  priority?: string;
  description?: string;
  slaClock: SlaClock;
  channel?: string | null;
  assignee?: string | null;
  partyId?: string | null;
  warnings?: QueueWarning[];
}

export interface Ref {
  id: string;
  name?: string;
  role?: string;
  '@referredType'?: string;
}

export interface TroubleTicket {
  id: string;
  name?: string;
  description?: string;
  status: string;
  priority?: string;
  severity?: string;
  ticketType?: string;
  creationDate?: string;
  channel?: { id?: string; name?: string } | string;
  relatedParty?: Ref[];
  relatedEntity?: Ref[];
  note?: { id?: string; author?: string; date?: string; text?: string }[];
  [member: string]: unknown;
}

export interface DeskAgent {
  id: string;
  name?: string;
}

export interface Reason {
  id: string;
  label: string;
  description: string;
}

export interface Fact {
  id: string;
  type: string;
  title: string;
  detail?: string;
  at?: string | null;
  score?: number;
  why?: string[];
}

export interface Alert {
  kind: 'sla-breach-soon' | 'sla-breached' | 'churn-risk' | 'selfcare-failed' | string;
  severity: Severity;
  title: string;
  detail?: string;
  at?: string | null;
}

export interface Context {
  partyId: string;
  reason: string;
  tookMs?: number;
  customer: {
    id: string;
    name: string;
    status?: string | null;
    accounts?: { id: string; name: string; state?: string | null }[];
  };
  facts: Fact[];
  alerts: Alert[];
}

export interface QoePoint {
  at: string;
  availability?: number | null;
  throughput?: number | null;
  latency?: number | null;
  packetLoss?: number | null;
}

export type QoeMetric = 'availability' | 'throughput' | 'latency' | 'packetLoss';

export interface QoeSeries {
  serviceId: string;
  name: string;
  sla: Partial<Record<QoeMetric, number>> | null;
  points: QoePoint[];
  violations: { metric: string; periodStart: string; actual: number }[];
}

export interface TicketLoadDay {
  day: string;
  opened: number;
  resolved: number;
  breached: number;
}

/** The CRM's answer to GET /crm/v1/customer/{id}/360, as the CRM declares it. */
export type { Customer360 } from '@parley/crm';

export interface Individual {
  id: string;
  givenName?: string;
  familyName?: string;
  formattedName?: string;
  status?: string;
  contactMedium?: { mediumType?: string; characteristic?: Record<string, unknown> }[];
}

export type Permission = 'yes' | 'no' | 'anonymised-only' | string;

export interface AgreementReport {
  agreement: {
    id: string;
    partyId: string;
    status: string;
    terms: { id: string; code: string; title: string };
    purposes?: string[];
    retentionDays?: number | null;
    onwardSharing?: { allowed?: boolean } & Record<string, unknown>;
    effectiveAt?: string;
    terminatedAt?: string;
    permissions?: {
      consents?: { purpose: string; granted: boolean }[];
      channels?: { channel: string; allowed: boolean }[];
      policies?: string[];
      subscriptions?: { publication: string; subscribed: boolean; channels: string[] }[];
    };
  };
  received?: unknown[];
  used?: unknown[];
  shared?: unknown[];
  purged?: unknown[];
}

export interface ComplianceOfParty {
  partyId: string;
  agreements: AgreementReport[];
  ownDataUses?: unknown[];
}

export interface ProvenanceItem {
  field: string;
  source: 'agreement' | 'vendor';
  agreementId: string | null;
  terms: string | null;
  receivedAt: string | null;
  purposes: string[];
  retentionUntil: string | null;
  onwardSharing: 'no' | 'yes' | 'anonymised-only';
  onRecord: string | null;
}

export interface Provenance {
  partyId: string;
  agreements: string[];
  items: ProvenanceItem[];
}

/** One entry of the terms roster, as the build wrote it out of @parley/protocol's ROSTER. */
export interface RosterEntry {
  id: string;
  code: string;
  title: string;
  summary: string;
  permissions: Record<string, Permission>;
  maxRetentionDays: number | null;
}
