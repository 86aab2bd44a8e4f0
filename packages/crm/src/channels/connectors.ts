import { randomUUID } from 'node:crypto';
import type { AnyKysely } from '@parley/store';
import type { ConnectorKind, ConnectorSettings } from './connector.js';
import { newSecret } from './signature.js';

export interface ConnectorRow {
  tenantId: string;
  id: string;
  kind: ConnectorKind;
  name: string;
  settings: ConnectorSettings;
  secret: string;
  createdAt: string;
}

function fromRow(r: Record<string, unknown>): ConnectorRow {
  return {
    tenantId: r.tenant_id as string,
    id: r.id as string,
    kind: r.kind as ConnectorKind,
    name: r.name as string,
    settings: JSON.parse(r.settings as string) as ConnectorSettings,
    secret: r.secret as string,
    createdAt: new Date(r.created_at as string).toISOString(),
  };
}

/** What staff see of a connector: never its secret or token. */
export function connectorView(c: ConnectorRow) {
  const { token, ...settings } = c.settings;
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    settings: { ...settings, tokenSet: token !== undefined },
    inboundPath: `/crm/v1/channels/${c.id}/inbound`,
    createdAt: c.createdAt,
  };
}

export async function createConnector(
  db: AnyKysely,
  tenantId: string,
  input: { kind: ConnectorKind; name: string; settings: ConnectorSettings },
  now: string,
): Promise<ConnectorRow> {
  const row = {
    tenant_id: tenantId,
    id: randomUUID(),
    kind: input.kind,
    name: input.name,
    settings: JSON.stringify(input.settings),
    secret: newSecret(),
    created_at: now,
  };
  await db.insertInto('crm_channel_connectors').values(row).execute();
  return fromRow(row);
}

export async function connectorById(
  db: AnyKysely,
  tenantId: string | undefined,
  id: string,
): Promise<ConnectorRow | undefined> {
  let q = db.selectFrom('crm_channel_connectors').selectAll().where('id', '=', id);
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  const row = (await q.executeTakeFirst()) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

export async function listConnectors(db: AnyKysely, tenantId: string): Promise<ConnectorRow[]> {
  const rows = (await db
    .selectFrom('crm_channel_connectors')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()) as Record<string, unknown>[];
  return rows.map(fromRow);
}

/** Removes a connector; its tickets and messages stay (replies to them are refused: 422). */
export async function deleteConnector(db: AnyKysely, tenantId: string, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('crm_channel_connectors')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
