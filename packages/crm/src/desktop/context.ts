import { randomUUID } from 'node:crypto';
import type { Database } from '@parley/store';
import { parseDoc } from '../agreement/records.js';
import { alertsFor, heuristicChurnRisk, type Alert, type ChurnRiskProvider } from './alerts.js';
import { gatherFacts, type CustomerFacts } from './facts.js';
import {
  FACT_TYPES,
  learnWeights,
  rankFacts,
  type FactType,
  type RankedFact,
  type Weights,
} from './ranking.js';
import { reasonOf, REASON_IDS, type ReasonId } from './reasons.js';

export interface ContextAnswer {
  partyId: string;
  reason: ReasonId;
  ticketId: string | null;
  generatedAt: string;
  tookMs: number;
  customer: CustomerFacts['customer'];
  facts: RankedFact[];
  /** How many candidate facts the ten were chosen from. */
  considered: number;
  alerts: Alert[];
  churn: { risk: number; drivers: string[]; source: string };
  /** Resolved contacts the weights were learned from, for this reason. */
  learnedFrom: number;
}

const WEIGHTS_TTL_MS = 60_000;

/**
 * The desktop's context service: candidate facts gathered for a contact, ranked for its reason with weights
 * learned from the tenant's recorded resolutions (cached a minute, refreshed at once when one is recorded),
 * and the alerts for the customer at hand.
 */
export class DesktopContext {
  readonly db: Database;
  readonly #weights = new Map<string, { weights: Weights; expires: number }>();
  churnRisk: ChurnRiskProvider | undefined;
  now: () => number;

  constructor(db: Database, options: { now?: () => number; churnRisk?: ChurnRiskProvider } = {}) {
    this.db = db;
    this.now = options.now ?? Date.now;
    this.churnRisk = options.churnRisk;
  }

  async weights(tenantId: string): Promise<Weights> {
    const hit = this.#weights.get(tenantId);
    if (hit && hit.expires > Date.now()) return hit.weights;
    const rows = (await this.db.kysely
      .selectFrom('crm_contact_resolutions')
      .select(['reason', 'fact_type', (eb) => eb.fn.countAll().as('n')])
      .where('tenant_id', '=', tenantId)
      .groupBy(['reason', 'fact_type'])
      .execute()) as { reason: string; fact_type: string; n: number | string }[];
    const weights = learnWeights(
      rows.map((r) => ({
        reason: r.reason as ReasonId,
        factType: r.fact_type as FactType,
        count: Number(r.n),
      })),
    );
    this.#weights.set(tenantId, { weights, expires: Date.now() + WEIGHTS_TTL_MS });
    return weights;
  }

  /** The ticket's party and reason (its type or name), when the contact is a ticket. */
  async ticket(tenantId: string, ticketId: string) {
    const row = (await this.db.kysely
      .selectFrom('crm_tickets')
      .select(['party_id', 'ticket_type', 'doc'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', ticketId)
      .executeTakeFirst()) as
      { party_id: string | null; ticket_type: string | null; doc: unknown } | undefined;
    if (!row) return undefined;
    const doc = parseDoc(row.doc);
    const typed = reasonOf(row.ticket_type);
    return {
      partyId: row.party_id,
      reason:
        typed !== 'other' ? typed : reasonOf(`${String(doc.name ?? '')} ${String(doc.description ?? '')}`),
    };
  }

  async context(tenantId: string, partyId: string, reason: ReasonId, ticketId: string | null = null) {
    const started = performance.now();
    const now = this.now();
    const gathered = await gatherFacts(this.db.kysely, tenantId, partyId, reason, now);
    if (!gathered) return undefined;
    const weights = await this.weights(tenantId);
    const churn = (await this.churnRisk?.(tenantId, partyId, gathered)) ?? heuristicChurnRisk(gathered, now);
    const answer: ContextAnswer = {
      partyId,
      reason,
      ticketId,
      generatedAt: new Date(now).toISOString(),
      tookMs: 0,
      customer: gathered.customer,
      facts: rankFacts(gathered.facts, reason, weights, now),
      considered: gathered.facts.length,
      alerts: alertsFor(gathered, churn, now),
      churn,
      learnedFrom: weights.n[reason],
    };
    answer.tookMs = Math.round((performance.now() - started) * 100) / 100;
    return answer;
  }

  /** Records which fact resolved a contact: the next weights learn from it. */
  async resolve(
    tenantId: string,
    input: { partyId: string; reason: ReasonId; factType: FactType; factId: string; ticketId?: string },
    resolvedBy: string,
  ): Promise<{ id: string; resolvedAt: string } | { unknown: 'partyId' | 'ticketId' }> {
    if (
      !(REASON_IDS as string[]).includes(input.reason) ||
      !(FACT_TYPES as readonly string[]).includes(input.factType)
    )
      throw new Error('reason or fact type unknown');
    const exists = async (table: string, id: string) =>
      (await this.db.kysely
        .selectFrom(table)
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst()) !== undefined;
    // A resolution teaches the weights: only one about this tenant's own party (and ticket) counts.
    if (!(await exists('crm_parties', input.partyId))) return { unknown: 'partyId' };
    if (input.ticketId && !(await exists('crm_tickets', input.ticketId))) return { unknown: 'ticketId' };
    const id = randomUUID();
    const resolvedAt = new Date(this.now()).toISOString();
    await this.db.kysely
      .insertInto('crm_contact_resolutions')
      .values({
        tenant_id: tenantId,
        id,
        party_id: input.partyId,
        ticket_id: input.ticketId ?? null,
        reason: input.reason,
        fact_type: input.factType,
        fact_id: input.factId,
        resolved_by: resolvedBy,
        resolved_at: resolvedAt,
      })
      .execute();
    this.#weights.delete(tenantId);
    return { id, resolvedAt };
  }
}
