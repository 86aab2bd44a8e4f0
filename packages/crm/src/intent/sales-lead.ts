import { findTerms, type Intentcast, type Offer } from '@parley/protocol';
import { hrefOf } from '../agreement/records.js';
import { INDIVIDUAL } from '../party/party.js';
import type { ResourceSpec } from '../tmf/resource.js';
import { refs, text, type Doc } from '../tmf/references.js';
import { PRODUCT_OFFERING } from './catalogue.js';

/**
 * Sales leads (TMF699, packages/crm/tmf/Parley-SalesLead-v4.swagger.json): the CRM records one when a person
 * accepts an offer made to her intentcast and the agreement that follows is concluded. Read only for API keys;
 * a self-care key sees the leads about its own party.
 */
export const SALES_LEAD: ResourceSpec = {
  api: 'sales',
  path: '/salesLead',
  type: 'SalesLead',
  createDefinition: 'SalesLead',
  updateDefinition: 'SalesLead',
  table: 'crm_sales_leads',
  partyColumn: 'party_id',
  readOnly: true,
  columns: { name: 'name', status: 'status', 'agreement.id': 'agreement_id' },
  row: (doc) => ({
    name: text(doc.name) ?? '',
    status: text(doc.status) ?? '',
    party_id: refs(doc.relatedParty)[0]?.id ?? null,
  }),
};

export interface SalesLeadInput {
  intent: Intentcast;
  offer: Offer;
  /** The individual the agreement created (or bound). */
  partyId: string;
  agreementId: string;
  now: string;
}

/** The lead's document: the offer's offerings, the party, the agreement, status `qualified`. */
export function salesLeadDoc({ intent, offer, partyId, agreementId, now }: SalesLeadInput): Doc {
  const names = offer.items.map((i) => i.name).join(', ');
  const terms = findTerms(offer.terms.id)?.code ?? offer.terms.id;
  return {
    '@type': 'SalesLead',
    name: `${intent.intent.category}: ${names}`.slice(0, 200),
    description: `Offer ${offer.id} to intentcast ${intent.id}, accepted under ${terms}`,
    creationDate: now,
    status: 'qualified',
    statusChangeDate: now,
    estimatedRevenue: { unit: offer.total.currency, value: offer.total.amount },
    category: { id: intent.intent.category, name: intent.intent.category },
    channel: { id: 'parley-intentcast', name: 'Parley intentcast' },
    productOffering: offer.items.map((item) => ({
      id: item.sku,
      href: hrefOf(PRODUCT_OFFERING, item.sku),
      name: item.name,
      '@referredType': 'ProductOffering',
    })),
    relatedParty: [
      { id: partyId, href: hrefOf(INDIVIDUAL, partyId), role: 'prospect', '@referredType': 'Individual' },
    ],
    agreement: { id: agreementId, '@referredType': 'InformationSharingAgreement' },
  };
}
