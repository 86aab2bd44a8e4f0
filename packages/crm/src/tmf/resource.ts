import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { sql, type RawBuilder } from 'kysely';
import { compiledQuery, type AnyKysely, type Database } from '@parley/store';
import { badRequest, HttpProblem, notFound, unprocessable } from '../http/problem.js';
import { principalOf, requireRole, WRITERS } from '../http/authorize.js';
import type { Principal } from '../tenant/keys.js';
import { mergePatch } from './merge-patch.js';
import {
  tmfBasePath,
  tmfRef,
  tmfSchemaId,
  tmfSharedSchemas,
  type JsonSchema,
  type TmfApi,
} from './schemas.js';

/** A TM Forum resource stored in one table: which API defines it, where it lives, how its row is derived. */
export interface ResourceSpec {
  api: TmfApi;
  /** Collection path under the API base path, e.g. `/customer`. */
  path: string;
  /** The `@type` of stored resources, e.g. `Customer`, `Individual`. */
  type: string;
  createDefinition: string;
  updateDefinition: string;
  table: string;
  /** Fixed column values that scope this resource inside a shared table (e.g. kind = 'Individual'). */
  scope?: Record<string, string>;
  /** TMF attribute path -> column, for filters that should use an indexed column. */
  columns: Record<string, string>;
  /** The derived columns of a document (besides tenant_id, id, doc, timestamps). */
  row(doc: Record<string, unknown>): Record<string, unknown>;
  /**
   * Checks a document against the rest of the tenant's data (references) and may return the document to store
   * instead (server-maintained members such as a ticket's status history); throws an HttpProblem.
   * `previous` is the stored document on a PATCH.
   */
  check?(
    db: Database,
    tenantId: string,
    doc: Record<string, unknown>,
    previous?: Record<string, unknown>,
  ): Promise<Record<string, unknown> | undefined>;
  /**
   * The column naming the party a record is about (the party itself, the account holder, the service's user,
   * the ticket's customer…): a self-care key sees only records about its party, and none of a resource
   * without such a column.
   */
  partyColumn?: string;
  /** Only GET routes (the resource is computed by the server, e.g. SLA violations). */
  readOnly?: boolean;
  /** The database assigns integer ids (tables of billions of rows, such as usage records). */
  integerId?: boolean;
  /** Rebuilds the document from the columns of a row stored without one (records ingested in bulk). */
  fromColumns?(row: Record<string, unknown>): Record<string, unknown>;
}

/** Names the agreement under which the data of a write was shared; stored with the record (provenance). */
export const AGREEMENT_HEADER = 'parley-agreement';

/** A change to a resource, as TM Forum notifications name it (`CustomerCreateEvent`, ...). */
export interface ResourceEvent {
  tenantId: string;
  api: TmfApi;
  /** The resource's `@type` family as the API names it, e.g. `Customer`, `Individual`, `TroubleTicket`. */
  resourceType: string;
  kind: 'CreateEvent' | 'AttributeValueChangeEvent' | 'StateChangeEvent' | 'DeleteEvent';
  /** The resource as a client would GET it (for a delete: as it was). */
  resource: Record<string, unknown>;
}

/**
 * Receives every change inside the transaction that makes it, so that a change and its notification are
 * committed together or not at all (the hub's outbox).
 */
export type ResourceEventSink = (tx: AnyKysely, event: ResourceEvent) => Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const PAGE_DEFAULT = 100;
const PAGE_MAX = 1000;
const RESERVED = new Set(['fields', 'offset', 'limit', 'sort']);
const ATTRIBUTE = /^[A-Za-z@][A-Za-z0-9_@]*$/;

const ajv = new Ajv({ allErrors: false, strict: false });
addFormats.default(ajv);

