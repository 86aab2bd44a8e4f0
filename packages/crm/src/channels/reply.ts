import { randomUUID } from 'node:crypto';
import { sendFeedback, type Feedback, type SignedMessage } from '@parley/protocol';
import { insertResource, parseDoc, updateResource, type Doc } from '../agreement/records.js';
import { agreementById, nowOf, type VendorContext } from '../agreement/vendor.js';
import { HttpProblem, notFound, unprocessable } from '../http/problem.js';
import { OutboundError } from '../intent/outbound.js';
import { PARTY_INTERACTION } from '../interaction/interaction.js';
import { ticketClock, TROUBLE_TICKET } from '../ticket/ticket.js';
import { adapterOf, ChannelPayloadError, type ConnectorKind, type PostJson } from './connector.js';
import { connectorById } from './connectors.js';
import { channelRef } from './intake.js';

export interface Replied {
  messageId: string;
  interactionId: string;
  channel: string;
  /** The provider's id of what was sent (a status id, a Message-ID), or the signed Feedback's id. */
  providerId: string | null;
  /** This reply stopped the ticket's response clock. */
  firstResponse: boolean;
  respondedAt: string | null;
}

interface DeskRow {
  channel: string | null;
  source: string | null;
  connector_id: string | null;
  thread_id: string | null;
  party_id: string | null;
  reply_to: string | null;
}

/**
 * Sends a reply to a ticket through the channel it came in on: the connector's provider (email, chat,
 * Mastodon), the self-care inbox, or, for the person's agent, a Feedback signed by the vendor and kept as a
 * notice. Then, in one transaction: the message, an outbound TMF683 interaction, and on the first reply the
 * ticket moves from acknowledged to inProgress (which is what stops its response clock). Nothing is written
 * when the provider refuses (502).
 */
