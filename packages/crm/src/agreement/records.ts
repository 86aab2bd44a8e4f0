import { randomUUID } from 'node:crypto';
import type { AnyKysely } from '@parley/store';
import { tmfValidator } from '../csv/validate.js';
import { tmfBasePath } from '../tmf/schemas.js';
import type { ResourceEventSink, ResourceSpec } from '../tmf/resource.js';

export type Doc = Record<string, unknown>;

export const parseDoc = (doc: unknown): Doc => (typeof doc === 'string' ? JSON.parse(doc) : doc) as Doc;

/** The href of a TMF resource, as the API serves it. */
export const hrefOf = (spec: ResourceSpec, id: string) => `${tmfBasePath(spec.api)}${spec.path}/${id}`;

/**
 * Every document the CRM writes itself must pass its TMF create definition, as one a client POSTs does: a
 * staff PATCH of it is checked against that definition.
 */
function requireValid(spec: ResourceSpec, doc: Doc): void {
  const validate = tmfValidator(spec.api, spec.createDefinition);
  if (!validate(doc)) {
    const error = validate.errors?.[0];
    throw new Error(
      `${spec.type} written by the agreement code is not valid: ${error?.instancePath} ${error?.message}`,
    );
  }
}

/**
 * Writes a TMF resource the way its POST route does (derived columns, `doc`, the hub's notification in the
 * same transaction), for records the CRM makes itself from protocol messages. `agreementId` is the record's
 * provenance.
 */
export async function insertResource(
  tx: AnyKysely,
  spec: ResourceSpec,
  tenantId: string,
  doc: Doc,
  agreementId: string | null,
  now: string,
  events?: ResourceEventSink,
): Promise<Doc> {
  requireValid(spec, doc);
  const id = randomUUID();
  await tx
    .insertInto(spec.table)
    .values({
      tenant_id: tenantId,
      id,
      ...spec.scope,
      ...spec.row(doc),
      agreement_id: agreementId,
      created_at: now,
      updated_at: now,
      doc: JSON.stringify(doc),
    })
    .execute();
  const resource = { id, href: hrefOf(spec, id), ...doc };
  await events?.(tx, { tenantId, api: spec.api, resourceType: spec.type, kind: 'CreateEvent', resource });
  return resource;
}

/** Replaces a resource's document (and derived columns) the way its PATCH route does. */
export async function updateResource(
  tx: AnyKysely,
  spec: ResourceSpec,
  tenantId: string,
  id: string,
  before: Doc,
  doc: Doc,
  now: string,
  events?: ResourceEventSink,
): Promise<void> {
  requireValid(spec, doc);
  await tx
    .updateTable(spec.table)
    .set({ ...spec.row(doc), updated_at: now, doc: JSON.stringify(doc) })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
  await events?.(tx, {
    tenantId,
    api: spec.api,
    resourceType: spec.type,
    kind: before.status !== doc.status ? 'StateChangeEvent' : 'AttributeValueChangeEvent',
    resource: { id, href: hrefOf(spec, id), ...doc },
  });
}

/** A resource's stored document, or undefined. */
export async function readResource(
  db: AnyKysely,
  spec: ResourceSpec,
  tenantId: string,
  id: string,
): Promise<Doc | undefined> {
  let q = db.selectFrom(spec.table).select(['doc']).where('tenant_id', '=', tenantId).where('id', '=', id);
  for (const [column, value] of Object.entries(spec.scope ?? {})) q = q.where(column, '=', value);
  const row = (await q.executeTakeFirst()) as { doc: unknown } | undefined;
  return row ? parseDoc(row.doc) : undefined;
}