/** The schema of `path` (dotted) inside a registered definition, or undefined when there is no such member. */
function schemaAt(
  shared: ReadonlyMap<string, JsonSchema>,
  root: string,
  path: string[],
): JsonSchema | undefined {
  const resolve = (s: JsonSchema): JsonSchema => {
    let node = s;
    while (typeof node.$ref === 'string') node = shared.get(node.$ref.replace(/#$/, '')) ?? {};
    if (Array.isArray(node.allOf)) {
      const merged: JsonSchema = { properties: {} };
      for (const part of node.allOf as JsonSchema[])
        Object.assign(merged.properties as object, resolve(part).properties ?? {});
      return merged;
    }
    return node;
  };
  let node: JsonSchema | undefined = resolve(shared.get(root) ?? {});
  for (const key of path) {
    const props = node?.properties as Record<string, JsonSchema> | undefined;
    node = props?.[key] ? resolve(props[key]) : undefined;
    if (!node) return undefined;
  }
  return node;
}

/**
 * Query values are strings; a document member may be a number or boolean. SQLite's json_extract returns
 * typed values (1/0 for booleans), PostgreSQL's #>> returns text: compare like with like.
 */
function typedFilterValues(kind: Database['kind']) {
  return (name: string, type: unknown, values: string[]): unknown[] => {
    if (type === 'boolean') {
      if (!values.every((v) => v === 'true' || v === 'false'))
        throw badRequest(`${name}: expected true or false`, name);
      return kind === 'sqlite' ? values.map((v) => (v === 'true' ? 1 : 0)) : values;
    }
    if (type === 'number' || type === 'integer') {
      if (!values.every((v) => v.trim() !== '' && Number.isFinite(Number(v))))
        throw badRequest(`${name}: expected a number`, name);
      return kind === 'sqlite' ? values.map(Number) : values.map((v) => String(Number(v)));
    }
    return values;
  };
}

export function registerResource(
  app: FastifyInstance,
  db: Database,
  spec: ResourceSpec,
  events?: ResourceEventSink,
): void {
  const base = tmfBasePath(spec.api);
  const collection = `${base}${spec.path}`;
  // The TMF definitions this resource uses, as shared schemas: validation, and components of the OpenAPI document.
  const shared = new Map<string, JsonSchema>();
  for (const schema of tmfSharedSchemas(spec.api, [spec.createDefinition, spec.updateDefinition])) {
    const id = schema.$id as string;
    shared.set(id, schema);
    if (!app.getSchema(id)) app.addSchema(schema);
    if (!ajv.getSchema(id)) ajv.addSchema(schema);
  }
  const createId = tmfSchemaId(spec.api, spec.createDefinition);
  const createSchema = tmfRef(spec.api, spec.createDefinition);
  const validateCreate = ajv.getSchema(createId) as ValidateFunction;
  // A merge patch removes a member with null: the update definition with every top-level member nullable, and
  // nothing required (the patched resource as a whole is checked against the create definition instead).
  const update = shared.get(tmfSchemaId(spec.api, spec.updateDefinition)) as JsonSchema;
  const updateSchema = {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries((update.properties ?? {}) as Record<string, JsonSchema>).map(([k, v]) => [
        k,
        { anyOf: [v, { type: 'null' }] },
      ]),
    ),
  };
  const scope = spec.scope ?? {};
  const json = db.kind === 'postgres';
  const table = spec.table;

  const hrefOf = (id: string) => `${collection}/${id}`;
  const filterValues = typedFilterValues(db.kind);
  const tags = [spec.type];
  const idParams = {
    type: 'object',
    properties: { id: { type: 'string', description: `Identifier of the ${spec.type}` } },
  };
  const listQuery = {
    type: 'object',
    additionalProperties: true,
    properties: {
      fields: {
        type: 'string',
        description: 'Comma-separated attributes to return (id, href and @type always come)',
      },
      offset: { type: 'string', description: 'Index of the first result (default 0)' },
      limit: {
        type: 'string',
        description: `Number of results (default ${PAGE_DEFAULT}, at most ${PAGE_MAX})`,
      },
    },
    description:
      'Any other simple attribute, dotted for nested ones, filters by equality; a comma gives alternatives.',
  };

  const fromRow = (row: { id: string | number; doc: unknown }): Record<string, unknown> => {
    const id = String(row.id);
    const doc =
      row.doc === null && spec.fromColumns
        ? spec.fromColumns(row)
        : ((typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc) as Record<string, unknown>);
    return { id, href: hrefOf(id), ...doc };
  };
  // Rows stored without a document need every column to be rebuilt.
  const columnsToSelect = spec.fromColumns ? [] : ['id', 'doc'];
  const validId = (id: string) => (spec.integerId ? /^[1-9][0-9]{0,17}$/.test(id) : id.length <= 200);

  const project = (resource: Record<string, unknown>, fields: string[] | undefined) => {
    if (!fields) return resource;
    const out: Record<string, unknown> = { id: resource.id, href: resource.href, '@type': resource['@type'] };
    for (const f of fields) if (f in resource) out[f] = resource[f];
    return out;
  };

  const parseFields = (value: unknown): string[] | undefined => {
    if (value === undefined) return undefined;
    const fields = String(value)
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    for (const f of fields) {
      if (!ATTRIBUTE.test(f) || (!schemaAt(shared, createId, [f]) && f !== 'id' && f !== 'href')) {
        throw badRequest(`fields: "${f}" is not an attribute of ${spec.type}`, 'fields');
      }
    }
    return fields;
  };

  const jsonPath = (path: string[]): RawBuilder<unknown> =>
    json
      ? sql`doc #>> ${sql.lit(`{${path.join(',')}}`)}`
      : sql`json_extract(doc, ${sql.lit('$.' + path.join('.'))})`;

  const tenantQuery = (tenantId: string) => {
    let q = db.kysely.selectFrom(table).where('tenant_id', '=', tenantId);
    for (const [column, value] of Object.entries(scope)) q = q.where(column, '=', value);
    return q;
  };

  /** A self-care key reads only resources that say which party a record is about. */
  const requirePartyColumn = (principal: Principal): string => {
    if (!spec.partyColumn || !principal.partyId) {
      throw new HttpProblem(
        403,
        'Forbidden',
        `authorization: a self-care key cannot read ${spec.type} resources`,
        'authorization',
      );
    }
    return spec.partyColumn;
  };

  /** The rows the principal may read: its tenant's, and for a self-care key only those about its party. */
  const visibleQuery = (principal: Principal) => {
    const q = tenantQuery(principal.tenantId);
    return principal.role === 'selfcare' ? q.where(requirePartyColumn(principal), '=', principal.partyId) : q;
  };

  // GET by id is the hottest path: compiled once, run with new parameters.
  const byId = compiledQuery(
    (_db: Database, tenantId: unknown, id: unknown) =>
      (columnsToSelect.length
        ? tenantQuery(tenantId as string).select(columnsToSelect)
        : tenantQuery(tenantId as string).selectAll()
      ).where('id', '=', id),
    ['\u0000tenant', spec.integerId ? -7_777_777 : '\u0000id'],
  );
  const byIdForParty = compiledQuery(
    (_db: Database, tenantId: unknown, id: unknown, partyId: unknown) =>
      (columnsToSelect.length
        ? tenantQuery(tenantId as string).select(columnsToSelect)
        : tenantQuery(tenantId as string).selectAll()
      )
        .where('id', '=', id)
        .where(spec.partyColumn ?? 'tenant_id', '=', partyId),
    ['\u0000tenant', spec.integerId ? -7_777_777 : '\u0000id', '\u0000party'],
  );
  const stored = async (tenantId: string, id: string) =>
    validId(id)
      ? ((await byId(db, tenantId, spec.integerId ? Number(id) : id))[0] as
          { id: string; doc: unknown } | undefined)
      : undefined;
  /** A record the principal may read (self-care: only about its party). */
  const visible = async (principal: Principal, id: string) => {
    if (principal.role !== 'selfcare') return stored(principal.tenantId, id);
    requirePartyColumn(principal);
    return validId(id)
      ? ((
          await byIdForParty(db, principal.tenantId, spec.integerId ? Number(id) : id, principal.partyId)
        )[0] as { id: string; doc: unknown } | undefined)
      : undefined;
  };

  const now = () => new Date().toISOString();

  const write = (doc: Record<string, unknown>, request: FastifyRequest) => {
    const agreement = request.headers[AGREEMENT_HEADER];
    if (
      agreement !== undefined &&
      (typeof agreement !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(agreement))
    ) {
      throw badRequest(
        `${AGREEMENT_HEADER}: expected one agreement id (1-200 visible ASCII characters)`,
        AGREEMENT_HEADER,
      );
    }
    return {
      ...scope,
      ...spec.row(doc),
      ...(agreement ? { agreement_id: agreement } : {}),
      updated_at: now(),
      doc: JSON.stringify(doc),
    };
  };

  const requireWriter = (request: FastifyRequest) =>
    requireRole(request, WRITERS, `change ${spec.type} resources`);

  const changeKind = (before: Record<string, unknown>, after: Record<string, unknown>) =>
    before.status !== after.status || before.state !== after.state
      ? 'StateChangeEvent'
      : 'AttributeValueChangeEvent';

  app.get(
    collection,
    { schema: { tags, summary: `Lists or finds ${spec.type} objects`, querystring: listQuery } },
    async (request, reply) => {
      const principal = principalOf(request);
      const query = request.query as Record<string, string | string[]>;
      const one = (name: string): string | undefined => {
        const v = query[name];
        if (Array.isArray(v)) throw badRequest(`${name}: give it once`, name);
        return v;
      };
      const fields = parseFields(one('fields'));
      const offset = Number(one('offset') ?? 0);
      const limit = Number(one('limit') ?? PAGE_DEFAULT);
      if (!Number.isInteger(offset) || offset < 0)
        throw badRequest('offset: expected a whole number >= 0', 'offset');
      if (!Number.isInteger(limit) || limit < 0 || limit > PAGE_MAX) {
        throw badRequest(`limit: expected a whole number from 0 to ${PAGE_MAX}`, 'limit');
      }
      let q = visibleQuery(principal);
      for (const [name, raw] of Object.entries(query)) {
        if (RESERVED.has(name)) continue;
        const path = name.split('.');
        const attribute = schemaAt(shared, createId, path);
        if (!path.every((p) => ATTRIBUTE.test(p)) || (!attribute && name !== 'id')) {
          throw badRequest(`${name}: not an attribute of ${spec.type} to filter on`, name);
        }
        if (
          attribute &&
          (attribute.type === 'object' || attribute.type === 'array' || attribute.properties)
        ) {
          throw badRequest(`${name}: filter on a simple attribute (a string, number or boolean)`, name);
        }
        const values = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','));
        const column = name === 'id' ? 'id' : spec.columns[name];
        if (column) {
          if (column === 'id' && !values.every(validId))
            throw badRequest(`id: not an id of ${spec.type}`, 'id');
          q = q.where(column, 'in', column === 'id' && spec.integerId ? values.map(Number) : values);
          continue;
        }
        q = q.where(jsonPath(path), 'in', filterValues(name, attribute?.type, values));
      }
      const total = (await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()) as {
        n: number | string;
      };
      const rows = (await (columnsToSelect.length ? q.select(columnsToSelect) : q.selectAll())
        .orderBy('created_at')
        .orderBy('id')
        .offset(offset)
        .limit(limit)
        .execute()) as { id: string; doc: unknown }[];
      return reply
        .header('x-total-count', String(Number(total.n)))
        .header('x-result-count', String(rows.length))
        .send(rows.map((row) => project(fromRow(row), fields)));
    },
  );

  app.get(
    `${collection}/:id`,
    { schema: { tags, summary: `Retrieves a ${spec.type} by id`, params: idParams } },
    async (request) => {
      const principal = principalOf(request);
      const { id } = request.params as { id: string };
      const fields = parseFields((request.query as Record<string, string>).fields);
      const row = await visible(principal, id);
      if (!row) throw notFound(`id: no ${spec.type} ${id}`, 'id');
      return project(fromRow(row), fields);
    },
  );

  if (spec.readOnly) return;

  app.post(
    collection,
    { schema: { tags, summary: `Creates a ${spec.type}`, body: createSchema } },
    async (request, reply) => {
      const { tenantId } = requireWriter(request);
      const body = request.body as Record<string, unknown>;
      let doc: Record<string, unknown> = { ...body, '@type': body['@type'] ?? spec.type };
      doc = (await spec.check?.(db, tenantId, doc)) ?? doc;
      const values = write(doc, request);
      const created = await db.kysely.transaction().execute(async (tx) => {
        let id: string = randomUUID();
        if (spec.integerId) {
          const row = (await tx
            .insertInto(table)
            .values({ tenant_id: tenantId, created_at: now(), ...values })
            .returning('id')
            .executeTakeFirstOrThrow()) as { id: number | string };
          id = String(row.id);
        } else {
          await tx
            .insertInto(table)
            .values({ tenant_id: tenantId, id, created_at: now(), ...values })
            .execute();
        }
        const resource = { id, href: hrefOf(id), ...doc };
        await events?.(tx, {
          tenantId,
          api: spec.api,
          resourceType: spec.type,
          kind: 'CreateEvent',
          resource,
        });
        return resource;
      });
      return reply.code(201).header('location', created.href).send(created);
    },
  );

  app.patch(
    `${collection}/:id`,
    {
      schema: {
        tags,
        summary: `Updates a ${spec.type} (JSON merge patch)`,
        consumes: ['application/merge-patch+json', 'application/json'],
        params: idParams,
        body: updateSchema,
      },
    },
    async (request) => {
      const { tenantId } = requireWriter(request);
      const { id } = request.params as { id: string };
      const row = await stored(tenantId, id);
      if (!row) throw notFound(`id: no ${spec.type} ${id}`, 'id');
      const { id: _id, href: _href, ...current } = fromRow(row);
      let next = mergePatch(current, request.body) as Record<string, unknown>;
      if (!validateCreate(next)) {
        const error = validateCreate.errors?.[0];
        const field = `body${(error?.instancePath ?? '').replace(/\//g, '.')}`;
        throw unprocessable(
          `${field}: after the patch, ${error?.message ?? 'the resource is not valid'}`,
          field,
        );
      }
      next = (await spec.check?.(db, tenantId, next, current)) ?? next;
      const values = write(next, request);
      const resource = { id, href: hrefOf(id), ...next };
      await db.kysely.transaction().execute(async (tx) => {
        await tx
          .updateTable(table)
          .set(values)
          .where('tenant_id', '=', tenantId)
          .where('id', '=', spec.integerId ? Number(id) : id)
          .execute();
        await events?.(tx, {
          tenantId,
          api: spec.api,
          resourceType: spec.type,
          kind: changeKind(current, next),
          resource,
        });
      });
      return resource;
    },
  );

  app.delete(
    `${collection}/:id`,
    { schema: { tags, summary: `Deletes a ${spec.type}`, params: idParams } },
    async (request, reply) => {
      const { tenantId } = requireWriter(request);
      const { id } = request.params as { id: string };
      const row = await stored(tenantId, id);
      if (!row) throw notFound(`id: no ${spec.type} ${id}`, 'id');
      await db.kysely.transaction().execute(async (tx) => {
        await tx
          .deleteFrom(table)
          .where('tenant_id', '=', tenantId)
          .where('id', '=', spec.integerId ? Number(id) : id)
          .execute();
        await events?.(tx, {
          tenantId,
          api: spec.api,
          resourceType: spec.type,
          kind: 'DeleteEvent',
          resource: fromRow(row),
        });
      });
      return reply.code(204).send();
    },
  );
}
