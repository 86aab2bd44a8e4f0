/** A customer with a history, for the tests of the rights of the person: a household, CDRs, a ticket, contacts. */
import assert from 'node:assert/strict';
import { TestPerson } from '../agreement/testing.js';
import type { TestApi } from '../testing/api.js';
import { BASE, create, household, individual } from '../testing/fixtures.js';

export const ADA = {
  email: 'ada.private@example.org',
  agentEmail: 'ada@agent.example.org',
  phone: '+44 20 7946 0001',
};

/** Imported CDRs of the holder and of the child on the household's account. */
export const HOLDER_CDRS = 240;
export const CHILD_CDRS = 60;

/**
 * A household (tests/fixtures) whose holder Ada has a phone and an email on her individual, a customer record,
 * one CDR posted through TMF635 that names her and HOLDER_CDRS imported (the child CHILD_CDRS), a ticket and an
 * interaction whose text names her, and an agreement (by invitation) under which her agent shared an email and
 * sent an error report (another interaction and ticket).
 */
export async function customerWithHistory(api: TestApi) {
  const h = await household(api);
  const patched = await api.call(
    api.keys.a,
    'PATCH',
    `${BASE.party}/individual/${h.holder}`,
    {
      contactMedium: [
        { mediumType: 'email', characteristic: { emailAddress: ADA.email } },
        { mediumType: 'phone', characteristic: { phoneNumber: ADA.phone } },
      ],
      birthDate: '1815-12-10T00:00:00Z',
    },
    'application/merge-patch+json',
  );
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  await create(api, '/tmf-api/customerManagement/v4/customer', {
    name: 'Ada Example',
    engagedParty: individual(h.holder),
  });
  await create(api, `${BASE.usage}/usage`, {
    usageDate: '2026-03-01T10:00:00Z',
    usageType: 'voice',
    relatedParty: [{ ...individual(h.holder), name: 'Ada Example', role: 'user' }],
    usageCharacteristic: [
      { name: 'duration', value: 61, valueType: 'number' },
      { name: 'accountId', value: h.account, valueType: 'string' },
    ],
  });
  const rows = ['usageType,usageDate,durationSeconds,accountId,partyId'];
  for (let i = 0; i < HOLDER_CDRS + CHILD_CDRS; i++) {
    const at = new Date(Date.UTC(2026, 2, 2) + i * 60_000).toISOString().replace('.000', '');
    rows.push(`sms,${at},,${h.account},${i < HOLDER_CDRS ? h.holder : h.child}`);
  }
  const imported = await api.app.inject({
    method: 'POST',
    url: '/crm/v1/import/usage',
    headers: { authorization: `Bearer ${api.keys.a}`, 'content-type': 'text/csv' },
    payload: rows.join('\n'),
  });
  assert.equal(imported.statusCode, 200, imported.body);
  const ticket = await create(api, `${BASE.ticket}/troubleTicket`, {
    name: 'Ada Example: no signal',
    description: `Ada cannot call from home; call her back on ${ADA.phone}`,
    severity: 'minor',
    ticketType: 'service',
    relatedParty: [{ ...individual(h.holder), name: 'Ada Example', role: 'customer' }],
    note: [{ author: 'agent 7', text: `Ada says mail ${ADA.email}` }],
  });
  const interaction = await create(api, `${BASE.interaction}/partyInteraction`, {
    interactionDate: { startDateTime: '2026-03-03T09:00:00Z' },
    reason: 'complaint',
    status: 'completed',
    direction: 'inbound',
    channel: [{ id: 'phone', href: '/channel/phone', name: 'phone' }],
    description: 'Ada Example rang about her signal',
    relatedParty: [
      {
        ...individual(h.holder),
        href: `${BASE.party}/individual/${h.holder}`,
        name: 'Ada Example',
        role: 'customer',
      },
    ],
    note: [{ text: `Reached on ${ADA.phone}` }],
    interactionItem: [{ item: { id: ticket, '@referredType': 'TroubleTicket', role: 'ticket' } }],
  });
  const { code } = (await api.call(api.keys.a, 'POST', '/crm/v1/agreementInvitations', { partyId: h.holder }))
    .body as { code: string };
  const agent = new TestPerson(api, api.tenants.a, 'ada');
  assert.equal((await agent.proffer(['SD-BASE'], { invitation: code })).body.status, 'agreed');
  assert.equal((await agent.data({ email: ADA.agentEmail })).status, 200);
  assert.equal(
    (await agent.feedback('error-report', 'Ada again', `Still no signal, ring ${ADA.phone}`)).status,
    200,
  );
  return { ...h, ticket, interaction, agent };
}
