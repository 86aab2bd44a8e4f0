import {
  checkAgainstAgreement,
  issueConsentReceipt,
  validateParleyMessage,
  type PermissionChange,
  type SignedMessage,
} from '@parley/protocol';
import { checked, refused } from './errors.js';
import type { EventInput, EventPlan } from './event-plan.js';
import { consentReceiptRecord } from './ledger.js';
import type { Permissions } from './vendor.js';

/** The permissions in force after a change: each consent, channel and subscription replaced by its newest. */
export function mergePermissions(current: Permissions, change: PermissionChange): Permissions {
  const merge = <T, K extends keyof T>(list: T[], updates: T[], key: K): T[] => {
    const out = new Map(list.map((item) => [item[key], item]));
    for (const u of updates) out.set(u[key], u);
    return [...out.values()];
  };
  return {
    consents: merge(current.consents, change.consents, 'purpose'),
    channels: merge(current.channels, change.channels, 'channel'),
    policies: change.policies ?? current.policies,
    subscriptions: merge(current.subscriptions, change.subscriptions ?? [], 'publication'),
  };
}

/** Checks a message carried by an event: signed by the person of this agreement, about this agreement. */
export function personMessage<T extends SignedMessage>(input: EventInput, type: T['type']): T {
  const message = checked('payload', () =>
    validateParleyMessage(input.payload, { type: type as PermissionChange['type'] }),
  );
  checked('payload', () => checkAgainstAgreement(message, input.row.agreement));
  if (message.from !== input.row.personDid)
    throw refused(
      422,
      'payload.from: only the person of the agreement sends this',
      'payload.from',
      'wrong-party',
    );
  return message as unknown as T;
}

/**
 * A permissionEvent: a PermissionChange from the person (purposes the terms forbid cannot be granted;
 * subscriptions name the vendor's publications on their channels), recorded, with a consent receipt.
 */
export function planPermissionEvent(input: EventInput): EventPlan {
  const { tenant, vendor, row, now } = input;
  const change = personMessage<SignedMessage<PermissionChange>>(input, 'PermissionChange');
  const publications = new Map(tenant.profile.publications.map((p) => [p.id, p]));
  (change.subscriptions ?? []).forEach((s, i) => {
    const field = `payload.subscriptions[${i}]`;
    const publication = publications.get(s.publication);
    if (!publication)
      throw refused(
        422,
        `${field}.publication: this vendor publishes no ${s.publication}`,
        `${field}.publication`,
        'unknown-publication',
      );
    s.channels.forEach((c, j) => {
      if (!(publication.channels as string[]).includes(c))
        throw refused(
          422,
          `${field}.channels[${j}]: ${s.publication} is not sent by ${c}`,
          `${field}.channels[${j}]`,
          'channel',
        );
    });
  });
  const { profile } = tenant;
  const consentReceipt = issueConsentReceipt(
    {
      agreement: row.agreement,
      controller: profile.controller,
      jurisdiction: profile.jurisdiction,
      service: profile.service,
      permissionChange: change,
    },
    vendor,
  );
  const permissions = mergePermissions(row.permissions, change);
  const sharingWithdrawn = change.consents.some((c) => c.purpose === 'ThirdPartySharing' && !c.granted);
  return {
    messageType: 'PermissionChange',
    ...(sharingWithdrawn
      ? {
          afterCommit: () => input.ctx.afterAgreementChange?.(tenant, row.id, 'sharing-consent-withdrawn'),
        }
      : {}),
    records: [consentReceiptRecord(row.id, vendor.did, consentReceipt)],
    answer: { consentReceipt },
    async write(tx) {
      await tx
        .updateTable('crm_agreements')
        .set({ permissions: JSON.stringify(permissions), updated_at: now })
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', row.id)
        .execute();
    },
  };
}
