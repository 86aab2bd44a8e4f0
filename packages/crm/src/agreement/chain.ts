import { ChainError, EventChain, type ChainStore } from '@parley/protocol';
import type { AnyKysely } from '@parley/store';

/**
 * The protocol's ChainStore on the CRM database, for one event: the SISA's head (kept in
 * `crm_agreements.head_event_id`) and the agreements of the event and of its `previousId` are read before the
 * check (ChainStore is synchronous), and the new head is written in the transaction that stores the event,
 * conditionally on the head being the one read: a concurrent writer in another process makes it a fork.
 */
export class DatabaseChainStore implements ChainStore {
  readonly #tenantId: string;
  readonly #sisaId: string;
  readonly #head: string | null;
  readonly #known: Map<string, string>;
  #committed: string | undefined;

  private constructor(tenantId: string, sisaId: string, head: string | null, known: Map<string, string>) {
    this.#tenantId = tenantId;
    this.#sisaId = sisaId;
    this.#head = head;
    this.#known = known;
  }

  /** Reads what checking `eventId` (after `previousId`) on the SISA's chain needs. */
  static async load(
    db: AnyKysely,
    tenantId: string,
    sisaId: string,
    head: string | null,
    eventId: string,
    previousId: string | null,
  ): Promise<DatabaseChainStore> {
    const ids = previousId === null ? [eventId] : [eventId, previousId];
    const rows = (await db
      .selectFrom('crm_agreement_events')
      .select(['event_id', 'sisa_id'])
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', ids)
      .execute()) as { event_id: string; sisa_id: string }[];
    return new DatabaseChainStore(tenantId, sisaId, head, new Map(rows.map((r) => [r.event_id, r.sisa_id])));
  }

  head(agreementId: string): string | null {
    return agreementId === this.#sisaId ? this.#head : null;
  }

  agreementOf(eventId: string): string | undefined {
    return this.#known.get(eventId);
  }

  commit(agreementId: string, eventId: string): void {
    if (agreementId !== this.#sisaId) throw new Error('DatabaseChainStore: loaded for another SISA');
    this.#committed = eventId;
  }

  /** Writes the new head inside `tx`; a head changed since it was read is a fork (409). */
  async persist(tx: AnyKysely, now: string): Promise<void> {
    if (this.#committed === undefined) throw new Error('DatabaseChainStore: nothing committed');
    let q = tx
      .updateTable('crm_agreements')
      .set({ head_event_id: this.#committed, updated_at: now })
      .where('tenant_id', '=', this.#tenantId)
      .where('sisa_id', '=', this.#sisaId);
    q =
      this.#head === null ? q.where('head_event_id', 'is', null) : q.where('head_event_id', '=', this.#head);
    const result = await q.executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new ChainError(
        'audit.previousId',
        'the chain moved on while this event was checked (fork)',
        'fork',
      );
    }
  }
}

/** Checks that the event extends the chain as loaded and records it as the head (to be persisted). */
export function extendChain(
  store: DatabaseChainStore,
  event: { agreementId: string; eventId: string; previousId: string | null },
): void {
  new EventChain(store).append(event);
}
