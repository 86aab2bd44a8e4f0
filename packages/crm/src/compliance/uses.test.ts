import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { household } from '../testing/fixtures.js';
import { TestPerson } from '../agreement/testing.js';
import { vendorProfile } from './testing.js';

const NEWSLETTER = 'newsletter:weekly';
const subscribe = (subscribed: boolean) => ({
  consents: [],
  channels: [],
  subscriptions: [{ publication: NEWSLETTER, subscribed, channels: subscribed ? ['email' as const] : [] }],
});

interface Use {
  id: string;
  included: number;
  excluded: number;
  considered: number;
  exclusions: { reason: string; count: number; explanation: string }[];
  ledger: unknown;
}

for (const database of testDatabases()) {
  test(`${database.name}: declared uses take only whom the agreements allow; the rest are counted by reason`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0 });
    t.after(api.close);
    const profile = (await api.call(api.keys.a, 'GET', '/crm/v1/vendorProfile')).body as Record<
      string,
      unknown
    >;
    await vendorProfile(api, ['SD-BASE-A'], {
      request: { ...(profile.request as object), purposes: ['ServiceDelivery', 'ServiceAnalytics'] },
      publications: [
        { id: NEWSLETTER, name: 'Weekly deals', kind: 'newsletter', channels: ['email', 'sms'] },
      ],
    });
    const people: TestPerson[] = [];
    for (let i = 0; i < 4; i++) {
      const p = new TestPerson(api, api.tenants.a, `person${i}`);
      assert.equal(
        (await p.proffer(['SD-BASE-A'], { purposes: ['ServiceDelivery', 'ServiceAnalytics'] })).body.status,
        'agreed',
      );
      assert.equal((await p.data({ givenName: `P${i}`, email: `p${i}@example.org` })).status, 200);
      people.push(p);
    }
    const [subscribed, silent, refusing, private_] = people as [
      TestPerson,
      TestPerson,
      TestPerson,
      TestPerson,
    ];
    assert.equal((await subscribed.permissions(subscribe(true))).status, 200);
    assert.equal(
      (await refusing.permissions({ ...subscribe(true), channels: [{ channel: 'email', allowed: false }] }))
        .status,
      200,
    );
    assert.equal(
      (
        await private_.permissions({
          ...subscribe(true),
          policies: ['DoNotTrack', 'NoThirdPartyMail'],
        })
      ).status,
      200,
    );
    await household(api); // the vendor's own customers: no agreement, no consent on record
    const declare = async (body: Record<string, unknown>) => {
      const r = await api.call(api.keys.a, 'POST', '/crm/v1/dataUses', { description: 'test', ...body });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as unknown as Use;
    };
    const reasons = (use: Use) => Object.fromEntries(use.exclusions.map((e) => [e.reason, e.count]));
    const agreementOf = (p: TestPerson) => p.agreement?.id;
    const members = async (use: Use, included: boolean) =>
      (
        (await api.call(api.keys.a, 'GET', `/crm/v1/dataUses/${use.id}/members?included=${included}`))
          .body as unknown as { partyId: string; agreementId: string | null; reason?: string }[]
      ).map((m) => m.agreementId ?? `own:${m.reason}`);

    // Permission marketing: only a current subscription on the channel lets the campaign reach her.
    const campaign = await declare({
      kind: 'campaign',
      purpose: 'Marketing',
      channel: 'email',
      publication: NEWSLETTER,
    });
    const households = campaign.considered - 4;
    assert.ok(households >= 2);
    assert.deepEqual(reasons(campaign), { 'no-consent': 1 + households, 'channel-refused': 1 });
    assert.deepEqual(
      (await members(campaign, true)).sort(),
      [agreementOf(subscribed), agreementOf(private_)].sort(),
    );
    assert.ok(campaign.exclusions.every((e) => e.explanation.length > 10));
    subscribed.verifyReceipt(campaign.ledger);
    // On SMS nobody subscribed; a campaign for a third party does not reach her under NoThirdPartyMail.
    const sms = await declare({
      kind: 'campaign',
      purpose: 'Marketing',
      channel: 'sms',
      publication: NEWSLETTER,
    });
    assert.equal(sms.included, 0);
    const forOthers = await declare({
      kind: 'campaign',
      purpose: 'Marketing',
      channel: 'email',
      thirdParty: true,
    });
    assert.deepEqual(await members(forOthers, true), [agreementOf(subscribed)]);

    // A permission change counts at once: unsubscribed, she is out of the next campaign.
    assert.equal((await subscribed.permissions(subscribe(false))).status, 200);
    const after = await declare({
      kind: 'campaign',
      purpose: 'Marketing',
      channel: 'email',
      publication: NEWSLETTER,
    });
    assert.deepEqual(await members(after, true), [agreementOf(private_)]);

    // Analytics is agreed (SD-BASE-A): everybody, the vendor's own records included; a segment is profiling
    // for DoNotTrack; Profiling is not in the terms; third-party sharing neither.
    const analytics = await declare({ kind: 'export', purpose: 'ServiceAnalytics' });
    assert.equal(analytics.excluded, 0);
    const segment = await declare({ kind: 'segment', purpose: 'ServiceAnalytics' });
    assert.deepEqual(reasons(segment), { 'do-not-track': 1 });
    const profiling = await declare({ kind: 'export', purpose: 'Profiling' });
    assert.deepEqual(reasons(profiling), {
      'do-not-track': 1,
      'terms-forbid': 3,
      'no-agreement': households,
    });
    assert.equal(profiling.included, 0);
    const share = await declare({ kind: 'share', purpose: 'ThirdPartySharing' });
    assert.deepEqual(reasons(share), {
      'no-third-party-mail': 1,
      'terms-forbid': 3,
      'no-agreement': households,
    });

    // Staff can read a use back; declarations that do not hold together are refused naming the field.
    const read = await api.call(api.keys.a, 'GET', `/crm/v1/dataUses/${share.id}`);
    assert.equal(read.status, 200);
    assert.equal((read.body as unknown as Use).excluded, share.considered);
    const bad = await api.call(api.keys.a, 'POST', '/crm/v1/dataUses', {
      kind: 'campaign',
      purpose: 'Marketing',
      description: 'no channel',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body?.field, 'body.channel');
    const wrongPurpose = await api.call(api.keys.a, 'POST', '/crm/v1/dataUses', {
      kind: 'share',
      purpose: 'ServiceAnalytics',
      description: 'x',
    });
    assert.equal(wrongPurpose.body?.field, 'body.purpose');
    const unknown = await api.call(api.keys.a, 'POST', '/crm/v1/dataUses', {
      kind: 'export',
      purpose: 'ServiceAnalytics',
      description: 'x',
      partyIds: [`${subscribed.agreement?.id}`, 'no-such-party'],
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body?.field, 'body.partyIds');
    const stored = await api.db.kysely.selectFrom('crm_data_uses').select('id').execute();
    assert.equal(stored.length, 8, 'the eight uses declared; the refused one left nothing behind');
    const orphans = await api.db.kysely
      .selectFrom('crm_data_use_members')
      .select('use_id')
      .where(
        'use_id',
        'not in',
        stored.map((s) => s.id as string),
      )
      .execute();
    assert.deepEqual(orphans, []);
    assert.equal(
      (await api.call(api.keys.aRead, 'POST', '/crm/v1/dataUses', { kind: 'export' })).status,
      403,
    );
    assert.ok(
      (await members(campaign, false)).includes(agreementOf(silent) ?? ''),
      'no subscription, no campaign',
    );
  });
}
