import { unprocessable } from '../http/problem.js';
import type { ResourceSpec } from '../tmf/resource.js';
import {
  ACCOUNTS,
  GROUPS,
  PARTIES,
  PARTY_TYPES,
  pick,
  ref,
  refs,
  requireRef,
  requireRefs,
  text,
} from '../tmf/references.js';

/** TMF666 BillingAccount: who pays. Its `relatedParty` with role `holder` (or the first party) owns it. */
export const BILLING_ACCOUNT: ResourceSpec = {
  api: 'account',
  path: '/billingAccount',
  type: 'BillingAccount',
  createDefinition: 'BillingAccount_Create',
  updateDefinition: 'BillingAccount_Update',
  table: 'crm_accounts',
  partyColumn: 'holder_party_id',
  scope: { kind: 'BillingAccount' },
  columns: { name: 'name', state: 'state', accountType: 'account_type' },
  row: (doc) => ({
    name: text(doc.name) ?? '',
    state: text(doc.state) ?? null,
    account_type: text(doc.accountType) ?? null,
    holder_party_id: pick(refs(doc.relatedParty), 'holder', PARTY_TYPES)?.id ?? null,
  }),
  async check(db, tenantId, doc) {
    await requireRefs(db, tenantId, PARTIES, refs(doc.relatedParty), 'body.relatedParty');
    return undefined;
  },
};

/**
 * Who uses an account. A guest exists in the front end only (self-care, shop) and is never in billing; a
 * secondary user may be under parental controls.
 */
export const ACCOUNT_MEMBER: ResourceSpec = {
  api: 'accountMember',
  path: '/accountMember',
  type: 'AccountMember',
  createDefinition: 'AccountMember_Create',
  updateDefinition: 'AccountMember_Update',
  table: 'crm_account_members',
  partyColumn: 'party_id',
  columns: {
    role: 'role',
    status: 'status',
    'account.id': 'account_id',
    'party.id': 'party_id',
    'group.id': 'group_id',
  },
  row: (doc) => ({
    account_id: ref(doc.account)?.id ?? '',
    party_id: ref(doc.party)?.id ?? '',
    role: text(doc.role) ?? '',
    in_billing: doc.role === 'guest' || doc.inBilling === false ? 0 : 1,
    parental_controls: (doc.parentalControls as { enabled?: boolean } | undefined)?.enabled ? 1 : 0,
    group_id: ref(doc.group)?.id ?? null,
    status: text(doc.status) ?? null,
  }),
  async check(db, tenantId, doc) {
    if (doc.role === 'guest' && doc.inBilling === true) {
      throw unprocessable(
        'body.inBilling: a guest is never in billing; make the member secondary',
        'body.inBilling',
      );
    }
    const account = ref(doc.account);
    await requireRef(db, tenantId, ACCOUNTS, account, 'body.account');
    await requireRef(db, tenantId, PARTIES, ref(doc.party), 'body.party');
    if (doc.group) {
      const group = await requireRef(db, tenantId, GROUPS, ref(doc.group), 'body.group', ['account_id']);
      if (group.account_id !== account?.id) {
        throw unprocessable('body.group.id: the group belongs to another account', 'body.group.id');
      }
    }
    return { inBilling: doc.role !== 'guest', ...doc };
  },
};

/** A group of an account's users (a family, a team), for shared settings and reporting. */
export const USER_GROUP: ResourceSpec = {
  api: 'accountMember',
  path: '/userGroup',
  type: 'UserGroup',
  createDefinition: 'UserGroup_Create',
  updateDefinition: 'UserGroup_Update',
  table: 'crm_user_groups',
  columns: { name: 'name', 'account.id': 'account_id' },
  row: (doc) => ({ name: text(doc.name) ?? '', account_id: ref(doc.account)?.id ?? '' }),
  async check(db, tenantId, doc) {
    await requireRef(db, tenantId, ACCOUNTS, ref(doc.account), 'body.account');
    return undefined;
  },
};
