import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { household, individual, BASE, type TestApi } from '@parley/crm/testing';
import { Agent } from './agent.js';
import { startAgent } from './http/server.js';
import { startVendors, type TestVendor } from './testing/vendors.js';

/* The agent's relationships against real CRMs on loopback (several vendors on one CRM server). */

const PASS = 'a passphrase for tests only';

/** The CRM test fixtures, driven over HTTP with this vendor's admin key. */
function asTestApi(vendor: TestVendor): TestApi {
  return {
    keys: { a: vendor.adminKey },
    call: async (_key: string, method: string, url: string, body?: unknown) => {
      const r = await vendor.api(method, url, body);
      return { status: r.status, headers: {}, body: r.body };
    },
  } as unknown as TestApi;
}

/** PUT replaces the vendor's whole profile: read it, change some members, put it back. */
async function setProfile(vendor: TestVendor, profile: Record<string, unknown>) {
  const current = await vendor.api('GET', '/crm/v1/vendorProfile');
  assert.equal(current.status, 200, JSON.stringify(current.body));
  const r = await vendor.api('PUT', '/crm/v1/vendorProfile', { ...(current.body as object), ...profile });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function withAgent<N extends string[]>(
  names: [...N],
  work: (agent: Agent, vendors: { [K in keyof N]: TestVendor }, dir: string) => Promise<void>,
): Promise<void> {
  const { vendors, dir, close } = await startVendors(names, names.length);
  const agent = await Agent.open({
    vaultPath: join(dir, 'me.vault'),
    passphrase: PASS,
    create: true,
    retry: { baseMs: 50, maxMs: 200 },
  });
  try {
    await agent.updateProfile({ givenName: 'Ada', familyName: 'Example', email: 'ada@example.org' });
    await work(agent, vendors as { [K in keyof N]: TestVendor }, dir);
  } finally {
    await agent.close();
    await close();
  }
}

test('terms: accepted at once, countered (accepted by her preferences, or decided by her) and refused', async () => {
  await withAgent(['Plain', 'Analyst', 'Strict', 'Picky'], async (agent, [plain, analyst, strict, picky]) => {
    const analysing = {
      policy: {
        accepts: ['SD-BASE-A'],
        counter: 'SD-BASE-A',
        purposes: ['ServiceAnalytics'],
        reason: 'We study our own network.',
      },
    };
    await setProfile(analyst, analysing);
    await setProfile(strict, { policy: { accepts: ['SD-BASE-A-DP'] } });
    await setProfile(picky, {
      policy: { accepts: ['SD-BASE-A-DP'], counter: 'SD-BASE-A-DP', purposes: ['ServiceAnalytics'] },
    });

    const first = await agent.connect({ url: plain.url });
    assert.equal(first.status, 'active');
    assert.equal(first.agreement?.terms.code, 'SD-BASE');
    assert.deepEqual(first.shared, { givenName: 'Ada', familyName: 'Example', email: 'ada@example.org' });

    await agent.setPreferences({ terms: ['SD-BASE'], acceptCounters: ['SD-BASE-A'] });
    const countered = await agent.connect({ url: analyst.url });
    assert.equal(countered.status, 'active', 'a counter she accepts in advance is accepted by her agent');
    assert.equal(countered.agreement?.terms.code, 'SD-BASE-A');
    assert.deepEqual(countered.agreement?.purposes, ['ServiceDelivery', 'ServiceAnalytics']);

    const refused = await agent.connect({ url: strict.url });
    assert.equal(refused.status, 'refused');

    const pending = await agent.connect({ url: picky.url });
    assert.equal(pending.status, 'countered');
    assert.equal(pending.counter?.terms.code, 'SD-BASE-A-DP');
    assert.deepEqual(pending.shared, {}, 'nothing is shared before she decides');
    const decided = await agent.decide(pending.id, true);
    assert.equal(decided.status, 'active');
    assert.equal(decided.agreement?.terms.code, 'SD-BASE-A-DP');
    await assert.rejects(agent.decide(pending.id, true), /not waiting for a decision/);

    // A pairwise identity per relationship, never the same twice.
    const dids = agent.relationships().map((r) => r.did);
    assert.equal(new Set(dids).size, dids.length);
  });
});

test('global policies reach every vendor as signed permission events, and every later vendor at its start', async () => {
  await withAgent(['Telco', 'Shop', 'Late'], async (agent, [telco, shop, late]) => {
    await setProfile(shop, {
      publications: [
        { id: 'newsletter:weekly', name: 'Weekly deals', kind: 'newsletter', channels: ['email', 'post'] },
      ],
    });
    await agent.connect({ url: telco.url });
    const withShop = await agent.connect({ url: shop.url });
    const change = await agent.setPolicies(['DoNotTrack', 'NoThirdPartyMail']);
    assert.deepEqual(
      change.deliveries.map((d) => d.status),
      ['acknowledged', 'acknowledged'],
    );
    for (const r of agent.relationships()) {
      assert.deepEqual(r.permissions.policies, ['DoNotTrack', 'NoThirdPartyMail']);
      assert.ok(r.permissions.consents.some((c) => c.purpose === 'Tracking' && !c.granted));
    }
    const joined = await agent.connect({ url: late.url });
    assert.deepEqual(joined.permissions.policies, ['DoNotTrack', 'NoThirdPartyMail'], 'present and future');

    const sub = await agent.changePermissions(withShop.id, {
      channels: [{ channel: 'phone', allowed: false }],
      subscriptions: [{ publication: 'newsletter:weekly', subscribed: true, channels: ['email'] }],
    });
    assert.equal(sub.deliveries[0]?.status, 'acknowledged', sub.deliveries[0]?.lastError);
    assert.deepEqual(agent.relationship(withShop.id).permissions.subscriptions, [
      { publication: 'newsletter:weekly', subscribed: true, channels: ['email'] },
    ]);
    await assert.rejects(
      agent.changePermissions(withShop.id, {
        subscriptions: [{ publication: 'catalogue', subscribed: true, channels: [] }],
      }),
      /subscriptions\[0\]\.publication/,
    );
  });
});

test('feedback and error reports reach the vendor; her own data comes back as JSON and CSV with usage records', async () => {
  await withAgent(['Telco'], async (agent, [telco]) => {
    const api = asTestApi(telco);
    const h = await household(api);
    for (let i = 0; i < 3; i++) {
      const r = await telco.api('POST', `${BASE.usage}/usage`, {
        usageDate: `2026-11-2${i}T18:04:05.000Z`,
        usageType: 'data',
        status: 'rated',
        relatedParty: [{ ...individual(h.holder), role: 'user' }],
        usageCharacteristic: [
          { name: 'volume', value: 1000 * (i + 1), valueType: 'number' },
          { name: 'accountId', value: h.account, valueType: 'string' },
        ],
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const invite = await telco.api('POST', '/crm/v1/agreementInvitations', { partyId: h.holder });
    assert.equal(invite.status, 201, JSON.stringify(invite.body));
    const code = (invite.body as { code: string }).code;
    const rel = await agent.connect({ url: telco.url, invitation: code });
    assert.equal(rel.status, 'active');

    const report = await agent.feedback(rel.id, {
      kind: 'error-report',
      subject: 'Roaming charge at home',
      body: 'My bill shows roaming on days I was at home.',
    });
    assert.equal(report.deliveries[0]?.status, 'acknowledged', report.deliveries[0]?.lastError);
    const tickets = await telco.api('GET', `${BASE.ticket}/troubleTicket`);
    assert.match(JSON.stringify(tickets.body), /Roaming charge at home/);

    const json = await agent.pullData(rel.id, 'json', ['party', 'usage']);
    const held = (await json.json()) as { party: { id: string }; usage: unknown[] };
    assert.equal(held.party.id, h.holder, 'the invitation linked her existing customer record');
    assert.equal(held.usage.length, 3);
    const csv = await (await agent.pullData(rel.id, 'csv', ['usage'])).text();
    const lines = csv.trim().split(/\r?\n/);
    assert.equal(lines.length, 4, csv);

    // The invitation was used once; it cannot link a second identity.
    await assert.rejects(agent.connect({ url: telco.url, invitation: code }), /invitation/);
  });
});

test('termination: the data is destroyed or returned as she asks, and the vendor confirms; nothing more can be sent', async () => {
  await withAgent(['Shop', 'Keeper'], async (agent, [shop, keeper]) => {
    const kept = await agent.connect({ url: keeper.url });
    const back = await agent.terminate(kept.id, 'return');
    assert.equal(back.deliveries[0]?.status, 'acknowledged', back.deliveries[0]?.lastError);
    const returned = agent.relationship(kept.id);
    assert.equal(returned.status, 'terminated');
    assert.match(
      JSON.stringify(returned.returnedData),
      /ada@example\.org/,
      'her data came back with the confirmation',
    );

    const rel = await agent.connect({ url: shop.url });
    const end = await agent.terminate(rel.id, 'destroy', 'Moving on');
    assert.equal(end.deliveries[0]?.status, 'acknowledged', end.deliveries[0]?.lastError);
    const after = agent.relationship(rel.id);
    assert.equal(after.status, 'terminated');
    assert.deepEqual(after.shared, {});
    const people = await shop.api('GET', `${BASE.party}/individual`);
    assert.doesNotMatch(JSON.stringify(people.body), /ada@example\.org/);
    await assert.rejects(agent.feedback(rel.id, { kind: 'feedback', subject: 's', body: 'b' }), /terminated/);
    const change = await agent.updateProfile({ email: 'ada@new.example' });
    assert.equal(change.deliveries.length, 0, 'an ended relationship gets nothing');
  });
});

test('the API: a token is required, bad input is refused naming the field, the vault survives a restart', async () => {
  const { vendors, dir, close } = await startVendors(['Shop']);
  const options = {
    vaultPath: join(dir, 'api.vault'),
    passphrase: PASS,
    create: true,
    token: 'api-token-0123456789abcdef',
  };
  let running = await startAgent(options);
  const call = async (method: string, path: string, body?: unknown, token = running.token) => {
    const r = await fetch(`${running.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return {
      status: r.status,
      type: r.headers.get('content-type'),
      body: (await r.json()) as Record<string, unknown>,
    };
  };
  try {
    assert.equal((await call('GET', '/me', undefined, 'wrong-token-0123456789')).status, 401);
    let r = await call('PATCH', '/me/profile', { email: 'not an address' });
    assert.equal(r.status, 400);
    assert.match(r.type ?? '', /problem\+json/);
    assert.equal(r.body.field, 'body.email');
    r = await call('PATCH', '/me/profile', {
      postalAddress: { street1: '1 A St', city: 'X', postCode: '1', country: 'Britain' },
    });
    assert.equal(r.body.field, 'body.postalAddress.country');
    r = await call('PATCH', '/me/profile', { shoeSize: 38 });
    assert.equal(r.body.field, 'body.shoeSize');
    r = await call('PUT', '/me/policies', { policies: ['NoCookies'] });
    assert.equal(r.status, 400);
    r = await call('PUT', '/me/preferences', { terms: ['NOT-A-TERM'], acceptCounters: [] });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'terms[0]');
    r = await call('POST', '/relationships', { url: 'ftp://vendor.example' });
    assert.equal(r.body.field, 'url');
    r = await call('POST', '/relationships', { url: 'http://127.0.0.1:9/parley/v1/vendors/x' });
    assert.equal(r.status, 502);
    r = await call('GET', '/relationships/00000000-0000-4000-8000-000000000000');
    assert.equal(r.status, 404);
    assert.equal(
      (await call('GET', '/relationships')).body.length,
      0,
      'failed connections leave nothing behind',
    );

    r = await call('PATCH', '/me/profile', { email: 'ada@example.org' });
    assert.equal(r.status, 202);
    r = await call('POST', '/relationships', { url: (vendors[0] as TestVendor).url });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await running.close();

    running = await startAgent(options);
    r = await call('GET', '/relationships');
    const list = r.body as unknown as { status: string; shared: Record<string, unknown> }[];
    assert.equal(list.length, 1);
    assert.deepEqual(list[0]?.shared, { email: 'ada@example.org' });
    await assert.rejects(startAgent({ ...options, passphrase: 'the wrong passphrase' }), /passphrase/);
  } finally {
    await running.close();
    await close();
  }
});
