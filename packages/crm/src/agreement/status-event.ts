import {
  confirmTermination,
  type AgreementStatus,
  type AgreementTermination,
  type Feedback,
  type SignedMessage,
} from '@parley/protocol';
import { INDIVIDUAL } from '../party/party.js';
import { takeIn } from '../channels/intake.js';
import { heldValues } from './data-event.js';
import { agreementData, partyResource } from './data-export.js';
import { refused } from './errors.js';
import type { EventInput, EventPlan } from './event-plan.js';
import { markTerminated, removeValues } from './individual.js';
import { terminationConfirmationRecord } from './ledger.js';
import { personMessage } from './permission-event.js';
import { readResource, updateResource } from './records.js';

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
 * Feedback: the person's agent is a channel like the others. Every Feedback goes through the channels'
 * process (channels/intake.ts): a TMF683 interaction on the `agent` channel linked to the party, threaded into
 * the open ticket it answers (its `inReplyTo` names a reply of the vendor's) or a new TMF621 ticket with the
 * SLA clock of any ticket, in the desk's queue. The vendor answers with a signed Feedback (channels/reply.ts).
 */
async function planFeedback(input: EventInput): Promise<EventPlan> {
  const { ctx, tenant, row, now } = input;
  const feedback = personMessage<SignedMessage<Feedback>>(input, 'Feedback');
  return {
    messageType: 'Feedback',
    async write(tx) {
      await takeIn(tx, {
        tenantId: tenant.id,
        channel: AGENT_CHANNEL.id,
        source: `agent:${row.id}`,
        connectorId: null,
        partyId: row.partyId,
        partyType: 'Individual',
        agreementId: row.id,
        message: {
          externalId: feedback.id,
          ...(feedback.inReplyTo ? { inReplyTo: feedback.inReplyTo } : {}),
          from: { name: 'the person, through her Parley agent' },
          subject: feedback.subject,
          text: feedback.body,
          sentAt: feedback.createdAt,
          reason: feedback.kind,
          replyTo: { agreementId: row.id, feedbackId: feedback.id },
        },
        ticket: { externalId: feedback.id },
        notes: feedback.inReplyTo
          ? [{ author: 'Parley', date: now, text: `In reply to ${feedback.inReplyTo}` }]
          : [],
        now,
        dbKind: ctx.db.kind,
        ...(ctx.events ? { events: ctx.events } : {}),
      });
    },
  };
}
