import { randomUUID } from 'node:crypto';
import type { AnyKysely } from '@parley/store';
import { hrefOf, insertResource, type Doc } from '../agreement/records.js';
import { PARTY_INTERACTION } from '../interaction/interaction.js';
import { INDIVIDUAL, ORGANIZATION } from '../party/party.js';
import type { ResourceEventSink } from '../tmf/resource.js';
import { isOpenTicket, openedTicket, TROUBLE_TICKET } from '../ticket/ticket.js';
import type { InboundMessage, Sender } from './connector.js';
import { nextAssignee } from './desk.js';

/** TMF683/TMF621 channel references by channel id. */
export const CHANNEL_NAMES: Record<string, string> = {
  email: 'Email',
  chat: 'Chat',
  social: 'Social media',
  selfcare: 'Web self-care',
  agent: 'Parley agent',
};

export const channelRef = (channel: string) => ({
  id: channel,
  href: `/channel/${channel}`,
  name: CHANNEL_NAMES[channel] ?? channel,
});

/**
 * How a new ticket's priority and reason are chosen: the first rule whose pattern is in the subject or text
 * wins; a `channel` rule raises the priority of what comes in on it (a public post is seen by everyone).
 */
export const PRIORITY_RULES: { pattern: RegExp; priority: string; reason: string }[] = [
  { pattern: /\b(fraud|stolen|hacked|unauthori[sz]ed)\b/i, priority: 'critical', reason: 'security' },
  {
    pattern: /\b(outage|no (signal|service|network|internet)|(is|are|went) down|not working)\b/i,
    priority: 'high',
    reason: 'no-service',
  },
  { pattern: /\b(cancel\w*|terminat\w*|switch(ing)? provider)\b/i, priority: 'high', reason: 'churn-risk' },
  {
    pattern: /\b(bill\w*|charge[ds]?|invoice|refund|overcharg\w*|roaming)\b/i,
    priority: 'medium',
    reason: 'billing',
  },
];
export const CHANNEL_PRIORITY_FLOOR: Record<string, string> = { social: 'high' };
/** Feedback kinds that are not complaints start low (a survey answer, a compliment). */
export const REASON_PRIORITY: Record<string, string> = {
  'survey-answer': 'low',
  feedback: 'low',
  'error-report': 'medium',
};
const RANK = ['low', 'medium', 'high', 'critical'];

/** The priority and reason of a new ticket (PRIORITY_RULES, then the channel's floor). */
export function classify(
  channel: string,
  subject: string | undefined,
  text: string,
  reason?: string,
): { priority: string; reason: string } {
  const haystack = `${subject ?? ''}\n${text}`;
  const rule = PRIORITY_RULES.find((r) => r.pattern.test(haystack));
  let priority = rule?.priority ?? (reason ? REASON_PRIORITY[reason] : undefined) ?? 'medium';
  const floor = CHANNEL_PRIORITY_FLOOR[channel];
  if (floor && RANK.indexOf(floor) > RANK.indexOf(priority)) priority = floor;
  return { priority, reason: reason ?? rule?.reason ?? 'general' };
}

const SEVERITY: Record<string, string> = {
  critical: 'critical',
  high: 'major',
  medium: 'minor',
  low: 'minor',
};

/**
 * A party of the tenant whose contact media has this email, phone or social handle (the first by id): one
 * lookup in the contact index (crm_party_contacts, kept by triggers; party/contacts-sql.ts), normalised the
 * same way.
 */
export async function matchParty(
  db: AnyKysely,
  _kind: 'sqlite' | 'postgres',
  tenantId: string,
  from: Sender,
): Promise<{ id: string; kind: string } | undefined> {
  const tries: [string, string][] = [];
  if (from.email) tries.push(['email', from.email.trim().toLowerCase()]);
  if (from.phone) tries.push(['phone', from.phone.replace(/[ ().-]/g, '')]);
  if (from.handle) tries.push(['social', from.handle.trim().toLowerCase().replace(/^@+/, '')]);
  for (const [kind, value] of tries) {
    const row = (await db
      .selectFrom('crm_party_contacts as c')
      .innerJoin('crm_parties as p', (j) =>
        j.onRef('p.tenant_id', '=', 'c.tenant_id').onRef('p.id', '=', 'c.party_id'),
      )
      .select(['p.id', 'p.kind'])
      .where('c.tenant_id', '=', tenantId)
      .where('c.kind', '=', kind)
      .where('c.value', '=', value)
      .orderBy('p.id')
      .limit(1)
      .executeTakeFirst()) as { id: string; kind: string } | undefined;
    if (row) return row;
  }
  return undefined;
}

