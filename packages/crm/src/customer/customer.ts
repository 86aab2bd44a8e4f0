import type { ResourceSpec } from '../tmf/resource.js';
import { PARTIES, ref, requireRef, text } from '../tmf/references.js';

/**
 * TMF629 Customer: a party in the role of customer. Its required `engagedParty` must name a party of the same
 * tenant (an id from another tenant is simply not found).
 */
export const CUSTOMER: ResourceSpec = {
  api: 'customer',
  path: '/customer',
  type: 'Customer',
  createDefinition: 'Customer_Create',
  updateDefinition: 'Customer_Update',
  table: 'crm_customers',
  partyColumn: 'engaged_party_id',
  columns: { status: 'status', name: 'name', 'engagedParty.id': 'engaged_party_id' },
  row: (doc) => ({
    name: text(doc.name) ?? '',
    status: text(doc.status) ?? null,
    engaged_party_id: ref(doc.engagedParty)?.id ?? null,
  }),
  async check(db, tenantId, doc) {
    await requireRef(db, tenantId, PARTIES, ref(doc.engagedParty), 'body.engagedParty');
    return undefined;
  },
};
