import type { ResourceSpec } from '../tmf/resource.js';

const text = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** TMF632 Individual: a person. Stored with organizations in crm_parties (kind = Individual). */
export const INDIVIDUAL: ResourceSpec = {
  api: 'party',
  path: '/individual',
  type: 'Individual',
  createDefinition: 'Individual_Create',
  updateDefinition: 'Individual_Update',
  table: 'crm_parties',
  scope: { kind: 'Individual' },
  partyColumn: 'id',
  columns: { status: 'status' },
  row: (doc) => ({
    status: text(doc.status) ?? null,
    name: text(doc.formattedName) ?? [text(doc.givenName), text(doc.familyName)].filter(Boolean).join(' '),
  }),
};

/** TMF632 Organization. */
export const ORGANIZATION: ResourceSpec = {
  api: 'party',
  path: '/organization',
  type: 'Organization',
  createDefinition: 'Organization_Create',
  updateDefinition: 'Organization_Update',
  table: 'crm_parties',
  scope: { kind: 'Organization' },
  partyColumn: 'id',
  columns: { status: 'status' },
  row: (doc) => ({
    status: text(doc.status) ?? null,
    name: text(doc.name) ?? text(doc.tradingName) ?? '',
  }),
};
