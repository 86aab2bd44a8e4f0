import assert from 'node:assert/strict';
import type { TestApi } from './api.js';

export const BASE = {
  party: '/tmf-api/party/v4',
  account: '/tmf-api/accountManagement/v4',
  service: '/tmf-api/serviceInventory/v4',
  sla: '/tmf-api/slaManagement/v2',
  ticket: '/tmf-api/troubleTicket/v4',
  interaction: '/tmf-api/partyInteraction/v4',
  usage: '/tmf-api/usageManagement/v4',
};

/** Creates a resource through the API as tenant A's admin and returns its id (fails the test on anything but 201). */
export async function create(api: TestApi, url: string, body: unknown, key = api.keys.a): Promise<string> {
  const r = await api.call(key, 'POST', url, body);
  assert.equal(r.status, 201, `POST ${url}: ${JSON.stringify(r.body)}`);
  return r.body?.id as string;
}

export const individual = (id: string) => ({ id, '@referredType': 'Individual' });

/** A household: holder, a secondary user under parental controls, a guest, their account and a Gold SLA. */
export async function household(api: TestApi, key = api.keys.a) {
  const person = (givenName: string) =>
    create(api, `${BASE.party}/individual`, { givenName, familyName: 'Example' }, key);
  const holder = await person('Ada');
  const child = await person('Bo');
  const guest = await person('Cy');
  const account = await create(
    api,
    `${BASE.account}/billingAccount`,
    {
      name: 'Example family',
      accountType: 'residential',
      state: 'active',
      relatedParty: [{ ...individual(holder), name: 'Ada Example', role: 'holder' }],
    },
    key,
  );
  const accountRef = { id: account, '@referredType': 'BillingAccount' };
  const member = (party: string, role: string, extra = {}) =>
    create(
      api,
      `${BASE.account}/accountMember`,
      { account: accountRef, party: individual(party), role, ...extra },
      key,
    );
  const members = {
    holder: await member(holder, 'holder'),
    child: await member(child, 'secondary', { parentalControls: { enabled: true, contentFilter: 'child' } }),
    guest: await member(guest, 'guest'),
  };
  const sla = await create(
    api,
    `${BASE.sla}/sla`,
    {
      name: 'Gold',
      state: 'active',
      rule: [
        { metric: 'availability', unit: '%', referenceValue: 99.5, operator: '>=' },
        { metric: 'latency', unit: 'ms', referenceValue: 40, operator: '<=', tolerance: 5 },
      ],
    },
    key,
  );
  const service = await create(
    api,
    `${BASE.service}/service`,
    {
      name: 'Mobile 5G',
      serviceType: 'mobile',
      state: 'active',
      account: accountRef,
      relatedParty: [{ ...individual(child), role: 'user' }],
      place: [{ id: 'cell-0042', role: 'cell' }],
      serviceLevelAgreement: { id: sla },
    },
    key,
  );
  return { holder, child, guest, account, accountRef, members, sla, service };
}
