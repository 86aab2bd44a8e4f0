import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answer,
  verifyAgreement,
  verifyConsentReceipt,
  type SignedMessage,
  type TermsAnswer,
} from '@parley/protocol';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE } from '../testing/fixtures.js';
import { SCHEMA, TestPerson, vendorCall } from './testing.js';

const COUNTER_POLICY = {
  accepts: ['SD-BASE-A'],
  counter: 'SD-BASE-A-DP',
  purposes: ['ServiceAnalytics'],
  reason: 'We analyse use of our own network to improve it.',
};

/** Sets tenant A's profile through the admin API, changing only what is given. */
async function setProfile(api: Awaited<ReturnType<typeof startTestApi>>, change: Record<string, unknown>) {
  const current = await api.call(api.keys.a, 'GET', '/crm/v1/vendorProfile');
  assert.equal(current.status, 200);
  const r = await api.call(api.keys.a, 'PUT', '/crm/v1/vendorProfile', { ...current.body, ...change });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as Record<string, unknown>;
}

for (const database of testDatabases()) {
  test(`${database.name}: connect: the vendor document, an offering, a proffer accepted by policy`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const person = new TestPerson(api, api.tenants.a);
    const vendor = await person.discover();
    assert.equal(vendor.body.name, 'Telco A');
    assert.match(vendor.body.did, /^did:jlinc:[A-Za-z0-9_-]{43}$/);
    assert.equal(vendor.body.policy.accepts[0], 'SD-BASE');
    assert.deepEqual(
      vendor.body.request.schema.fields.map(
        (f: { name: string; required?: boolean }) => `${f.name}${f.required ? '!' : ''}`,
      ),
      ['givenName', 'familyName', 'email!', 'phone', 'postalAddress'],
    );
    assert.deepEqual(Object.keys(vendor.body).sort(), [
      'categories',
      'controller',
      'did',
      'intentPolicy',
      'ledger',
      'name',
      'policy',
      'publications',
      'request',
    ]);
    assert.equal(vendor.body.ledger.origin, 'parley-crm/ledger');
    // Each tenant speaks as its own identity.
    const other = await vendorCall(api, 'GET', `/parley/v1/vendors/${api.tenants.b}`);
    assert.notEqual(other.body.did, vendor.body.did);
    assert.equal((await vendorCall(api, 'GET', '/parley/v1/vendors/no-such-tenant')).status, 404);

    const { sisa, proposal } = await person.prepare(['SD-BASE-DP', 'SD-BASE']);
    const r = await vendorCall(api, 'POST', `${person.url}/negotiations`, { sisa, proposal });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.location, `${person.url}/negotiations/${encodeURIComponent(proposal.id)}`);
    assert.equal(r.body.status, 'agreed');
    assert.equal(r.body.answer.decision, 'accept');
    const agreement = verifyAgreement(r.body.agreement);
    assert.equal(agreement.person, person.identity.did);
    assert.equal(agreement.organisation, vendor.body.did);
    assert.equal(agreement.terms.id.split('#')[1], 'SD-BASE-DP');
    const receipt = verifyConsentReceipt(r.body.consentReceipt, vendor.body.did);
    assert.equal(receipt.receipt.piiPrincipalId, person.identity.did);
    assert.equal(receipt.receipt.parley?.agreementId, agreement.id);
    person.vkey = vendor.body.ledger.vkey;
    person.verifyReceipt(r.body.ledger);
    assert.equal(r.body.ledger.record.type, 'agreement');
    assert.equal(r.body.ledger.record.agreementId, agreement.id);
    assert.equal(r.body.ledger.record.sisaId, sisa.sisaId);

    // The party: a TMF632 individual for her pairwise DID, linked to the agreement.
    const parties = await api.call(api.keys.a, 'GET', `${BASE.party}/individual`);
    const party = (parties.body as unknown as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.deepEqual(party.externalReference, [{ externalReferenceType: 'did', name: person.identity.did }]);
    assert.deepEqual((party.partyCharacteristic as { value: unknown }[])[0]?.value, {
      agreementId: agreement.id,
      did: person.identity.did,
      status: 'active',
    });
    // The vendor's staff can work on it like any individual (the document passes the TMF definition).
    const patched = await api.call(
      api.keys.a,
      'PATCH',
      `${BASE.party}/individual/${party.id}`,
      { status: 'validated' },
      'application/merge-patch+json',
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const row = await api.db.kysely
      .selectFrom('crm_parties')
      .select('agreement_id')
      .where('id', '=', party.id as string)
      .executeTakeFirstOrThrow();
    assert.equal(row.agreement_id, agreement.id);

    // The same request again (her agent did not see the answer) gets the same answer; a new proposal on the
    // used SISA is refused.
    const again = await vendorCall(api, 'POST', `${person.url}/negotiations`, { sisa, proposal });
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, r.body);
    const { proposal: second } = await person.prepare(['SD-BASE']);
    const reused = await vendorCall(api, 'POST', `${person.url}/negotiations`, { sisa, proposal: second });
    assert.equal(reused.status, 409);
    assert.equal(reused.body.code, 'sisa-used');
    assert.equal(reused.body.field, 'sisa.sisaId');
    assert.equal(reused.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  test(`${database.name}: counter-offer, then accepted`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    await setProfile(api, { policy: COUNTER_POLICY });
    const person = new TestPerson(api, api.tenants.a);
    const first = await person.proffer(['SD-BASE']);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.status, 'countered');
    assert.equal(first.body.answer.decision, 'counter');
    assert.equal(first.body.answer.terms.id.split('#')[1], 'SD-BASE-A-DP');
    assert.deepEqual(first.body.answer.purposes, ['ServiceDelivery', 'ServiceAnalytics']);
    assert.equal(first.body.agreement, undefined);

    const { reply, message } = await person.decide(true);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.body.status, 'agreed');
    const agreement = verifyAgreement(reply.body.agreement);
    assert.equal(agreement.messages.length, 3);
    assert.deepEqual(agreement.purposes, ['ServiceDelivery', 'ServiceAnalytics']);
    verifyConsentReceipt(reply.body.consentReceipt, person.vendorDid);
    person.verifyReceipt(reply.body.ledger);
    // The same answer again: the same reply. Another answer: no counter is pending.
    const url = `${person.url}/negotiations/${encodeURIComponent(person.proposal?.id ?? '')}/answer`;
    const again = await vendorCall(api, 'POST', url, { answer: message });
    assert.deepEqual(again.body, reply.body);
    const other = answer(person.counter as SignedMessage<TermsAnswer>, person.identity, {
      decision: 'reject',
    });
    const late = await vendorCall(api, 'POST', url, { answer: other });
    assert.equal(late.status, 404);
    assert.equal(late.body.code, 'not-pending');
    const count = await api.db.kysely.selectFrom('crm_agreements').select('id').execute();
    assert.equal(count.length, 1);
  });

  test(`${database.name}: counter-offer, then rejected; a forged answer is refused`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    await setProfile(api, { policy: COUNTER_POLICY });
    const person = new TestPerson(api, api.tenants.a);
    await person.proffer(['SD-BASE']);
    const url = `${person.url}/negotiations/${encodeURIComponent(person.proposal?.id ?? '')}/answer`;
    // Signed by someone else than the proposer.
    const stranger = new TestPerson(api, api.tenants.a, 'stranger');
    const forged = answer(
      { ...(person.counter as SignedMessage<TermsAnswer>), to: stranger.identity.did },
      stranger.identity,
      { decision: 'accept' },
    );
    const refused = await vendorCall(api, 'POST', url, { answer: forged });
    assert.ok([400, 422].includes(refused.status), refused.text);
    assert.match(refused.body.field, /^answer\./);
    const { reply } = await person.decide(false);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.body.status, 'refused');
    assert.equal(reply.body.agreement, undefined);
    assert.equal((await api.db.kysely.selectFrom('crm_agreements').select('id').execute()).length, 0);
    assert.equal((await api.db.kysely.selectFrom('crm_parties').select('id').execute()).length, 0);
    const missing = await vendorCall(api, 'POST', `${person.url}/negotiations/urn:uuid:nothing/answer`, {
      answer: forged,
    });
    assert.equal(missing.status, 404);
  });

  test(`${database.name}: rejections: terms the policy does not take, a schema without a required field`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const person = new TestPerson(api, api.tenants.a);
    const noTerms = await person.proffer(['P2B1']);
    assert.equal(noTerms.status, 201, noTerms.text);
    assert.equal(noTerms.body.status, 'refused');
    assert.equal(noTerms.body.answer.decision, 'reject');

    const withoutEmail = { fields: SCHEMA.fields.filter((f) => f.name !== 'email') };
    const r = await person.proffer(['SD-BASE'], { schema: withoutEmail });
    assert.equal(r.body.status, 'refused');
    assert.match(r.body.answer.reason, /email/);
    assert.equal((await api.db.kysely.selectFrom('crm_agreements').select('id').execute()).length, 0);
  });

  test(`${database.name}: malformed and misaddressed proffers are refused naming the field`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const person = new TestPerson(api, api.tenants.a);
    const { sisa, proposal } = await person.prepare(['SD-BASE']);
    const post = (body: unknown) => vendorCall(api, 'POST', `${person.url}/negotiations`, body);

    const tampered = await post({ sisa, proposal: { ...proposal, retentionDays: 30 } });
    assert.equal(tampered.status, 400, tampered.text);
    assert.match(tampered.body.field, /^proposal\.proof/);

    const b = new TestPerson(api, api.tenants.b);
    const { sisa: sisaB } = await b.prepare(['SD-BASE']);
    const notOwn = await post({ sisa: sisaB, proposal });
    assert.equal(notOwn.status, 422, notOwn.text);
    assert.equal(notOwn.body.code, 'not-own');
    assert.match(notOwn.body.field, /^sisa\.acceptedSisaJwt/);

    const duplicate = await post(
      `{"sisa":${JSON.stringify(sisa)},"sisa":1,"proposal":${JSON.stringify(proposal)}}`,
    );
    assert.equal(duplicate.status, 400);
    assert.equal(duplicate.body.code, 'duplicate');

    const extra = await post({ sisa, proposal, note: 'hi' });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.field, 'note');

    const badInvitation = await post({ sisa, proposal, invitation: 'inv_nothing' });
    assert.equal(badInvitation.status, 422);
    assert.equal(badInvitation.body.field, 'invitation');
    assert.equal(
      (await api.db.kysely.selectFrom('crm_agreement_negotiations').select('sisa_id').execute()).length,
      0,
    );
  });

  test(`${database.name}: vendor profile: defaults, admin only, validated, published`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const defaults = await api.call(api.keys.a, 'GET', '/crm/v1/vendorProfile');
    assert.equal(defaults.status, 200);
    assert.equal(defaults.body?.name, 'Telco A');
    assert.equal((await api.call(api.keys.aRead, 'GET', '/crm/v1/vendorProfile')).status, 403);
    assert.equal((await api.call(api.keys.b, 'PUT', '/crm/v1/vendorProfile', defaults.body)).status, 403);
    assert.equal((await vendorCall(api, 'GET', '/crm/v1/vendorProfile')).status, 401);

    const put = (change: Record<string, unknown>) =>
      api.call(api.keys.a, 'PUT', '/crm/v1/vendorProfile', { ...defaults.body, ...change });
    const unknownTerms = await put({ policy: { accepts: ['SD-BASE', 'NOPE'] } });
    assert.equal(unknownTerms.status, 422);
    assert.equal(unknownTerms.body?.field, 'body.policy.accepts.1');
    const twice = await put({
      request: {
        schema: { fields: [SCHEMA.fields[2], SCHEMA.fields[2]] },
        purposes: ['ServiceDelivery'],
        retentionDays: null,
      },
    });
    assert.equal(twice.status, 422);
    assert.equal(twice.body?.field, 'body.request.schema.fields.1.name');
    const badKind = await put({
      publications: [{ id: 'news', name: 'News', kind: 'spam', channels: ['email'] }],
    });
    assert.equal(badKind.status, 400);
    assert.match(String(badKind.body?.field), /^body\.publications\.0\.kind/);

    const saved = await put({
      name: 'Example Telco',
      policy: {
        accepts: ['sd-base-a', 'https://w3id.org/dpv/standards/p7012#SD-BASE'],
        counter: 'SD-BASE-A-DP',
      },
      publications: [
        { id: 'newsletter:weekly', name: 'Weekly deals', kind: 'newsletter', channels: ['email'] },
      ],
      jurisdiction: 'GB',
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual((saved.body?.policy as { accepts: string[] }).accepts, ['SD-BASE-A', 'SD-BASE']);
    const published = await vendorCall(api, 'GET', `/parley/v1/vendors/${api.tenants.a}`);
    assert.equal(published.body.name, 'Example Telco');
    assert.equal(published.body.publications[0].id, 'newsletter:weekly');
    assert.equal(published.body.jurisdiction, undefined);
    // The offering is for the first accepted terms.
    const offer = await vendorCall(api, 'POST', `/parley/v1/vendors/${api.tenants.a}/offerings`, {});
    const jwt = offer.body.offeredSisa.agreementJwt.split('.')[1];
    assert.match(Buffer.from(jwt, 'base64url').toString(), /p7012#SD-BASE-A"/);
  });

  test(`${database.name}: an invitation binds the agreement to an existing customer, once`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const customer = await api.call(api.keys.a, 'POST', `${BASE.party}/individual`, {
      givenName: 'Ada',
      familyName: 'Example',
      contactMedium: [{ mediumType: 'email', characteristic: { emailAddress: 'ada@vendor.example' } }],
    });
    const partyId = customer.body?.id as string;
    const invited = await api.call(api.keys.a, 'POST', '/crm/v1/agreementInvitations', { partyId });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const { code, url, expiresAt } = invited.body as { code: string; url: string; expiresAt: string };
    assert.match(code, /^inv_/);
    assert.ok(url.endsWith(`/parley/v1/vendors/${api.tenants.a}`));
    assert.ok(Date.parse(expiresAt) > Date.now() + 6 * 86_400_000);
    const stored = await api.db.kysely.selectFrom('crm_agreement_invitations').selectAll().execute();
    assert.equal(stored.length, 1);
    assert.ok(!JSON.stringify(stored).includes(code), 'only the hash of the code is stored');
    assert.equal(
      (await api.call(api.keys.a, 'POST', '/crm/v1/agreementInvitations', { partyId: 'nobody' })).status,
      422,
    );
    assert.equal(
      (await api.call(api.keys.aRead, 'POST', '/crm/v1/agreementInvitations', { partyId })).status,
      403,
    );

    const person = new TestPerson(api, api.tenants.a);
    const r = await person.proffer(['SD-BASE'], { invitation: code });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.status, 'agreed');
    const parties = await api.call(api.keys.a, 'GET', `${BASE.party}/individual`);
    assert.equal(parties.headers['x-total-count'], '1', 'no new individual');
    const ada = await api.call(api.keys.a, 'GET', `${BASE.party}/individual/${partyId}`);
    assert.deepEqual(ada.body?.externalReference, [
      { externalReferenceType: 'did', name: person.identity.did },
    ]);
    assert.equal(ada.body?.givenName, 'Ada');
    const row = await api.db.kysely.selectFrom('crm_agreements').select('party_id').executeTakeFirstOrThrow();
    assert.equal(row.party_id, partyId);

    const someoneElse = new TestPerson(api, api.tenants.a, 'other');
    const reused = await someoneElse.proffer(['SD-BASE'], { invitation: code });
    assert.equal(reused.status, 422);
    assert.equal(reused.body.field, 'invitation');
    assert.equal(reused.body.code, 'invitation');
    // Another tenant's vendor does not know the code.
    const b = new TestPerson(api, api.tenants.b);
    assert.equal((await b.proffer(['SD-BASE'], { invitation: code })).status, 422);
  });
}