export async function replyToTicket(
  ctx: VendorContext,
  post: PostJson,
  tenantId: string,
  ticketId: string,
  text: string,
  author: string,
): Promise<Replied> {
  const db = ctx.db.kysely;
  const ticketRow = (await db
    .selectFrom('crm_tickets')
    .select(['doc', 'agreement_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', ticketId)
    .executeTakeFirst()) as { doc: unknown; agreement_id: string | null } | undefined;
  if (!ticketRow) throw notFound(`id: no TroubleTicket ${ticketId}`, 'id');
  const desk = (await db
    .selectFrom('crm_ticket_desk')
    .select(['channel', 'source', 'connector_id', 'thread_id', 'party_id', 'reply_to'])
    .where('tenant_id', '=', tenantId)
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst()) as DeskRow | undefined;
  if (!desk?.channel || !desk.source || !desk.thread_id)
    throw unprocessable('id: this ticket came in on no channel, so there is nowhere to reply', 'id');
  const { channel, source } = desk;
  const threadId = desk.thread_id;
  const last = (await db
    .selectFrom('crm_channel_messages')
    .select(['external_id'])
    .where('tenant_id', '=', tenantId)
    .where('ticket_id', '=', ticketId)
    .where('direction', '=', 'inbound')
    .orderBy('sent_at', 'desc')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()) as { external_id: string } | undefined;
  const replyTo = desk.reply_to ? (JSON.parse(desk.reply_to) as Record<string, unknown>) : {};
  const ticket = parseDoc(ticketRow.doc);
  const subject = String(ticket.name ?? ticket.description ?? '').slice(0, 190);
  const id = channel === 'email' ? `<${randomUUID()}@parley.invalid>` : randomUUID();

  let providerId: string | null = null;
  let feedback: SignedMessage<Feedback> | undefined;
  if (channel === 'agent') {
    const agreementId = source.slice('agent:'.length);
    const agreement = await agreementById(db, tenantId, agreementId);
    if (!agreement) throw unprocessable('id: the agreement this ticket came under is gone', 'id');
    if (agreement.status !== 'active')
      throw new HttpProblem(
        409,
        'Conflict',
        'id: the agreement this ticket came under has ended; the person cannot be answered over it',
        'id',
        'terminated',
      );
    feedback = sendFeedback(
      agreement.agreement,
      ctx.keys.forTenant(tenantId),
      {
        kind: 'feedback',
        subject: /^re:/i.test(subject) ? subject : `Re: ${subject}`,
        body: text,
        ...(last && /^[A-Za-z0-9_.:-]{1,200}$/.test(last.external_id) ? { inReplyTo: last.external_id } : {}),
      },
      ctx.clock,
    );
    providerId = feedback.id;
  } else if (channel !== 'selfcare') {
    if (!desk.connector_id) throw unprocessable('id: the connector this ticket came in on is gone', 'id');
    const connector = await connectorById(db, tenantId, desk.connector_id);
    if (!connector) throw unprocessable('id: the connector this ticket came in on was deleted', 'id');
    try {
      providerId =
        (await adapterOf(connector.kind as ConnectorKind, connector.settings).send(
          {
            id,
            text,
            subject,
            threadId,
            replyTo,
            ...(last ? { inReplyTo: last.external_id } : {}),
          },
          connector.settings,
          post,
        )) ?? null;
    } catch (error) {
      if (error instanceof OutboundError || error instanceof ChannelPayloadError)
        throw new HttpProblem(
          502,
          'Bad Gateway',
          `connector: the ${channel} provider did not take the reply (${error.message})`,
          'connector',
          'not-delivered',
        );
      throw error;
    }
  }

  const now = nowOf(ctx).toISOString();
  const messageId = randomUUID();
  let firstResponse = false;
  let respondedAt: string | null = null;
  const interactionId = await db.transaction().execute(async (tx) => {
    const partyRef = desk.party_id
      ? (ticket.relatedParty as Doc[] | undefined)?.find((p) => p.id === desk.party_id)
      : undefined;
    const interaction = await insertResource(
      tx,
      PARTY_INTERACTION,
      tenantId,
      {
        '@type': 'PartyInteraction',
        creationDate: now,
        interactionDate: { startDateTime: now, endDateTime: now },
        reason: String(ticket.ticketType ?? 'reply'),
        description: `Reply: ${subject}`.slice(0, 200),
        status: 'completed',
        direction: 'outbound',
        channel: [channelRef(channel)],
        ...(partyRef ? { relatedParty: [partyRef] } : {}),
        note: [{ author, date: now, text }],
        interactionItem: [{ item: { id: ticketId, '@referredType': 'TroubleTicket', role: 'ticket' } }],
      },
      ticketRow.agreement_id,
      now,
      ctx.events,
    );
    await tx
      .insertInto('crm_channel_messages')
      .values({
        tenant_id: tenantId,
        id: messageId,
        source,
        external_id: id,
        connector_id: desk.connector_id,
        channel,
        direction: 'outbound',
        thread_id: threadId,
        ticket_id: ticketId,
        interaction_id: interaction.id as string,
        party_id: desk.party_id,
        sender: JSON.stringify({ name: author }),
        subject,
        body: text,
        provider_id: providerId,
        status: channel === 'selfcare' || channel === 'agent' ? 'stored' : 'sent',
        detail: feedback ? JSON.stringify(feedback) : null,
        sent_at: now,
        created_at: now,
      })
      .execute();
    // The first reply is the response: acknowledged → inProgress, the first change the response clock counts.
    const current = (await tx
      .selectFrom('crm_tickets')
      .select('doc')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', ticketId)
      .executeTakeFirst()) as { doc: unknown };
    const before = parseDoc(current.doc);
    const clock = ticketClock(before);
    respondedAt = clock.respondedAt;
    if (!clock.respondedAt && before.status === 'acknowledged') {
      const change = {
        status: 'inProgress',
        changeDate: now,
        changeReason: `First reply sent on ${channel}`,
      };
      const after: Doc = {
        ...before,
        status: 'inProgress',
        statusChangeDate: now,
        lastUpdate: now,
        statusChange: [...((before.statusChange as Doc[] | undefined) ?? []), change],
      };
      await updateResource(tx, TROUBLE_TICKET, tenantId, ticketId, before, after, now, ctx.events);
      firstResponse = true;
      respondedAt = now;
    }
    return interaction.id as string;
  });
  return { messageId, interactionId, channel, providerId, firstResponse, respondedAt };
}

/** The vendor's signed Feedback replies under an agreement, oldest first, as notices for her agent. */
export async function feedbackNotices(ctx: VendorContext, tenantId: string, agreementId: string) {
  const rows = (await ctx.db.kysely
    .selectFrom('crm_channel_messages')
    .select(['detail', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('source', '=', `agent:${agreementId}`)
    .where('direction', '=', 'outbound')
    .orderBy('created_at')
    .orderBy('id')
    .execute()) as { detail: string | null; created_at: unknown }[];
  return rows.flatMap((r) =>
    r.detail
      ? [
          {
            type: 'Feedback' as const,
            message: JSON.parse(r.detail) as SignedMessage<Feedback>,
            sentAt: new Date(r.created_at as string).toISOString(),
          },
        ]
      : [],
  );
}
