import {
  confirmTermination,
  type AgreementStatus,
  type AgreementTermination,
  type Feedback,
  type SignedMessage,
} from '@parley/protocol';
import { INDIVIDUAL } from '../party/party.js';
import { PARTY_INTERACTION } from '../interaction/interaction.js';
import { TROUBLE_TICKET } from '../ticket/ticket.js';
import { heldValues } from './data-event.js';
import { agreementData, partyResource } from './data-export.js';
import { refused } from './errors.js';
import type { EventInput, EventPlan } from './event-plan.js';
import { markTerminated, removeValues } from './individual.js';
import { terminationConfirmationRecord } from './ledger.js';
import { personMessage } from './permission-event.js';
import { hrefOf, insertResource, readResource, updateResource, type Doc } from './records.js';

/** The channel of what arrives from the person's agent (TMF683 `channel[].id`, one of interaction CHANNELS). */
export const AGENT_CHANNEL = { id: 'agent', href: '/channel/agent', name: 'Parley agent' };

/** A statusEvent carries a signed AgreementTermination, Feedback or AgreementStatus. */
export async function planStatusEvent(input: EventInput): Promise<EventPlan> {
  switch (input.payload.type) {
    case 'AgreementTermination':
      return planTermination(input);
    case 'Feedback':
      return planFeedback(input);
    case 'AgreementStatus': {
      const status = personMessage<SignedMessage<AgreementStatus>>(input, 'AgreementStatus');
      return {
        messageType: 'AgreementStatus',
        async write(tx) {
          await tx
            .updateTable('crm_agreements')
            .set({ person_status: status.status, updated_at: input.now })
            .where('tenant_id', '=', input.tenant.id)
            .where('id', '=', input.row.id)
            .execute();
        },
      };
    }
    default:
      throw refused(
        422,
        'payload.type: a statusEvent carries an AgreementTermination, a Feedback or an AgreementStatus',
        'payload.type',
        'type',
      );
  }
}

/**
 * Termination: the values held under the agreement are destroyed (and, for `return`, sent back first), the
 * contact data they put on the party is removed, the agreement ends, and the vendor signs a
 * TerminationConfirmation whose summary counts fields and events (never data). Stored answers of earlier
 * events, which carry their data, are dropped.
 */
async function planTermination(input: EventInput): Promise<EventPlan> {
  const { ctx, tenant, vendor, row, now } = input;
  const termination = personMessage<SignedMessage<AgreementTermination>>(input, 'AgreementTermination');
  const db = ctx.db.kysely;
  const held = await heldValues(db, tenant.id, row.id);
  const counted = (await db
    .selectFrom('crm_agreement_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('tenant_id', '=', tenant.id)
    .where('agreement_id', '=', row.id)
    .where('message_type', '=', 'data')
    .executeTakeFirst()) as { n: number | string };
  const events = Number(counted.n);
  const fields = held.map((h) => h.field);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary =
    `${termination.dataDisposition === 'return' ? 'Returned, then destroyed' : 'Destroyed'} ` +
    `${plural(fields.length, 'field')}${fields.length ? ` (${fields.join(', ')})` : ''} received in ` +
    `${plural(events, 'data event')}; contact data received under this agreement removed from the party record.`;
  const confirmation = confirmTermination(row.agreement, termination, vendor, summary);
  const returnedData =
    termination.dataDisposition === 'return'
      ? {
          agreementId: row.id,
          party: await partyResource(db, tenant.id, row.partyId),
          agreement: agreementData(row, held),
        }
      : undefined;
  return {
    messageType: 'AgreementTermination',
    records: [terminationConfirmationRecord(confirmation, { fields: fields.length, records: events })],
    answer: { confirmation },
    ...(returnedData ? { transient: { returnedData } } : {}),
    afterCommit: () => ctx.afterAgreementChange?.(tenant, row.id, 'terminated'),
    async write(tx) {
      const before = await readResource(tx, INDIVIDUAL, tenant.id, row.partyId);
      if (before) {
        const after = markTerminated(removeValues(before, row.agreement.schema, held), row.id);
        await updateResource(tx, INDIVIDUAL, tenant.id, row.partyId, before, after, now, ctx.events);
      }
      await tx
        .deleteFrom('crm_agreement_data')
        .where('tenant_id', '=', tenant.id)
        .where('agreement_id', '=', row.id)
        .execute();
      await tx
        .updateTable('crm_agreement_events')
        .set({ response: null })
        .where('tenant_id', '=', tenant.id)
        .where('agreement_id', '=', row.id)
        .execute();
      await tx
        .updateTable('crm_agreements')
        .set({ status: 'terminated', terminated_at: now, updated_at: now })
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', row.id)
        .execute();
    },
  };
}

/**
 * Feedback: a TMF683 party interaction on the `agent` channel, linked to the party; an error report also
 * opens a TMF621 trouble ticket (with the SLA clock of any ticket) that the interaction names.
 */
async function planFeedback(input: EventInput): Promise<EventPlan> {
  const { ctx, tenant, row, now } = input;
  const feedback = personMessage<SignedMessage<Feedback>>(input, 'Feedback');
  const party = {
    id: row.partyId,
    href: hrefOf(INDIVIDUAL, row.partyId),
    '@referredType': 'Individual',
    role: 'customer',
  };
  const ticket =
    feedback.kind === 'error-report'
      ? await TROUBLE_TICKET.check?.(ctx.db, tenant.id, {
          '@type': 'TroubleTicket',
          name: feedback.subject,
          description: feedback.body,
          severity: 'minor',
          ticketType: 'error-report',
          externalId: feedback.id,
          channel: { id: AGENT_CHANNEL.id, name: AGENT_CHANNEL.name },
          relatedParty: [party],
        })
      : undefined;
  const interaction = (ticketId?: string): Doc => ({
    '@type': 'PartyInteraction',
    creationDate: now,
    interactionDate: { startDateTime: feedback.createdAt, endDateTime: feedback.createdAt },
    reason: feedback.kind,
    description: feedback.subject,
    status: 'completed',
    direction: 'inbound',
    channel: [AGENT_CHANNEL],
    relatedParty: [party],
    note: [
      { author: 'the person, through her Parley agent', date: feedback.createdAt, text: feedback.body },
      ...(feedback.inReplyTo
        ? [{ author: 'Parley', date: now, text: `In reply to ${feedback.inReplyTo}` }]
        : []),
    ],
    ...(ticketId
      ? { interactionItem: [{ item: { id: ticketId, '@referredType': 'TroubleTicket', role: 'ticket' } }] }
      : {}),
  });
  return {
    messageType: 'Feedback',
    async write(tx) {
      const created = ticket
        ? await insertResource(tx, TROUBLE_TICKET, tenant.id, ticket, row.id, now, ctx.events)
        : undefined;
      await insertResource(
        tx,
        PARTY_INTERACTION,
        tenant.id,
        interaction(created?.id as string | undefined),
        row.id,
        now,
        ctx.events,
      );
    },
  };
}
