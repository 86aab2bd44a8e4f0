import { randomUUID } from 'node:crypto';
import type { AnyKysely } from '@parley/store';

/** A desk user tickets are assigned to. */
export interface DeskAgent {
  id: string;
  name: string;
  channels: string[];
  skills: string[];
  supervisor: boolean;
  active: boolean;
  lastAssignedAt: string | null;
  createdAt: string;
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

function agentOf(r: Record<string, unknown>): DeskAgent {
  return {
    id: r.id as string,
    name: r.name as string,
    channels: JSON.parse(r.channels as string) as string[],
    skills: JSON.parse(r.skills as string) as string[],
    supervisor: Number(r.supervisor) === 1,
    active: Number(r.active) === 1,
    lastAssignedAt: iso(r.last_assigned_at),
    createdAt: iso(r.created_at) as string,
  };
}

export async function deskAgents(db: AnyKysely, tenantId: string): Promise<DeskAgent[]> {
  const rows = (await db
    .selectFrom('crm_desk_agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()) as Record<string, unknown>[];
  return rows.map(agentOf);
}

export async function addDeskAgent(
  db: AnyKysely,
  tenantId: string,
  agent: { name: string; channels?: string[]; skills?: string[]; supervisor?: boolean },
  now: string,
): Promise<DeskAgent> {
  const row = {
    tenant_id: tenantId,
    id: randomUUID(),
    name: agent.name,
    channels: JSON.stringify(agent.channels ?? []),
    skills: JSON.stringify(agent.skills ?? []),
    supervisor: agent.supervisor ? 1 : 0,
    active: 1,
    last_assigned_at: null,
    created_at: now,
  };
  await db.insertInto('crm_desk_agents').values(row).execute();
  return agentOf(row);
}

/** Oldest assignment first (never assigned before all), then the order they joined the desk. */
const byTurn = (a: DeskAgent, b: DeskAgent) =>
  (a.lastAssignedAt ?? '').localeCompare(b.lastAssignedAt ?? '') ||
  a.createdAt.localeCompare(b.createdAt) ||
  a.id.localeCompare(b.id);

/**
 * Round robin: the active desk agent (not a supervisor, unless there are only supervisors) who takes the
 * channel (an empty list takes every channel) and whose last assignment is the oldest. Their turn is taken.
 */
export async function nextAssignee(
  tx: AnyKysely,
  tenantId: string,
  channel: string | null,
  now: string,
): Promise<string | null> {
  const all = (await deskAgents(tx, tenantId)).filter(
    (a) => a.active && (a.channels.length === 0 || (channel !== null && a.channels.includes(channel))),
  );
  const workers = all.some((a) => !a.supervisor) ? all.filter((a) => !a.supervisor) : all;
  const next = workers.sort(byTurn)[0];
  if (!next) return null;
  await tx
    .updateTable('crm_desk_agents')
    .set({ last_assigned_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', next.id)
    .execute();
  return next.id;
}

/** Sets a ticket's assignee (making its desk row when the ticket came in through no channel connector). */
export async function assignTicket(
  tx: AnyKysely,
  tenantId: string,
  ticketId: string,
  assignee: string | null,
  now: string,
): Promise<void> {
  const updated = await tx
    .updateTable('crm_ticket_desk')
    .set({ assignee, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await tx
      .insertInto('crm_ticket_desk')
      .values({ tenant_id: tenantId, ticket_id: ticketId, assignee, created_at: now, updated_at: now })
      .execute();
  }
}

/**
 * The queue's escalation rule on top of the SLA clock's: a ticket escalated to level 2 or more goes to a
 * supervisor, when the desk has one (round robin among supervisors taking its channel). Called inside the
 * escalation's transaction.
 */
export async function escalateToSupervisor(
  tx: AnyKysely,
  tenantId: string,
  ticketId: string,
  level: number,
  now: string,
): Promise<void> {
  if (level < 2) return;
  const desk = (await tx
    .selectFrom('crm_ticket_desk')
    .select(['channel', 'assignee'])
    .where('tenant_id', '=', tenantId)
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst()) as { channel: string | null; assignee: string | null } | undefined;
  const agents = await deskAgents(tx, tenantId);
  if (agents.some((a) => a.id === desk?.assignee && a.supervisor)) return;
  const channel = desk?.channel ?? null;
  const supervisor = agents
    .filter(
      (a) =>
        a.active &&
        a.supervisor &&
        (a.channels.length === 0 || (channel !== null && a.channels.includes(channel))),
    )
    .sort(byTurn)[0];
  if (!supervisor) return;
  await tx
    .updateTable('crm_desk_agents')
    .set({ last_assigned_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', supervisor.id)
    .execute();
  await assignTicket(tx, tenantId, ticketId, supervisor.id, now);
}
