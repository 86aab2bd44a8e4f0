import { ACCOUNT_MEMBER, BILLING_ACCOUNT, USER_GROUP } from './account/account.js';
import { CUSTOMER } from './customer/customer.js';
import { PRODUCT_OFFERING } from './intent/catalogue.js';
import { SALES_LEAD } from './intent/sales-lead.js';
import { PARTY_INTERACTION } from './interaction/interaction.js';
import { INDIVIDUAL, ORGANIZATION } from './party/party.js';
import { SERVICE } from './service/service.js';
import { QOE_MEASUREMENT, SLA, SLA_VIOLATION } from './sla/sla.js';
import type { ResourceSpec } from './tmf/resource.js';
import { TROUBLE_TICKET } from './ticket/ticket.js';
import { USAGE } from './usage/usage.js';

export { ACCOUNT_MEMBER, BILLING_ACCOUNT, USER_GROUP, CUSTOMER, PARTY_INTERACTION, INDIVIDUAL, ORGANIZATION };
export { SERVICE, QOE_MEASUREMENT, SLA, SLA_VIOLATION, TROUBLE_TICKET, USAGE, PRODUCT_OFFERING, SALES_LEAD };

/** Every TM Forum resource the CRM serves. */
export const RESOURCES: ResourceSpec[] = [
  INDIVIDUAL,
  ORGANIZATION,
  CUSTOMER,
  BILLING_ACCOUNT,
  ACCOUNT_MEMBER,
  USER_GROUP,
  SERVICE,
  SLA,
  QOE_MEASUREMENT,
  SLA_VIOLATION,
  TROUBLE_TICKET,
  PARTY_INTERACTION,
  USAGE,
  PRODUCT_OFFERING,
  SALES_LEAD,
];
