import {
  checkAgainstAgreement,
  messageHash,
  validateAcknowledgedSisaEvent,
  validateParleyMessage,
  verifyConsentReceipt,
  type AgreementTermination,
  type JlincEvent,
  type PermissionChange,
  type SignedMessage,
  type TerminationConfirmation,
  type ValidatedSisa,
} from '@parley/protocol';
import type { LedgerReceipt } from '@parley/ledger';
import { VendorAnswerError } from '../vendor/identity.js';
import { verifyVendorReceipt } from './negotiate.js';
import type { Delivery, RelationshipRecord } from './types.js';

export interface CheckedAcknowledgement {
  acknowledged: JlincEvent;
  ledger: LedgerReceipt;
  consentReceipt?: string;
  confirmation?: SignedMessage<TerminationConfirmation>;
  returnedData?: unknown;
}

/**
 * Checks the vendor's answer to one event: its acknowledgement signs exactly the event sent, its ledger
 * receipt proves the acknowledged event is in its log, and what comes with it (a consent receipt for a
 * permission change, a signed confirmation for a termination) is signed by the vendor and names this event.
 */
export function checkAcknowledgement(
  value: unknown,
  delivery: Delivery,
  relationship: RelationshipRecord,
  sisa: ValidatedSisa,
): CheckedAcknowledgement {
  if (typeof value !== 'object' || value === null)
    throw new VendorAnswerError('answer', 'expected an object');
  const body = value as Record<string, unknown>;
  const event = delivery.event as JlincEvent;
  const ack = validateAcknowledgedSisaEvent(body.acknowledged, { sisa, knownEvent: event });
  if (ack.eventId !== event.audit.eventId)
    throw new VendorAnswerError('acknowledged.audit.eventId', 'is not the event sent');
  const acknowledged = body.acknowledged as JlincEvent;
  const ledger = verifyVendorReceipt(
    body.ledger,
    relationship.vendor,
    { type: 'sisaEvent', eventId: ack.eventId, dataCustodianSig: acknowledged.audit.dataCustodianSig },
    'ledger',
  );
  const out: CheckedAcknowledgement = { acknowledged, ledger };
  const agreement = relationship.agreement;
  if (delivery.kind === 'permissions') {
    if (typeof body.consentReceipt !== 'string')
      throw new VendorAnswerError('consentReceipt', 'expected a consent receipt for the permission change');
    const receipt = verifyConsentReceipt(body.consentReceipt, relationship.vendor.did);
    if (
      receipt.receipt.parley.messageHash !== messageHash(delivery.payload as SignedMessage<PermissionChange>)
    )
      throw new VendorAnswerError(
        'consentReceipt.parley.messageHash',
        'does not record this permission change',
      );
    out.consentReceipt = body.consentReceipt;
  }
  if (delivery.kind === 'termination' && agreement) {
    const confirmation = validateParleyMessage<TerminationConfirmation>(body.confirmation, {
      type: 'TerminationConfirmation',
    });
    checkAgainstAgreement(confirmation, agreement);
    if (confirmation.from !== relationship.vendor.did)
      throw new VendorAnswerError('confirmation.from', 'is not the vendor');
    const termination = delivery.payload as SignedMessage<AgreementTermination>;
    if (confirmation.terminationHash !== messageHash(termination))
      throw new VendorAnswerError('confirmation.terminationHash', 'does not name this termination');
    out.confirmation = confirmation;
    if (termination.dataDisposition === 'return') out.returnedData = body.returnedData ?? null;
  }
  return out;
}
