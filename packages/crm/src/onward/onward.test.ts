import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ed25519NoteVerifier, verifyLedgerReceipt } from '@parley/ledger';
import {
  acceptSisaOffering,
  createBisaEvent,
  findTerms,
  Party,
  proposeTerms,
  termsRef,
  type DataSchema,
  type JlincEvent,
  type OnwardSharing,
  type Sisa,
  type SisaOffering,
} from '@parley/protocol';
import { SCHEMA, TestPerson, vendorCall } from '../agreement/testing.js';
import { vendorPath } from '../agreement/vendor.js';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';

const SHARES = '/crm/v1/onwardShares';
const ONWARD_SCHEMA: DataSchema = {
  fields: [
    ...SCHEMA.fields,
    { name: 'interests', type: 'string', sensitivity: 'normal' },
    { name: 'preferredLanguage', type: 'string', sensitivity: 'low' },
  ],
};

/** Proffers `terms` with an onwardSharing member (TestPerson proffers without one). */
async function agree(person: TestPerson, terms: string, onwardSharing: OnwardSharing) {
  const { sisa } = await person.prepare([terms], { schema: ONWARD_SCHEMA });
  const proposal = proposeTerms({
    from: person.identity,
    to: person.vendorDid,
    proposer: 'person',
    terms: [terms],
    schema: ONWARD_SCHEMA,
    purposes: ['ServiceDelivery'],
    retentionDays: null,
    onwardSharing,
  });
  const r = await vendorCall(person.api, 'POST', `${person.url}/negotiations`, { sisa, proposal });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.status, 'agreed', r.text);
  person.sisa = sisa as Sisa;
  person.proposal = proposal;
  person.agreement = r.body.agreement;
}

async function listen(api: TestApi): Promise<string> {
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
}

