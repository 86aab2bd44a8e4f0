import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Agent } from './agent.js';
import { checkPurgeNotice } from './relationship/notices.js';
import { VendorAnswerError } from './vendor/identity.js';
import { startVendors } from './testing/vendors.js';
import { AgreementLedger } from '@parley/crm';
import { answer, concludeAgreement, messageHash, Party, proposeTerms, purgeReceipt } from '@parley/protocol';

const DAY = 86_400_000;

test('a 30-day agreement: her data is held on day 29, purged on day 31, and the receipt checks out on her side', async () => {
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const { vendors, dir, close } = await startVendors(['Bikes'], 1, { clock });
  const [bikes] = vendors;
  assert.ok(bikes);
  const agent = await Agent.open({
    vaultPath: join(dir, 'me.vault'),
    passphrase: 'a passphrase for tests only',
    create: true,
    retry: { baseMs: 50, maxMs: 200 },
    clock,
  });
  try {
    const profile = (await bikes.api('GET', '/crm/v1/vendorProfile')).body as Record<string, unknown>;
    const put = await bikes.api('PUT', '/crm/v1/vendorProfile', {
      ...profile,
      policy: { accepts: ['2P-30D'] },
      request: { ...(profile.request as object), retentionDays: 30 },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await agent.setPreferences({ terms: ['2P-30D'], acceptCounters: [] });
    await agent.updateProfile({ givenName: 'Ada', familyName: 'Example', email: 'ada@example.org' });
    const connected = await agent.connect({ url: bikes.url });
    assert.equal(connected.status, 'active', JSON.stringify(connected));
    assert.equal(connected.agreement?.retentionDays, 30);
    await agent.idle();
    assert.equal(agent.relationship(connected.id).shared.email, 'ada@example.org');

    offset = 29 * DAY;
    assert.equal(await bikes.purgeDue(), 0);
    const early = await agent.checkNotices();
    assert.deepEqual(early, { asked: 1, purges: [], messages: [], errors: [] });

    offset = 31 * DAY;
    assert.equal(await bikes.purgeDue(), 1);
    const checked = await agent.checkNotices();
    assert.deepEqual(checked.errors, []);
    assert.equal(checked.purges.length, 1);
    const [purge] = checked.purges;
    assert.ok(purge);
    assert.ok(purge.fields.includes('email'));
    assert.equal(purge.retentionDays, 30);
    assert.equal(purge.receiptVerified, true);
    assert.equal(typeof purge.ownLedgerIndex, 'number');
    const view = agent.relationship(connected.id);
    assert.equal(view.purges.length, 1);
    assert.equal(view.shared.email, undefined, 'what the vendor no longer holds leaves her view of it');
    // The vendor holds nothing of hers any more.
    const held = await bikes.db.kysely.selectFrom('crm_agreement_data').selectAll().execute();
    assert.deepEqual(held, []);
    // Asking again brings nothing new.
    assert.equal((await agent.checkNotices()).purges.length, 0);
  } finally {
    await agent.close();
    await close();
  }
});

test('a purge notice is refused when its signature, its ledger record, its events or its timing do not check out', async () => {
  const person = Party.generate('person').pairwise('shop');
  const vendor = Party.generate('shop');
  const schema = { fields: [{ name: 'email', type: 'email' as const, sensitivity: 'normal' as const }] };
  const proposal = proposeTerms({
    from: person,
    to: vendor.did,
    proposer: 'person',
    terms: ['2P-30D'],
    schema,
    purposes: ['ServiceDelivery'],
    retentionDays: 30,
  });
  const agreement = concludeAgreement([proposal, answer(proposal, vendor, { decision: 'accept' })]);
  const ledger = await AgreementLedger.open(vendor.key.derive('ledger'));
  const other = await AgreementLedger.open(Party.generate('other').key);
  try {
    const eventId = 'E'.repeat(43);
    const sentAt = (days: number) =>
      [{ kind: 'data', eventId, acknowledgedAt: new Date(Date.now() - days * DAY).toISOString() }] as never;
    const receipt = purgeReceipt(agreement, vendor, {
      dueAt: new Date(Date.now() - DAY).toISOString(),
      eventIds: [eventId],
      fields: ['email'],
      summary: 'Retention of 30 days ended: deleted 1 value (email).',
    });
    const logged = await ledger.append([{ type: 'retentionPurge', purgeHash: messageHash(receipt) }]);
    const notice = JSON.parse(JSON.stringify({ receipt, ledger: logged })) as {
      receipt: Record<string, unknown>;
      ledger: Record<string, unknown>;
    };
    const ok = checkPurgeNotice(notice, agreement, ledger.vkey, sentAt(31));
    assert.equal(ok.receipt.id, receipt.id);
    // Her event's 30 days ended a day before the purge: late by a day, less the 5 minutes of allowed skew.
    assert.ok(ok.lateByMs > DAY - 10 * 60_000 && ok.lateByMs < DAY, String(ok.lateByMs));

    const refusedFor = (field: RegExp, run: () => unknown) =>
      assert.throws(run, (e: unknown) => e instanceof VendorAnswerError && field.test(e.field ?? ''));
    // A changed receipt breaks the vendor's signature.
    refusedFor(/proof|fields/, () =>
      checkPurgeNotice(
        { ...notice, receipt: { ...notice.receipt, fields: ['phone'] } },
        agreement,
        ledger.vkey,
        sentAt(31),
      ),
    );
    // A proof from another log, or a logged record of another receipt.
    refusedFor(/./, () => checkPurgeNotice(notice, agreement, other.vkey, sentAt(31)));
    const elsewhere = await ledger.append([{ type: 'retentionPurge', purgeHash: 'f'.repeat(64) }]);
    refusedFor(/ledger/, () =>
      checkPurgeNotice({ ...notice, ledger: elsewhere }, agreement, ledger.vkey, sentAt(31)),
    );
    // An event she never sent; an event purged before its 30 days were over.
    refusedFor(/eventIds/, () => checkPurgeNotice(notice, agreement, ledger.vkey, []));
    refusedFor(/eventIds/, () => checkPurgeNotice(notice, agreement, ledger.vkey, sentAt(10)));
  } finally {
    await ledger.close();
    await other.close();
  }
});

test("the vendor's desk answers her feedback: the signed reply reaches her agent as a checked message", async () => {
  const { vendors, dir, close } = await startVendors(['Desk'], 1);
  const [desk] = vendors;
  assert.ok(desk);
  const agent = await Agent.open({
    vaultPath: join(dir, 'me.vault'),
    passphrase: 'a passphrase for tests only',
    create: true,
    retry: { baseMs: 50, maxMs: 200 },
  });
  try {
    await agent.updateProfile({ email: 'ada@example.org' });
    const connected = await agent.connect({ url: desk.url });
    assert.equal(connected.status, 'active');
    await agent.feedback(connected.id, {
      kind: 'feedback',
      subject: 'Router',
      body: 'The router keeps restarting.',
    });
    await agent.idle();
    const ticket = (await desk.db.kysely
      .selectFrom('crm_tickets')
      .select('id')
      .where('channel', '=', 'agent')
      .executeTakeFirstOrThrow()) as { id: string };
    const reply = await desk.api('POST', `/crm/v1/troubleTicket/${ticket.id}/reply`, {
      text: 'We are sending a new router; it arrives on Thursday.',
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const checked = await agent.checkNotices();
    assert.deepEqual(checked.errors, []);
    assert.equal(checked.messages.length, 1);
    assert.equal(checked.messages[0]?.body, 'We are sending a new router; it arrives on Thursday.');
    assert.equal(checked.messages[0]?.signatureVerified, true);
    assert.equal(agent.relationship(connected.id).messages.length, 1);
    // Asked again, nothing new.
    assert.equal((await agent.checkNotices()).messages.length, 0);
  } finally {
    await agent.close();
    await close();
  }
});
