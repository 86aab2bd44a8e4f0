import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The TM Forum v4 Open API documents (packages/crm/tmf, copies of the published swagger files) are the source
 * of every resource shape: a definition such as `Customer_Create` becomes the JSON Schema that validates a
 * request, with its `required` list as published. Two things are added: unknown members are refused
 * (`additionalProperties: false`, so a typo is an error, not silently dropped data), and string formats the
 * documents give are checked.
 */
export type JsonSchema = Record<string, unknown>;

const API_FILES = {
  customer: 'TMF629-Customer-v4.0.0.swagger.json',
  party: 'TMF632-Party-v4.0.0.swagger.json',
  troubleTicket: 'TMF621-TroubleTicket-v4.0.0.swagger.json',
  usage: 'TMF635-UsageManagement-v4.0.0.swagger.json',
  privacy: 'TMF644-Privacy-v4.0.0.swagger.json',
  account: 'TMF666-Account-v4.0.0.swagger.json',
  partyInteraction: 'TMF683-PartyInteraction-v4.0.0.swagger.json',
  // Written by Parley in the same form where the published set has no document (see tmf/SOURCES.txt).
  accountMember: 'Parley-AccountMember-v4.swagger.json',
  serviceInventory: 'Parley-ServiceInventory-v4.swagger.json',
  sla: 'Parley-SlaManagement-v2.swagger.json',
  productCatalog: 'Parley-ProductCatalog-v4.swagger.json',
  sales: 'Parley-SalesLead-v4.swagger.json',
} as const;
export type TmfApi = keyof typeof API_FILES;

interface SwaggerDocument {
  basePath: string;
  definitions: Record<string, JsonSchema>;
}

const documents = new Map<TmfApi, SwaggerDocument>();

export function tmfDocument(api: TmfApi): SwaggerDocument {
  let doc = documents.get(api);
  if (!doc) {
    const path = fileURLToPath(new URL(`../../tmf/${API_FILES[api]}`, import.meta.url));
    doc = JSON.parse(readFileSync(path, 'utf8')) as SwaggerDocument;
    documents.set(api, doc);
  }
  return doc;
}

/** The base path of an API, without its trailing slash, e.g. `/tmf-api/customerManagement/v4`. */
export function tmfBasePath(api: TmfApi): string {
  return tmfDocument(api).basePath.replace(/\/+$/, '');
}

/** The `$id` under which a TMF definition is registered as a shared schema, e.g. `tmf.customer.Customer_Create`. */
export function tmfSchemaId(api: TmfApi, definition: string): string {
  return `tmf.${api}.${definition}`;
}

/**
 * The shared schemas (`$id`, `$ref: "<id>#"`) needed for `definitions` of `api`: each reachable definition
 * once, objects closed to unknown members. Fastify's validator resolves them, and the OpenAPI document lists
 * them as components.
 */
export function tmfSharedSchemas(api: TmfApi, definitions: readonly string[]): JsonSchema[] {
  const doc = tmfDocument(api);
  const out = new Map<string, JsonSchema>();
  const visit = (name: string): void => {
    if (out.has(name)) return;
    const def = doc.definitions[name];
    if (!def) throw new Error(`${api} has no definition ${name}`);
    out.set(name, {});
    out.set(name, { $id: tmfSchemaId(api, name), ...convert(def, visit, api) });
  };
  definitions.forEach(visit);
  return [...out.values()];
}

/** A reference to a registered TMF definition, for route schemas. */
export function tmfRef(api: TmfApi, definition: string): JsonSchema {
  return { $ref: `${tmfSchemaId(api, definition)}#` };
}

const SCHEMA_KEYS = new Set([
  'type',
  'properties',
  'required',
  'items',
  'enum',
  'format',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'allOf',
  'description',
]);

function convert(node: JsonSchema, visit: (name: string) => void, api: TmfApi): JsonSchema {
  if (typeof node.$ref === 'string') {
    const name = node.$ref.replace('#/definitions/', '');
    visit(name);
    return { $ref: `${tmfSchemaId(api, name)}#` };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (!SCHEMA_KEYS.has(key)) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, convert(v, visit, api)]),
      );
    } else if (key === 'items') {
      out.items = convert(value as JsonSchema, visit, api);
    } else if (key === 'allOf') {
      out.allOf = (value as JsonSchema[]).map((v) => convert(v, visit, api));
    } else if (key === 'format') {
      // The documents use date-time and uri; other formats (e.g. "int32") are descriptive only.
      if (value === 'date-time' || value === 'date' || value === 'uri') out.format = value;
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'object' || out.properties) {
    out.type = 'object';
    out.additionalProperties = false;
  }
  return out;
}
