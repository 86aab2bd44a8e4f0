import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  acceptOffer,
  acceptSisaOffering,
  createSisaEvent,
  findTerms,
  proposeTerms,
  verifyAgreement,
  type DataSchema,
  type Offer,
  type Party,
  type Purpose,
  type SignedIntentMessage,
  type SisaOffering,
  type TermsEntry,
} from '@parley/protocol';
import type { Database } from '@parley/store';
import { vendorCall, type Reply } from '../agreement/testing.js';
import { vendorPath } from '../agreement/vendor.js';
import type { TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE } from '../testing/fixtures.js';
import {
  addCatalogue,
  BIKES,
  IntentPerson,
  pushIntent,
  SALES_LEAD_PATH,
  setIntentPolicy,
  startIntentApi,
  startLoopbackAgent,
} from './testing.js';

interface VendorDoc {
  did: string;
  request: { schema: DataSchema; purposes: Purpose[]; retentionDays: number | null };
}

/** What her agent proffers after taking an offer (packages/agent, chooseOfferProposal): its terms alone. */
async function negotiate(
  api: TestApi,
  tenantId: string,
  relationship: Party,
  terms: TermsEntry[],
  acceptance: unknown,
): Promise<Reply & { request: object }> {
  const url = vendorPath(tenantId);
  const vendor = (await vendorCall(api, 'GET', url)).body as VendorDoc;
  const offering = await vendorCall(api, 'POST', `${url}/offerings`, {});
  const sisa = acceptSisaOffering(offering.body as SisaOffering, relationship);
  const first = terms[0] as TermsEntry;
  let purposes = vendor.request.purposes.filter((p) => first.permissions[p] === 'yes');
  if (purposes.length === 0) purposes = ['IntentResponse'];
  const max = first.maxRetentionDays;
  const proposal = proposeTerms({
    from: relationship,
    to: vendor.did,
    proposer: 'person',
    terms,
    schema: vendor.request.schema,
    purposes,
    retentionDays:
      max === undefined ? vendor.request.retentionDays : Math.min(vendor.request.retentionDays ?? max, max),
    onwardSharing: { allowed: false },
  });
  const request = { sisa, proposal, acceptance };
  return { ...(await vendorCall(api, 'POST', `${url}/negotiations`, request)), request };
}

/** Everything an acceptance could leave behind. */
async function snapshot(api: TestApi) {
  const count = async (table: string, where?: [string, string]) => {
    let q = api.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n'));
    if (where) q = q.where(where[0], '=', where[1]);
    return Number(((await q.executeTakeFirst()) as { n: number | string }).n);
  };
  return {
    negotiations: await count('crm_agreement_negotiations'),
    agreements: await count('crm_agreements'),
    parties: await count('crm_parties'),
    leads: await count('crm_sales_leads'),
    taken: await count('crm_intent_offers', ['status', 'taken']),
    ledger: api.app.parleyIntents.ctx.ledger.size,
  };
}

/** Every table's rows as text, for the needles found: where personal data was stored. */
async function personalDataIn(db: Database, needles: string[]): Promise<string[]> {
  const tables =
    db.kind === 'sqlite'
      ? ((await db.kysely
          .selectFrom('sqlite_master')
          .select('name')
          .where('type', '=', 'table')
          .execute()) as { name: string }[])
      : ((await db.kysely
          .selectFrom('pg_tables')
          .select('tablename as name')
          .where('schemaname', '=', 'public')
          .execute()) as { name: string }[]);
  assert.ok(tables.some((t) => t.name === 'crm_intents'));
  const hits: string[] = [];
  for (const { name } of tables) {
    const text = JSON.stringify(await db.kysely.selectFrom(name).selectAll().execute()).toLowerCase();
    for (const needle of needles) if (text.includes(needle.toLowerCase())) hits.push(`${name}: ${needle}`);
  }
  return hits;
}

const HER = {
  givenName: 'Adelheid',
  familyName: 'Lovelace-Vermeer',
  email: 'adelheid.vermeer@example.org',
  phone: '+31 30 765 4321',
  postalAddress: { street1: 'Oudegracht 231', city: 'Utrecht', postCode: '3511 NK', country: 'NL' },
};
const NEEDLES = [
  HER.givenName,
  HER.familyName,
  HER.email,
  HER.phone,
  HER.postalAddress.street1,
  HER.postalAddress.postCode,
];

