import type { ResourceSpec } from '../tmf/resource.js';
import {
  ACCOUNTS,
  ACCOUNT_TYPES,
  PARTIES,
  PARTY_TYPES,
  pick,
  refs,
  requireRef,
  requireRefs,
  text,
  TICKETS,
  type Ref,
} from '../tmf/references.js';

/** Channels as Parley names them in `channel[].id` (a vendor may add its own). */
export const CHANNELS = ['phone', 'email', 'chat', 'selfcare', 'social', 'store', 'agent'];

const items = (doc: Record<string, unknown>): Ref[] =>
  (Array.isArray(doc.interactionItem) ? (doc.interactionItem as { item?: Ref }[]) : []).flatMap((i) =>
    i.item ? [i.item] : [],
  );

/** TMF683 PartyInteraction: a contact on any channel, linked to the party, the account and tickets. */
export const PARTY_INTERACTION: ResourceSpec = {
  api: 'partyInteraction',
  path: '/partyInteraction',
  type: 'PartyInteraction',
  createDefinition: 'PartyInteraction_Create',
  updateDefinition: 'PartyInteraction_Update',
  table: 'crm_interactions',
  partyColumn: 'party_id',
  columns: { status: 'status', direction: 'direction', reason: 'reason' },
  row: (doc) => {
    const channel = refs(doc.channel)[0];
    return {
      party_id: pick(refs(doc.relatedParty), 'customer', PARTY_TYPES)?.id ?? null,
      account_id: items(doc).find((i) => ACCOUNT_TYPES.includes(i['@referredType'] ?? ''))?.id ?? null,
      ticket_id: items(doc).find((i) => i['@referredType'] === 'TroubleTicket')?.id ?? null,
      channel: channel ? (text(channel.id) ?? text(channel.name) ?? null) : null,
      direction: text(doc.direction) ?? null,
      reason: text(doc.reason) ?? null,
      status: text(doc.status) ?? null,
      started_at:
        text((doc.interactionDate as { startDateTime?: string } | undefined)?.startDateTime) ?? null,
    };
  },
  async check(db, tenantId, doc) {
    await requireRefs(db, tenantId, PARTIES, refs(doc.relatedParty), 'body.relatedParty');
    for (const [i, item] of items(doc).entries()) {
      const field = `body.interactionItem.${i}.item`;
      if (ACCOUNT_TYPES.includes(item['@referredType'] ?? ''))
        await requireRef(db, tenantId, ACCOUNTS, item, field);
      if (item['@referredType'] === 'TroubleTicket') await requireRef(db, tenantId, TICKETS, item, field);
    }
    return undefined;
  },
};