/** A loopback proxy in front of a server that can be taken down (connections dropped) and brought back. */
async function proxy(
  target: string,
): Promise<{ url: string; down: boolean; dropEvents: boolean; server: Server }> {
  const state = { url: '', down: false, dropEvents: false, server: undefined as unknown as Server };
  state.server = createServer((req, res) => {
    if (state.down || (state.dropEvents && (req.url ?? '').endsWith('/events'))) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      fetch(`${target}${req.url ?? ''}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
        ...(body.length ? { body } : {}),
      })
        .then(async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

async function received(api: TestApi, tenantId: string) {
  return (await api.db.kysely
    .selectFrom('crm_onward_received')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('field')
    .execute()) as Record<string, unknown>[];
}

const OPTIONS = {
  escalationIntervalMs: 0,
  intentFeedPollMs: 0,
  onward: { retryIntervalMs: 0, timeoutMs: 3000 },
};

const [sharerDbs, recipientDbs] = [testDatabases(), testDatabases()];
sharerDbs.forEach((database, i) => {
  test(`${database.name}: onward sharing over BISAs to two recipients, refusals, withdrawal on termination with a retry`, async (t) => {
    const master = Party.generate('sharer CRM (test)');
    const api1 = await startTestApi(database, { ...OPTIONS, vendorKey: master });
    t.after(api1.close);
    const api2 = await startTestApi(recipientDbs[i] as (typeof recipientDbs)[number], OPTIONS);
    t.after(api2.close);
    const base1 = await listen(api1);
    const base2 = await listen(api2);
    const sharer = api1.tenants.a;
    const urlB = `${base2}${vendorPath(api2.tenants.a)}`;
    const gateC = await proxy(base1);
    t.after(() => new Promise<void>((r) => gateC.server.close(() => r())));
    const urlC = `${gateC.url}${vendorPath(api1.tenants.b)}`;
    const sharerDid = master.pairwise(`tenant:${sharer}`).did;

    const s3p = findTerms('SD-BASE-ATP-S3P');
    assert.ok(s3p);
    const person = new TestPerson(api1, sharer);
    await agree(person, 'SD-BASE-ATP-S3P', { allowed: true, terms: termsRef(s3p) });
    const agreementId = person.agreement?.id as string;
    const data = await person.data({
      givenName: 'Alice',
      email: 'alice@example.org',
      interests: 'cycling',
      preferredLanguage: 'fr',
    });
    assert.equal(data.status, 200, data.text);

    const share = (recipient: string, fields: string[], purpose = 'ServiceAnalytics', id = agreementId) =>
      api1.call(api1.keys.a, 'POST', SHARES, { agreementId: id, recipient, fields, purpose });

    // Non-identifying fields to B (another server) and C (another tenant, behind a proxy).
    const toB = await share(urlB, ['interests', 'preferredLanguage']);
    assert.equal(toB.status, 201, JSON.stringify(toB.body));
    const shareB = toB.body?.share as Record<string, unknown>;
    assert.equal(shareB.status, 'active');
    assert.deepEqual(shareB.fields, ['interests', 'preferredLanguage']);
    const vkey = (await vendorCall(api1, 'GET', vendorPath(sharer))).body.ledger.vkey as string;
    verifyLedgerReceipt(toB.body?.ledger, Ed25519NoteVerifier.fromVkey(vkey));
    const toC = await share(urlC, ['interests']);
    assert.equal(toC.status, 201, JSON.stringify(toC.body));
    const shareC = toC.body?.share as Record<string, unknown>;
    assert.notEqual(shareC.bisaId, shareB.bisaId);

    const atB = await received(api2, api2.tenants.a);
    assert.deepEqual(
      atB.map((r) => [r.field, JSON.parse(r.value as string)]),
      [
        ['interests', 'cycling'],
        ['preferredLanguage', 'fr'],
      ],
    );
    for (const r of atB) {
      assert.equal(r.sharer_did, sharerDid);
      assert.equal(r.agreement_id, agreementId);
      assert.equal(r.terms_id, s3p.id);
      assert.equal(r.share_id, shareB.id);
      assert.equal(r.bisa_id, shareB.bisaId);
      assert.equal(r.purge_at, null);
    }
    const atC = await received(api1, api1.tenants.b);
    assert.deepEqual(
      atC.map((r) => r.field),
      ['interests'],
    );

    // A second share to B reuses its BISA (the chain goes on).
    const again = await share(urlB, ['interests']);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal((again.body?.share as Record<string, unknown>).bisaId, shareB.bisaId);

    // Her e-mail under anonymised-only terms: refused, naming the field.
    const email = await share(urlB, ['interests', 'email']);
    assert.equal(email.status, 403);
    assert.equal(email.body?.field, 'fields[1]');
    assert.match(String(email.body?.detail), /anonymised.*email/);
    const givenName = await share(urlB, ['givenName']);
    assert.equal(givenName.status, 403);
    assert.equal(givenName.body?.field, 'fields[0]');
    // A field she never sent.
    const unsent = await share(urlB, ['phone']);
    assert.equal(unsent.status, 403, 'phone identifies her: refused before asking whether she sent it');
    const notHeld = await api1.call(api1.keys.a, 'POST', SHARES, {
      agreementId,
      recipient: urlB,
      fields: ['familyName'],
      purpose: 'ServiceAnalytics',
    });
    assert.equal(notHeld.status, 403);
    // A purpose the onward terms forbid.
    const marketing = await share(urlB, ['interests'], 'Marketing');
    assert.equal(marketing.status, 403);
    assert.equal(marketing.body?.field, 'purpose');

    // Under SD-BASE (no onward sharing): refused.
    const other = new TestPerson(api1, sharer, 'other');
    await agree(other, 'SD-BASE', { allowed: false });
    assert.equal((await other.data({ email: 'bob@example.org', interests: 'chess' })).status, 200);
    const base = await share(urlB, ['interests'], 'ServiceAnalytics', other.agreement?.id as string);
    assert.equal(base.status, 403);
    assert.equal(base.body?.code, 'onward-sharing-not-allowed');
    assert.equal(base.body?.field, 'agreementId');

    // A forged event (signed by someone else) and a fork are refused by the recipient.
    const bisaIdB = shareB.bisaId as string;
    const eventsB = `${vendorPath(api2.tenants.a)}/bisa/${bisaIdB}/events`;
    const payload = {
      type: 'OnwardWithdrawal',
      shareId: shareB.id,
      reason: 'forged',
    };
    const forged = createBisaEvent({ bisaId: bisaIdB }, Party.generate('forger'), payload, null);
    const forgedReply = await vendorCall(api2, 'POST', eventsB, forged);
    assert.equal(forgedReply.status, 422, forgedReply.text);
    assert.match(forgedReply.body.field, /^audit\./);
    const fork = createBisaEvent({ bisaId: bisaIdB }, master.pairwise(`tenant:${sharer}`), payload, null);
    const forkReply = await vendorCall(api2, 'POST', eventsB, fork);
    assert.equal(forkReply.status, 409, forkReply.text);
    const tampered = { ...fork, audit: { ...fork.audit, initiatorDid: Party.generate().did } } as JlincEvent;
    assert.equal((await vendorCall(api2, 'POST', eventsB, tampered)).status, 400);
    assert.equal((await received(api2, api2.tenants.a)).length, 3, 'nothing was removed');
    // A genuine event from the sharer whose share names other terms, or a purpose they forbid: 422.
    const sharerParty = master.pairwise(`tenant:${sharer}`);
    const headB = (await api2.db.kysely
      .selectFrom('crm_onward_bisas')
      .select('head_event_id')
      .where('bisa_id', '=', bisaIdB)
      .executeTakeFirst()) as { head_event_id: string };
    const sd = findTerms('SD-BASE');
    assert.ok(sd);
    const otherShare = {
      type: 'OnwardShare',
      shareId: 'urn:uuid:00000000-0000-4000-8000-000000000001',
      agreementId,
      terms: termsRef(sd),
      purposes: ['ServiceAnalytics'],
      retentionDays: null,
      fields: { interests: 'x' },
    };
    const wrongTerms = await vendorCall(
      api2,
      'POST',
      eventsB,
      createBisaEvent({ bisaId: bisaIdB }, sharerParty, otherShare, headB.head_event_id),
    );
    assert.equal(wrongTerms.status, 422, wrongTerms.text);
    assert.equal(wrongTerms.body.field, 'payload.terms');
    const marketingShare = { ...otherShare, terms: termsRef(s3p), purposes: ['Marketing'] };
    const wrongPurpose = await vendorCall(
      api2,
      'POST',
      eventsB,
      createBisaEvent({ bisaId: bisaIdB }, sharerParty, marketingShare, headB.head_event_id),
    );
    assert.equal(wrongPurpose.status, 422, wrongPurpose.text);
    assert.equal(wrongPurpose.body.field, 'payload.purposes[0]');
    const unknown = await vendorCall(
      api2,
      'POST',
      `${vendorPath(api2.tenants.a)}/bisa/${'A'.repeat(43)}/events`,
      {
        ...fork,
        audit: { ...fork.audit, bisaId: 'A'.repeat(43) },
      },
    );
    assert.equal(unknown.status, 404);

    // C takes the offering's GET but drops the event: 502, and the share is withdrawn when C answers again.
    gateC.dropEvents = true;
    const lost = await share(urlC, ['preferredLanguage']);
    assert.equal(lost.status, 502, JSON.stringify(lost.body));
    assert.equal(lost.body?.code, 'recipient-unreachable');
    gateC.dropEvents = false;

    const listed = await api1.call(
      api1.keys.a,
      'GET',
      `${SHARES}?agreementId=${encodeURIComponent(agreementId)}`,
    );
    assert.equal(listed.status, 200);
    assert.deepEqual(
      (listed.body as unknown as { status: string }[]).map((s) => s.status),
      ['active', 'active', 'active', 'withdrawal-pending'],
    );

    // C is down when she terminates: B confirms at once, C's share stays pending.
    gateC.down = true;
    const { event } = person.terminate('destroy');
    assert.equal((await person.send(event)).status, 200);
    await api1.app.parleyOnward.settled();
    assert.deepEqual(await received(api2, api2.tenants.a), []);
    const stored = (await api2.db.kysely
      .selectFrom('crm_onward_events')
      .select(['kind', 'response'])
      .execute()) as { kind: string; response: string | null }[];
    assert.ok(
      stored.filter((s) => s.kind === 'OnwardShare').every((s) => s.response === null),
      'answers carrying the values are dropped',
    );
    const after = (
      await api1.call(api1.keys.a, 'GET', `${SHARES}?agreementId=${encodeURIComponent(agreementId)}`)
    ).body as unknown as Record<string, unknown>[];
    const byId = new Map(after.map((s) => [s.id, s]));
    const b = byId.get(shareB.id) as { status: string; withdrawal: Record<string, unknown> };
    assert.equal(b.status, 'withdrawn');
    assert.equal(b.withdrawal.removed, 2);
    assert.ok(b.withdrawal.confirmedAt);
    assert.equal(typeof b.withdrawal.ledgerIndex, 'number');
    const c = byId.get(shareC.id) as { status: string; withdrawal: Record<string, unknown> };
    assert.equal(c.status, 'withdrawal-pending');
    assert.ok(c.withdrawal.lastError);
    assert.equal((await received(api1, api1.tenants.b)).length, 1, 'C still holds it');
    assert.equal(after.filter((s) => s.status === 'withdrawal-pending').length, 2);

    // Still down: the retry leaves it pending; back up: the retry confirms.
    assert.equal((await api1.app.parleyOnward.retry()).pending, 2);
    gateC.down = false;
    assert.equal((await api1.app.parleyOnward.retry()).pending, 0);
    assert.deepEqual(await received(api1, api1.tenants.b), []);
    const final = (
      await api1.call(api1.keys.a, 'GET', `${SHARES}?agreementId=${encodeURIComponent(agreementId)}`)
    ).body as unknown as { status: string; withdrawal: { removed: number } }[];
    assert.deepEqual(
      final.map((s) => s.status),
      ['withdrawn', 'withdrawn', 'withdrawn', 'withdrawn'],
    );
    assert.deepEqual(final.map((s) => s.withdrawal.removed).sort(), [1, 1, 1, 2], 'removed counts per share');

    // A terminated agreement shares nothing.
    const late = await share(urlB, ['interests']);
    assert.equal(late.status, 403);
    assert.equal(late.body?.code, 'terminated');
  });

  test(`${database.name}: consent to ThirdPartySharing withdrawn: shares withdrawn, new ones refused; staff withdrawal`, async (t) => {
    const api1 = await startTestApi(database, OPTIONS);
    t.after(api1.close);
    const base1 = await listen(api1);
    const urlB = `${base1}${vendorPath(api1.tenants.b)}`;
    const s3p = findTerms('SD-BASE-ATP-S3P');
    assert.ok(s3p);
    const person = new TestPerson(api1, api1.tenants.a);
    await agree(person, 'SD-BASE-ATP-S3P', { allowed: true, terms: termsRef(s3p) });
    const agreementId = person.agreement?.id as string;
    assert.equal((await person.data({ email: 'alice@example.org', interests: 'cycling' })).status, 200);
    const share = () =>
      api1.call(api1.keys.a, 'POST', SHARES, {
        agreementId,
        recipient: urlB,
        fields: ['interests'],
        purpose: 'Profiling',
      });
    const notHeld = await api1.call(api1.keys.a, 'POST', SHARES, {
      agreementId,
      recipient: urlB,
      fields: ['preferredLanguage'],
      purpose: 'ServiceAnalytics',
    });
    assert.equal(notHeld.status, 422);
    assert.equal(notHeld.body?.field, 'fields[0]');
    const first = await share();
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await share();
    assert.equal(second.status, 201, JSON.stringify(second.body));
    const secondId = (second.body?.share as { id: string }).id;

    // Staff withdraw one share.
    const staff = await api1.call(
      api1.keys.a,
      'POST',
      `${SHARES}/${encodeURIComponent(secondId)}/withdrawal`,
      { reason: 'Sent by mistake' },
    );
    assert.equal(staff.status, 200, JSON.stringify(staff.body));
    assert.equal(staff.body?.status, 'withdrawn');
    assert.equal(
      (await api1.call(api1.keys.aRead, 'POST', `${SHARES}/${encodeURIComponent(secondId)}/withdrawal`, {}))
        .status,
      403,
    );

    // DoNotTrack forbids Profiling; then consent withdrawn: the other share goes, new ones are refused.
    assert.equal(
      (await person.permissions({ consents: [], channels: [], policies: ['DoNotTrack'] })).status,
      200,
    );
    const dnt = await share();
    assert.equal(dnt.status, 403);
    assert.equal(dnt.body?.field, 'purpose');
    const r = await person.permissions({
      consents: [{ purpose: 'ThirdPartySharing', granted: false }],
      channels: [],
    });
    assert.equal(r.status, 200, r.text);
    await api1.app.parleyOnward.settled();
    assert.deepEqual(await received(api1, api1.tenants.b), []);
    const list = (await api1.call(api1.keys.a, 'GET', SHARES)).body as unknown as { status: string }[];
    assert.deepEqual(
      list.map((s) => s.status),
      ['withdrawn', 'withdrawn'],
    );
    const refused = await api1.call(api1.keys.a, 'POST', SHARES, {
      agreementId,
      recipient: urlB,
      fields: ['interests'],
      purpose: 'ServiceAnalytics',
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body?.code, 'consent-withdrawn');

    // The recipient side refuses an offering for someone else and one for terms it does not know.
    const offering = await vendorCall(api1, 'POST', `${vendorPath(api1.tenants.a)}/offerings`, {});
    const sisa = acceptSisaOffering(offering.body as SisaOffering, Party.generate());
    assert.equal((await vendorCall(api1, 'POST', `${vendorPath(api1.tenants.b)}/bisa`, sisa)).status, 400);
  });
});
