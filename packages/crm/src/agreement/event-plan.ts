import type { Party } from '@parley/protocol';
import type { AnyKysely } from '@parley/store';
import type { Tenant } from './profile.js';
import type { AgreementRow, VendorContext } from './vendor.js';

/** What an event handler is given: the event checked (signature, chain), its agreement, who the vendor is. */
export interface EventInput {
  ctx: VendorContext;
  tenant: Tenant;
  vendor: Party;
  row: AgreementRow;
  eventId: string;
  payload: Record<string, unknown>;
  now: string;
}

/**
 * What an event does, decided before anything is written: every check has passed when a plan exists. The
 * ledger records beyond the event's own, the members the answer adds, and the writes of the event's
 * transaction. `transient` members are sent once and never stored (data returned at termination).
 */
export interface EventPlan {
  /** Parley message type of the payload, or `data`. */
  messageType: string;
  records?: object[];
  answer?: Record<string, unknown>;
  transient?: Record<string, unknown>;
  /** A data event: the names of the fields it carried (kept with the event; never the values). */
  fields?: string[];
  write(tx: AnyKysely): Promise<void>;
  /** Runs once the event's transaction has committed (must not throw). */
  afterCommit?(): void;
}
