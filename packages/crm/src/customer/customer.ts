import { unprocessable } from '../http/problem.js';
import type { ResourceSpec } from '../tmf/resource.js';

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
  columns: { status: 'status', name: 'name', 'engagedParty.id': 'engaged_party_id' },
  row: (doc) => ({
    name: String(doc.name ?? ''),
    status: typeof doc.status === 'string' ? doc.status : null,
    engaged_party_id: (doc.engagedParty as { id?: string } | undefined)?.id ?? null,
    agreement_id: null,
  }),
  async check(db, tenantId, doc) {
    const party = doc.engagedParty as { id?: string; '@referredType'?: string };
    const kinds = party['@referredType'] ? [party['@referredType']] : ['Individual', 'Organization'];
    const found = await db.kysely
      .selectFrom('crm_parties')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', party.id ?? '')
      .where('kind', 'in', kinds)
      .executeTakeFirst();
    if (!found) {
      throw unprocessable(
        `body.engagedParty.id: no ${kinds.join(' or ')} with id ${party.id ?? '(none)'}`,
        'body.engagedParty.id',
      );
    }
  },
};