for (const database of testDatabases()) {
  test(`${database.name}: acceptance: the offer's terms agreed, a sales lead (TMF699) tied to the agreement, nothing personal before`, async (t) => {
    const api = await startIntentApi(database);
    const agent = await startLoopbackAgent();
    t.after(async () => {
      await api.close();
      await agent.close();
    });
    const ids = await addCatalogue(api, api.keys.a, BIKES);
    const person = new IntentPerson(agent.replyTo);

    // Intentcasting of every kind first: accepted, countered, rejected, pending then decided, from a feed.
    const { intent, identity } = person.intentcast();
    const answer = await pushIntent(api, api.tenants.a, intent);
    assert.equal(answer.body.decision.decision, 'accept');
    const offer = answer.body.offer as SignedIntentMessage<Offer>;
    await setIntentPolicy(api, api.keys.a, { mode: 'auto', accepts: ['SD-BASE'], counter: '2P-30D' });
    assert.equal(
      (await pushIntent(api, api.tenants.a, person.intentcast().intent)).body.decision.decision,
      'counter',
    );
    await setIntentPolicy(api, api.keys.a, { mode: 'auto', accepts: ['SD-BASE'] });
    assert.equal(
      (await pushIntent(api, api.tenants.a, person.intentcast().intent)).body.decision.decision,
      'reject',
    );
    await setIntentPolicy(api, api.keys.a, { mode: 'manual', accepts: ['PDC-INTENT'] });
    const pending = person.intentcast().intent;
    assert.equal((await pushIntent(api, api.tenants.a, pending)).status, 202);
    const staff = `/crm/v1/intents/${encodeURIComponent(pending.id)}/decision`;
    assert.equal((await api.call(api.keys.a, 'POST', staff, { decision: 'accept' })).status, 200);
    agent.feed.push(person.intentcast().intent);
    await api.call(api.keys.a, 'POST', '/crm/v1/intentFeeds', { url: agent.feedUrl });
    await api.app.parleyIntents.pollFeeds();
    await api.app.parleyIntents.deliverAnswers(5000);
    assert.equal(agent.answers.length, 1);
    // Before any agreement: nothing of her anywhere, in any table.
    assert.deepEqual(await personalDataIn(api.db, NEEDLES), []);

    // She takes the first offer: an acceptance with the intent's identity naming a fresh one.
    const relationship = person.master.pairwise('relationship:1');
    const acceptance = acceptOffer(offer, identity, relationship.did);
    const before = await snapshot(api);
    const terms = findTerms(offer.terms.id) as TermsEntry;
    const r = await negotiate(api, api.tenants.a, relationship, [terms], acceptance);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.status, 'agreed');
    const agreement = verifyAgreement(r.body.agreement);
    assert.equal(agreement.person, relationship.did);
    assert.equal(agreement.terms.id, offer.terms.id, 'the offer bound the vendor to its terms');
    assert.deepEqual(agreement.purposes, ['IntentResponse']);
    assert.equal(r.body.ledger.record.type, 'agreement');
    const after = await snapshot(api);
    assert.deepEqual(after, {
      negotiations: before.negotiations + 1,
      agreements: before.agreements + 1,
      parties: before.parties + 1,
      leads: before.leads + 1,
      taken: before.taken + 1,
      // agreement, consent receipt, offer acceptance
      ledger: before.ledger + 3,
    });

    // The lead, read with an API key (read only), tied to the agreement and the party it made.
    const leads = await api.call(
      api.keys.aRead,
      'GET',
      `${SALES_LEAD_PATH}?agreement.id=${encodeURIComponent(agreement.id)}`,
    );
    assert.equal(leads.status, 200);
    assert.equal(leads.headers['x-total-count'], '1');
    const lead = (leads.body as unknown as Record<string, unknown>[])[0] as Record<string, unknown>;
    const parties = await api.call(api.keys.a, 'GET', `${BASE.party}/individual`);
    const party = (parties.body as unknown as { id: string; externalReference: { name: string }[] }[]).find(
      (p) => p.externalReference?.[0]?.name === relationship.did,
    );
    assert.ok(party);
    assert.equal(lead.status, 'qualified');
    assert.deepEqual(lead.agreement, { id: agreement.id, '@referredType': 'InformationSharingAgreement' });
    assert.deepEqual(
      (lead.productOffering as { id: string }[]).map((p) => p.id),
      [ids[0]],
    );
    assert.equal((lead.relatedParty as { id: string }[])[0]?.id, party.id);
    assert.equal((lead.relatedParty as { role: string }[])[0]?.role, 'prospect');
    assert.ok(!Number.isNaN(Date.parse(String(lead.creationDate))));
    assert.deepEqual(lead.estimatedRevenue, { unit: 'EUR', value: 2299 });
    const byId = await api.call(api.keys.aRead, 'GET', `${SALES_LEAD_PATH}/${String(lead.id)}`);
    assert.equal(byId.status, 200);
    assert.notEqual((await api.call(api.keys.a, 'POST', SALES_LEAD_PATH, { name: 'x' })).status, 201);
    assert.equal((await api.call(api.keys.b, 'GET', SALES_LEAD_PATH)).headers['x-total-count'], '0');
    const seen = await api.call(api.keys.a, 'GET', `/crm/v1/intents/${encodeURIComponent(intent.id)}`);
    assert.equal(seen.body?.status, 'accepted');
    assert.equal((seen.body?.offer as { status: string }).status, 'taken');

    // The same request again: the same answer, nothing more.
    const again = await vendorCall(api, 'POST', `${vendorPath(api.tenants.a)}/negotiations`, r.request);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, r.body);
    // Taken: another relationship cannot take it again.
    const other = person.master.pairwise('relationship:2');
    const second = await negotiate(
      api,
      api.tenants.a,
      other,
      [terms],
      acceptOffer(offer, identity, other.did),
    );
    assert.equal(second.status, 409, second.text);
    assert.equal(second.body.code, 'taken');
    assert.deepEqual(await snapshot(api), after);

    // After the agreement her data arrives in events: now (and only now) it is stored.
    const row = (await api.db.kysely
      .selectFrom('crm_agreements')
      .select('sisa_id')
      .where('id', '=', agreement.id)
      .executeTakeFirstOrThrow()) as { sisa_id: string };
    const event = createSisaEvent(
      { sisaId: row.sisa_id },
      relationship,
      'dataEvent',
      { email: HER.email },
      null,
    );
    const sent = await vendorCall(api, 'POST', `${vendorPath(api.tenants.a)}/events`, event);
    assert.equal(sent.status, 200, sent.text);
    assert.ok(
      (await personalDataIn(api.db, NEEDLES)).some((hit) => hit.endsWith(HER.email)),
      'the scan finds data',
    );

    // Once they end, intentcasts not taken are forgotten with their offers; the one taken stays.
    assert.equal(await api.app.parleyIntents.purgeEnded(), 0, 'none has ended yet');
    const later = new Date(Date.now() + 30 * 86_400_000);
    assert.equal(await api.app.parleyIntents.purgeEnded(later), 4);
    const left = await api.db.kysely.selectFrom('crm_intents').select(['intent_id', 'status']).execute();
    assert.deepEqual(left, [{ intent_id: intent.id, status: 'accepted' }]);
    const offers = await api.db.kysely
      .selectFrom('crm_intent_offers')
      .select(['offer_id', 'status'])
      .execute();
    assert.deepEqual(offers, [{ offer_id: offer.id, status: 'taken' }]);
  });

  test(`${database.name}: acceptance: refused with nothing stored (unknown, someone else's, expired, wrong proposal)`, async (t) => {
    const api = await startIntentApi(database);
    t.after(api.close);
    await addCatalogue(api, api.keys.a, BIKES);
    await addCatalogue(api, api.keys.b, BIKES);
    const person = new IntentPerson();
    const { intent, identity } = person.intentcast();
    const offer = (await pushIntent(api, api.tenants.a, intent)).body.offer as SignedIntentMessage<Offer>;
    const terms = findTerms(offer.terms.id) as TermsEntry;
    const relationship = person.master.pairwise('relationship:x');
    const before = await snapshot(api);
    const refused = async (reply: Reply, status: number, code: string, field: string) => {
      assert.equal(reply.status, status, reply.text);
      assert.equal(reply.body.code, code, reply.text);
      assert.equal(reply.body.field, field);
      assert.deepEqual(await snapshot(api), before, `nothing stored after ${code}`);
    };

    // An offer this vendor never made (for an intent it never saw).
    const invented = { ...offer, id: `urn:uuid:${randomUUID()}`, intentId: `urn:uuid:${randomUUID()}` };
    await refused(
      await negotiate(
        api,
        api.tenants.a,
        relationship,
        [terms],
        acceptOffer(invented, identity, relationship.did),
      ),
      422,
      'unknown-offer',
      'acceptance.offerId',
    );
    // Someone else's: signed by an identity the offer was not made to.
    const stranger = person.identity();
    await refused(
      await negotiate(
        api,
        api.tenants.a,
        relationship,
        [terms],
        acceptOffer({ ...offer, to: stranger.did }, stranger, relationship.did),
      ),
      422,
      'wrong-party',
      'acceptance.from',
    );
    // Its offer at another vendor (tenant B) is not B's.
    const acceptance = acceptOffer(offer, identity, relationship.did);
    const atB = await negotiate(api, api.tenants.b, relationship, [terms], acceptance);
    assert.equal(atB.status, 422);
    assert.equal(atB.body.field, 'acceptance.to');
    // A proposal from another identity than the one the acceptance names.
    await refused(
      await negotiate(api, api.tenants.a, person.master.pairwise('relationship:y'), [terms], acceptance),
      422,
      'wrong-party',
      'proposal.from',
    );
    // Other terms than the offer's.
    await refused(
      await negotiate(api, api.tenants.a, relationship, [findTerms('2P-30D') as TermsEntry], acceptance),
      422,
      'terms',
      'proposal.terms',
    );
    // A malformed acceptance.
    await refused(
      await negotiate(api, api.tenants.a, relationship, [terms], { ...acceptance, offerHash: 'x' }),
      400,
      'hash',
      'acceptance.offerHash',
    );

    // Expired: the offer ended with the intent.
    const short = person.intentcast({ validUntil: new Date(Date.now() + 1200).toISOString() });
    const brief = (await pushIntent(api, api.tenants.a, short.intent)).body
      .offer as SignedIntentMessage<Offer>;
    assert.equal(brief.validUntil, short.intent.validUntil);
    const late = acceptOffer(brief, short.identity, relationship.did);
    const start = await snapshot(api);
    await new Promise((r) => setTimeout(r, 1300));
    const expired = await negotiate(api, api.tenants.a, relationship, [terms], late);
    assert.equal(expired.status, 410, expired.text);
    assert.equal(expired.body.code, 'expired');
    assert.deepEqual(await snapshot(api), start);
  });

  test(`${database.name}: acceptance: a counter's offer binds the vendor to the counter terms`, async (t) => {
    const api = await startIntentApi(database);
    t.after(api.close);
    await addCatalogue(api, api.keys.a, BIKES);
    await setIntentPolicy(api, api.keys.a, { mode: 'auto', accepts: ['SD-BASE'], counter: '2P-30D' });
    const person = new IntentPerson();
    const { intent, identity } = person.intentcast();
    const offer = (await pushIntent(api, api.tenants.a, intent)).body.offer as SignedIntentMessage<Offer>;
    const relationship = person.master.pairwise('relationship:c');
    const terms = findTerms('2P-30D') as TermsEntry;
    const r = await negotiate(
      api,
      api.tenants.a,
      relationship,
      [terms],
      acceptOffer(offer, identity, relationship.did),
    );
    assert.equal(r.status, 201, r.text);
    const agreement = verifyAgreement(r.body.agreement);
    assert.equal(agreement.terms.id, terms.id);
    assert.equal(agreement.retentionDays, 30);
    assert.deepEqual(agreement.purposes, ['ServiceDelivery']);
  });
}
