import { findTerms } from '@parley/protocol';
import type { AgentState } from './relationship/state.js';
import type { ChangeRecord, DeliveryStatus, RelationshipRecord } from './relationship/types.js';
import type { PurgeRecord, VendorMessage } from './relationship/notices.js';

export interface DeliveryView {
  relationshipId: string;
  vendor: string;
  eventId?: string;
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  nextAttemptAt?: string;
  acknowledgedAt?: string;
}

export interface ChangeView {
  id: string;
  kind: ChangeRecord['kind'];
  createdAt: string;
  summary: string;
  deliveries: DeliveryView[];
}

export function changeView(change: ChangeRecord, state: AgentState): ChangeView {
  return {
    id: change.id,
    kind: change.kind,
    createdAt: change.createdAt,
    summary: change.summary,
    deliveries: change.deliveries.flatMap((id) => {
      const d = state.deliveries[id];
      if (!d) return [];
      return [
        {
          relationshipId: d.relationshipId,
          vendor: state.relationships[d.relationshipId]?.vendor.name ?? '',
          ...(d.event ? { eventId: d.event.audit.eventId as string } : {}),
          status: d.status,
          attempts: d.attempts,
          ...(d.lastError ? { lastError: d.lastError } : {}),
          ...(d.nextAttemptAt ? { nextAttemptAt: d.nextAttemptAt } : {}),
          ...(d.acknowledgedAt ? { acknowledgedAt: d.acknowledgedAt } : {}),
        },
      ];
    }),
  };
}

function termsView(id: string) {
  const entry = findTerms(id);
  return { code: entry?.code ?? id, title: entry?.title ?? id, uri: entry?.uri ?? id };
}

export type RelationshipView = ReturnType<typeof relationshipView>;

/** A relationship as the dashboard shows it: no keys, no raw messages, what she needs to see. */
/** A purge receipt as she sees it: when, what, and that it was checked (signature, ledger proof, events). */
export function purgeView(p: PurgeRecord) {
  return {
    id: p.receipt.id,
    purgedAt: p.receipt.createdAt,
    dueAt: p.receipt.dueAt,
    retentionDays: p.receipt.retentionDays,
    fields: p.receipt.fields,
    events: p.receipt.eventIds.length,
    summary: p.receipt.summary,
    lateByMs: p.lateByMs,
    ledgerIndex: p.vendorLedger.index,
    ...(p.ownLedgerIndex !== undefined ? { ownLedgerIndex: p.ownLedgerIndex } : {}),
    receiptVerified: true,
  };
}
export type PurgeView = ReturnType<typeof purgeView>;

/** A vendor's reply as she reads it. */
export function messageView(m: VendorMessage) {
  return {
    id: m.message.id,
    kind: m.message.kind,
    subject: m.message.subject,
    body: m.message.body,
    ...(m.message.inReplyTo ? { inReplyTo: m.message.inReplyTo } : {}),
    sentAt: m.message.createdAt,
    receivedAt: m.receivedAt,
    signatureVerified: true,
  };
}
export type MessageView = ReturnType<typeof messageView>;

export function relationshipView(record: RelationshipRecord, state: AgentState) {
  const agreement = record.agreement;
  const counter = record.status === 'countered' ? record.answers[0] : undefined;
  const receipts = state.receipts[record.id] ?? [];
  const queue = Object.values(state.deliveries).filter(
    (d) => d.relationshipId === record.id && d.status !== 'acknowledged',
  );
  return {
    id: record.id,
    url: record.url,
    status: record.status,
    createdAt: record.createdAt,
    vendor: { name: record.vendor.name, did: record.vendor.did, publications: record.vendor.publications },
    did: record.did,
    ...(agreement
      ? {
          agreement: {
            id: agreement.id,
            terms: termsView(agreement.terms.id),
            purposes: agreement.purposes,
            retentionDays: agreement.retentionDays,
            fields: agreement.schema.fields.map((f) => f.name),
            effectiveAt: agreement.effectiveAt,
            ...(record.agreementLedger ? { ledgerIndex: record.agreementLedger.index } : {}),
          },
        }
      : {}),
    ...(counter?.terms
      ? {
          counter: {
            terms: termsView(counter.terms.id),
            purposes: counter.purposes ?? record.proposal.purposes,
            ...(counter.reason ? { reason: counter.reason } : {}),
          },
        }
      : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    shared: record.shared,
    permissions: record.permissions,
    lastEvents: receipts
      .slice(-10)
      .reverse()
      .map((r) => ({
        eventId: r.eventId,
        kind: r.kind,
        createdAt: r.createdAt,
        status: 'acknowledged' as const,
        acknowledgedAt: r.acknowledgedAt,
        ledgerIndex: r.vendorLedger.index,
        receiptVerified: true,
      })),
    purges: (record.purges ?? []).map(purgeView),
    messages: (record.messages ?? []).map(messageView),
    unconfirmed: queue.filter((d) => d.status === 'pending').length,
    failed: queue.filter((d) => d.status === 'failed').length,
    ...(record.returnedData !== undefined ? { returnedData: record.returnedData } : {}),
  };
}