/** One inbound message as the process takes it. */
export interface Intake {
  tenantId: string;
  channel: string;
  /** The connector's id, or `selfcare:<party>`, `agent:<agreement>`: the scope of external ids and threads. */
  source: string;
  connectorId: string | null;
  message: InboundMessage;
  /** The party when the channel knows it (a self-care key, an agreement); otherwise matched by contact medium. */
  partyId?: string;
  partyType?: string;
  /** The agreement the message came under (provenance of the records). */
  agreementId?: string | null;
  /** Members the ticket gets besides the process's (e.g. its `externalId`, `ticketType`). */
  ticket?: Doc;
  /** Notes of the interaction besides the message's text. */
  notes?: Doc[];
  now: string;
  events?: ResourceEventSink;
  dbKind: 'sqlite' | 'postgres';
}

export interface Intaken {
  messageId: string;
  ticketId: string;
  interactionId: string;
  partyId: string | null;
  threadId: string;
  /** A new ticket was opened for it (not threaded into an open one). */
  opened: boolean;
  assignee: string | null;
  /** The same external id had been taken in before: nothing was written. */
  replay: boolean;
}

/**
 * What was recorded for a message already taken in (or sent: a provider echoing one of our replies back), or
 * undefined.
 */
export async function alreadyTaken(
  db: AnyKysely,
  tenantId: string,
  source: string,
  externalId: string,
): Promise<Intaken | undefined> {
  const row = (await db
    .selectFrom('crm_channel_messages as m')
    .leftJoin('crm_ticket_desk as d', (j) =>
      j.onRef('d.tenant_id', '=', 'm.tenant_id').onRef('d.ticket_id', '=', 'm.ticket_id'),
    )
    .select(['m.id', 'm.ticket_id', 'm.interaction_id', 'm.party_id', 'm.thread_id', 'd.assignee'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.source', '=', source)
    .where('m.external_id', '=', externalId)
    .executeTakeFirst()) as Record<string, string | null> | undefined;
  if (!row) return undefined;
  return {
    messageId: row.id as string,
    ticketId: row.ticket_id as string,
    interactionId: row.interaction_id as string,
    partyId: row.party_id ?? null,
    threadId: row.thread_id as string,
    opened: false,
    assignee: row.assignee ?? null,
    replay: true,
  };
}

/**
 * The one process every inbound message goes through, in the caller's transaction: the sender matched to a
 * party by contact medium (an unknown sender is recorded without a party), a TMF683 interaction (inbound,
 * with its reason), threaded into the open ticket of its thread or a new TMF621 ticket on its channel
 * (priority by PRIORITY_RULES, the SLA clock of every ticket, assigned round robin), and the message itself.
 * A message whose external id was taken in before changes nothing.
 */
export async function takeIn(tx: AnyKysely, input: Intake): Promise<Intaken> {
  const { tenantId, source, message, now, channel } = input;
  const seen = await alreadyTaken(tx, tenantId, source, message.externalId);
  if (seen) return seen;

  const matched = input.partyId
    ? { id: input.partyId, kind: input.partyType ?? 'Individual' }
    : await matchParty(tx, input.dbKind, tenantId, message.from);
  const partyRef = matched
    ? {
        id: matched.id,
        href: hrefOf(matched.kind === 'Organization' ? ORGANIZATION : INDIVIDUAL, matched.id),
        '@referredType': matched.kind,
        role: 'customer',
        ...(message.from.name ? { name: message.from.name } : {}),
      }
    : undefined;

  // The thread: as the channel names it, else the thread of the message it answers, else a new one.
  let threadId = message.threadId;
  if (!threadId && message.inReplyTo) {
    const parent = (await tx
      .selectFrom('crm_channel_messages')
      .select('thread_id')
      .where('tenant_id', '=', tenantId)
      .where('source', '=', source)
      .where((eb) =>
        eb.or([eb('external_id', '=', message.inReplyTo), eb('provider_id', '=', message.inReplyTo)]),
      )
      .limit(1)
      .executeTakeFirst()) as { thread_id: string } | undefined;
    threadId = parent?.thread_id;
  }
  threadId ??= message.externalId;

  const open = (await tx
    .selectFrom('crm_ticket_desk as d')
    .innerJoin('crm_tickets as t', (j) =>
      j.onRef('t.tenant_id', '=', 'd.tenant_id').onRef('t.id', '=', 'd.ticket_id'),
    )
    .select(['d.ticket_id', 'd.assignee'])
    .where('d.tenant_id', '=', tenantId)
    .where('d.source', '=', source)
    .where('d.thread_id', '=', threadId)
    .where(isOpenTicket('t.status'))
    .orderBy('t.created_at', 'desc')
    .limit(1)
    .executeTakeFirst()) as { ticket_id: string; assignee: string | null } | undefined;

  const { priority, reason } = classify(channel, message.subject, message.text, message.reason);
  let ticketId = open?.ticket_id;
  let assignee = open?.assignee ?? null;
  if (!ticketId) {
    const summary = message.subject ?? message.text.split('\n')[0]?.slice(0, 120) ?? '';
    const doc = openedTicket(
      {
        '@type': 'TroubleTicket',
        name: summary,
        description: message.text,
        severity: SEVERITY[priority] ?? 'minor',
        priority,
        ticketType: reason,
        externalId: message.externalId,
        channel: channelRef(channel),
        ...(partyRef ? { relatedParty: [partyRef] } : {}),
        ...input.ticket,
      },
      now,
    );
    const ticket = await insertResource(
      tx,
      TROUBLE_TICKET,
      tenantId,
      doc,
      input.agreementId ?? null,
      now,
      input.events,
    );
    ticketId = ticket.id as string;
    assignee = await nextAssignee(tx, tenantId, channel, now);
    await tx
      .insertInto('crm_ticket_desk')
      .values({
        tenant_id: tenantId,
        ticket_id: ticketId,
        channel,
        source,
        connector_id: input.connectorId,
        thread_id: threadId,
        party_id: matched?.id ?? null,
        assignee,
        reply_to: JSON.stringify(message.replyTo ?? {}),
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  const sentAt = message.sentAt ?? now;
  const interaction = await insertResource(
    tx,
    PARTY_INTERACTION,
    tenantId,
    {
      '@type': 'PartyInteraction',
      creationDate: now,
      interactionDate: { startDateTime: sentAt, endDateTime: sentAt },
      reason,
      ...(message.subject ? { description: message.subject } : {}),
      status: 'completed',
      direction: 'inbound',
      channel: [channelRef(channel)],
      ...(partyRef ? { relatedParty: [partyRef] } : {}),
      note: [
        {
          author:
            message.from.name ?? message.from.email ?? message.from.phone ?? message.from.handle ?? 'sender',
          date: sentAt,
          text: message.text,
        },
        ...(input.notes ?? []),
      ],
      interactionItem: [{ item: { id: ticketId, '@referredType': 'TroubleTicket', role: 'ticket' } }],
    },
    input.agreementId ?? null,
    now,
    input.events,
  );
  const messageId = randomUUID();
  await tx
    .insertInto('crm_channel_messages')
    .values({
      tenant_id: tenantId,
      id: messageId,
      source,
      external_id: message.externalId,
      connector_id: input.connectorId,
      channel,
      direction: 'inbound',
      thread_id: threadId,
      ticket_id: ticketId,
      interaction_id: interaction.id as string,
      party_id: matched?.id ?? null,
      sender: JSON.stringify(message.from),
      subject: message.subject ?? null,
      body: message.text,
      provider_id: null,
      status: 'received',
      detail: message.replyTo ? JSON.stringify(message.replyTo) : null,
      sent_at: sentAt,
      created_at: now,
    })
    .execute();
  return {
    messageId,
    ticketId,
    interactionId: interaction.id as string,
    partyId: matched?.id ?? null,
    threadId,
    opened: !open,
    assignee,
    replay: false,
  };
}
