import type { ResourceSpec } from '../tmf/resource.js';
import {
  ACCOUNTS,
  PARTIES,
  PARTY_TYPES,
  pick,
  ref,
  refs,
  requireRef,
  requireRefs,
  SLAS,
  text,
} from '../tmf/references.js';

/** A service a user has (after TMF638): on an account, used by a party, served by a cell, under an SLA. */
export const SERVICE: ResourceSpec = {
  api: 'serviceInventory',
  path: '/service',
  type: 'Service',
  createDefinition: 'Service_Create',
  updateDefinition: 'Service_Update',
  table: 'crm_services',
  partyColumn: 'user_party_id',
  columns: {
    name: 'name',
    state: 'state',
    serviceType: 'service_type',
    'account.id': 'account_id',
    'serviceLevelAgreement.id': 'sla_id',
  },
  row: (doc) => ({
    name: text(doc.name) ?? '',
    service_type: text(doc.serviceType) ?? '',
    state: text(doc.state) ?? null,
    account_id: ref(doc.account)?.id ?? null,
    user_party_id: pick(refs(doc.relatedParty), 'user', PARTY_TYPES)?.id ?? null,
    sla_id: ref(doc.serviceLevelAgreement)?.id ?? null,
    cell_id: refs(doc.place).find((p) => p.role === 'cell')?.id ?? null,
  }),
  async check(db, tenantId, doc) {
    if (doc.account) await requireRef(db, tenantId, ACCOUNTS, ref(doc.account), 'body.account');
    await requireRefs(db, tenantId, PARTIES, refs(doc.relatedParty), 'body.relatedParty');
    if (doc.serviceLevelAgreement) {
      await requireRef(db, tenantId, SLAS, ref(doc.serviceLevelAgreement), 'body.serviceLevelAgreement');
    }
    return undefined;
  },
};
