import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Party } from '../identity/party.js';
import { AgreementError, ProofError, ProtocolError } from '../errors.js';
import { findTerms, ROSTER, termsRef, permits, type TermsEntry } from './roster.js';
import { sha256Hex } from '../crypto/hash.js';
import {
  messageHash,
  signMessage,
  validateParleyMessage,
  type DataSchema,
  type PermissionChange,
  type TermsAnswer,
} from './messages.js';
import {
  answer,
  answerByPolicy,
  changePermissions,
  checkAgainstAgreement,
  concludeAgreement,
  confirmTermination,
  followNegotiation,
  proposeTerms,
  requestData,
  sendFeedback,
  terminateAgreement,
  verifyAgreement,
} from './negotiation.js';

const schema: DataSchema = {
  fields: [
    { name: 'email', type: 'email', sensitivity: 'normal', required: true },
    { name: 'postalAddress', type: 'postal-address', sensitivity: 'normal' },
  ],
};

function parties() {
  return { person: Party.generate().pairwise('shop.example'), vendor: Party.generate('shop') };
}

function proffer(
  person: Party,
  vendor: Party,
  terms = ['SD-BASE', 'SD-BASE-A'],
  purposes = ['ServiceDelivery' as const],
) {
  return proposeTerms({
    from: person,
    to: vendor.did,
    proposer: 'person',
    terms,
    schema,
    purposes,
    retentionDays: null,
  });
}

test('the roster has the required terms, each with version, URI, text hash and summary', () => {
  for (const name of [
    'P2B1',
    '#NoStalking',
    'service delivery only',
    'intent only',
    'second-party use, 30 days',
    'SD-BASE-DP',
    'PDC-AI',
    'PDC-GOOD',
  ]) {
    const t = findTerms(name);
    assert.ok(t, name);
    assert.equal(t.sha256, sha256Hex(t.text));
    assert.ok(t.version && t.uri && t.summary);
  }
  assert.equal(ROSTER.length, new Set(ROSTER.map((t) => t.id)).size);
  // The permission matrix of the spec, spot-checked.
  const at = findTerms('SD-BASE-AT');
  assert.ok(at);
  assert.equal(permits(at, 'Tracking'), 'yes');
  assert.equal(permits(at, 'Profiling'), 'no');
  assert.equal(findTerms('SD-BASE-ATP-S3P')?.permissions.ThirdPartySharing, 'anonymised-only');
  assert.equal(findTerms('2P-30D')?.maxRetentionDays, 30);
});

test('person proffers, vendor accepts her first choice its policy allows: one agreement both can verify', () => {
  const { person, vendor } = parties();
  const proposal = proffer(person, vendor);
  const reply = answerByPolicy(proposal, vendor, { accepts: ['SD-BASE-A'] });
  assert.equal(reply.decision, 'accept');
  assert.equal(reply.terms?.id, findTerms('SD-BASE-A')?.id);
  const agreement = concludeAgreement([proposal, reply]);
  assert.equal(agreement.person, person.did);
  assert.equal(agreement.organisation, vendor.did);
  assert.match(agreement.id, /^urn:parley:agreement:[0-9a-f]{64}$/);
  const roundTrip = JSON.parse(JSON.stringify(agreement));
  assert.deepEqual(verifyAgreement(roundTrip), agreement);
  // A record whose summary disagrees with its signed messages is refused.
  assert.throws(
    () => verifyAgreement({ ...roundTrip, retentionDays: 5 }),
    (e: unknown) => e instanceof AgreementError && e.field === 'retentionDays',
  );
  assert.throws(
    () => verifyAgreement({ ...roundTrip, purposes: ['ServiceDelivery', 'Tracking'] }),
    AgreementError,
  );
});

test('vendor counters once with one alternative; the person accepts or rejects; a counter cannot be countered', () => {
  const { person, vendor } = parties();
  const proposal = proffer(person, vendor, ['SD-BASE']);
  const counter = answerByPolicy(proposal, vendor, {
    accepts: ['SD-BASE-A'],
    counter: 'SD-BASE-A',
    reason: 'We need analytics.',
  });
  assert.equal(counter.decision, 'counter');
  assert.equal(followNegotiation([proposal, counter]).status, 'AgreementNegotiationCounterOfferMade');
  const yes = answer(counter, person, { decision: 'accept' });
  const agreement = concludeAgreement([proposal, counter, yes]);
  assert.equal(agreement.terms.id, findTerms('SD-BASE-A')?.id);
  const no = answer(counter, person, { decision: 'reject', reason: 'No analytics.' });
  assert.deepEqual(followNegotiation([proposal, counter, no]), {
    status: 'AgreementRefused',
    refusedBy: person.did,
    reason: 'No analytics.',
  });
  assert.throws(() => answer(counter, person, { decision: 'counter', terms: 'SD-BASE-DP' }), AgreementError);
  // One signed by hand (as another implementation might send it) is refused when the negotiation is replayed.
  const recounter = signMessage<TermsAnswer>(
    {
      type: 'TermsAnswer',
      inReplyTo: counter.id,
      replyHash: messageHash(counter),
      decision: 'counter',
      terms: termsRef(findTerms('SD-BASE-DP') as TermsEntry),
    },
    person,
    vendor.did,
  );
  assert.throws(
    () => followNegotiation([proposal, counter, recounter]),
    (e: unknown) => e instanceof AgreementError && e.field === 'messages[2].decision',
  );
  // A counter must name terms that were not proposed.
  assert.throws(() => answer(proposal, vendor, { decision: 'counter', terms: 'SD-BASE' }), AgreementError);
});

test('a rejection is signed and refuses the negotiation; nothing may follow it', () => {
  const { person, vendor } = parties();
  const proposal = proffer(person, vendor, ['SD-BASE']);
  const no = answerByPolicy(proposal, vendor, { accepts: ['PDC-INTENT'] });
  assert.equal(no.decision, 'reject');
  validateParleyMessage(JSON.parse(JSON.stringify(no)));
  assert.equal(followNegotiation([proposal, no]).status, 'AgreementRefused');
  assert.throws(() => concludeAgreement([proposal, no]), AgreementError);
});

test('answers bind the exact message answered, and only the addressee may answer', () => {
  const { person, vendor } = parties();
  const proposal = proffer(person, vendor);
  const reply = answer(proposal, vendor, { decision: 'accept' });
  const other = proffer(person, vendor);
  assert.throws(
    () => followNegotiation([other, reply]),
    (e: unknown) => e instanceof AgreementError && e.field === 'messages[1].inReplyTo',
  );
  assert.throws(
    () => answer(proposal, Party.generate(), { decision: 'accept' }),
    (e: unknown) => e instanceof AgreementError && e.field === 'to',
  );
  assert.throws(() => answer(proposal, vendor, { decision: 'accept', terms: 'SD-BASE-ATP' }), AgreementError);
});

test('tampering with any signed field breaks the proof; shape errors name the field', () => {
  const { person, vendor } = parties();
  const proposal = JSON.parse(JSON.stringify(proffer(person, vendor)));
  validateParleyMessage(proposal);
  assert.throws(() => validateParleyMessage({ ...proposal, retentionDays: 30 }), ProofError);
  assert.throws(() => validateParleyMessage({ ...proposal, to: Party.generate().did }), ProofError);
  const cases: [object, string][] = [
    [{ ...proposal, purposes: ['ServiceDelivery', 'Spam'] }, 'purposes[1]'],
    [{ ...proposal, purposes: ['ServiceDelivery', 'Tracking'] }, 'terms[0]'],
    [{ ...proposal, retentionDays: 0 }, 'retentionDays'],
    [{ ...proposal, terms: [{ ...proposal.terms[0], sha256: '0'.repeat(64) }] }, 'terms[0].sha256'],
    [{ ...proposal, terms: [{ ...proposal.terms[0], id: 'https://example.com/terms' }] }, 'terms[0].id'],
    [
      { ...proposal, schema: { fields: [{ name: 'email', type: 'email', sensitivity: 'secret' }] } },
      'schema.fields[0].sensitivity',
    ],
    [{ ...proposal, onwardSharing: { allowed: true, terms: proposal.terms[0] } }, 'terms[0]'],
    [{ ...proposal, createdAt: '2999-01-01T00:00:00.000Z' }, 'createdAt'],
    [{ ...proposal, unexpected: true }, 'unexpected'],
    [{ ...proposal, proof: undefined }, 'proof'],
  ];
  for (const [message, field] of cases) {
    assert.throws(
      () => validateParleyMessage(message),
      (e: unknown) => e instanceof AgreementError && e.field === field,
      field,
    );
  }
});

test('terms with a retention limit refuse a longer retention', () => {
  const { person, vendor } = parties();
  assert.throws(
    () =>
      proposeTerms({
        from: person,
        to: vendor.did,
        proposer: 'person',
        terms: ['2P-30D'],
        schema,
        purposes: ['ServiceDelivery'],
        retentionDays: 31,
      }),
    (e: unknown) => e instanceof AgreementError && e.field === 'terms[0]',
  );
  proposeTerms({
    from: person,
    to: vendor.did,
    proposer: 'person',
    terms: ['2P-30D'],
    schema,
    purposes: ['ServiceDelivery'],
    retentionDays: 30,
  });
});

test('termination names the data disposition and is confirmed; permission changes cannot grant what the terms forbid', () => {
  const { person, vendor } = parties();
  const proposal = proffer(person, vendor);
  const agreement = concludeAgreement([proposal, answer(proposal, vendor, { decision: 'accept' })]);
  const end = terminateAgreement(agreement, person, 'destroy', 'Moving on');
  checkAgainstAgreement(validateParleyMessage(JSON.parse(JSON.stringify(end))), agreement);
  assert.equal(end.to, vendor.did);
  const done = confirmTermination(agreement, end, vendor, 'Destroyed 2 fields of 1 record');
  checkAgainstAgreement(validateParleyMessage(JSON.parse(JSON.stringify(done))), agreement);
  assert.throws(() => terminateAgreement(agreement, Party.generate(), 'return'), AgreementError);

  const change = changePermissions(agreement, person, {
    consents: [{ purpose: 'ServiceDelivery', granted: true }],
    channels: [{ channel: 'email', allowed: false }],
  });
  checkAgainstAgreement(change, agreement);
  assert.throws(
    () =>
      changePermissions(agreement, person, {
        consents: [{ purpose: 'Tracking', granted: true }],
        channels: [],
      }),
    (e: unknown) => e instanceof AgreementError && e.field === 'consents[0].purpose',
  );
  assert.throws(() => changePermissions(agreement, person, { consents: [], channels: [] }), ProtocolError);
});

test('a terms reference is exactly {id, version, uri, sha256} of a roster entry', () => {
  const ref = termsRef(ROSTER[0] as (typeof ROSTER)[number]);
  assert.deepEqual(Object.keys(ref).sort(), ['id', 'sha256', 'uri', 'version']);
});

test('global policies and subscriptions ride in a permission change; each is checked by name', () => {
  const { person, vendor } = parties();
  const proposal = proffer(person, vendor);
  const agreement = concludeAgreement([proposal, answer(proposal, vendor, { decision: 'accept' })]);
  const wire = (m: unknown) => JSON.parse(JSON.stringify(m)) as unknown;

  // Only policies: the complete set in force is a change by itself, even when empty.
  const none = changePermissions(agreement, person, { consents: [], channels: [], policies: [] });
  checkAgainstAgreement(validateParleyMessage(wire(none)), agreement);
  const change = changePermissions(agreement, person, {
    consents: [{ purpose: 'Tracking', granted: false }],
    channels: [],
    policies: ['DoNotTrack', 'NoThirdPartyMail'],
    subscriptions: [{ publication: 'newsletter:weekly', subscribed: true, channels: ['email'] }],
  });
  const received = validateParleyMessage<PermissionChange>(wire(change), { type: 'PermissionChange' });
  assert.deepEqual(received.policies, ['DoNotTrack', 'NoThirdPartyMail']);

  const bad = (body: Record<string, unknown>, field: string) =>
    assert.throws(
      () =>
        signMessage(
          {
            type: 'PermissionChange',
            agreementId: agreement.id,
            consents: [],
            channels: [],
            ...body,
          } as never,
          person,
          vendor.did,
        ),
      (e: unknown) => e instanceof AgreementError && e.field === field,
    );
  bad({ policies: ['NoCookies'] }, 'policies[0]');
  bad({ policies: ['DoNotTrack', 'DoNotTrack'] }, 'policies');
  bad(
    { subscriptions: [{ publication: 'a b', subscribed: true, channels: [] }] },
    'subscriptions[0].publication',
  );
  bad(
    { subscriptions: [{ publication: 'n', subscribed: 'yes', channels: [] }] },
    'subscriptions[0].subscribed',
  );
  bad(
    { subscriptions: [{ publication: 'n', subscribed: true, channels: ['fax'] }] },
    'subscriptions[0].channels[0]',
  );
  bad(
    { subscriptions: [{ publication: 'n', subscribed: true, channels: [], extra: 1 }] },
    'subscriptions[0].extra',
  );
});

test('feedback goes either way between the two parties; a data request only from the person, one CSV kind at a time', () => {
  const { person, vendor } = parties();
  const proposal = proffer(person, vendor);
  const agreement = concludeAgreement([proposal, answer(proposal, vendor, { decision: 'accept' })]);
  const wire = (m: unknown) => JSON.parse(JSON.stringify(m)) as unknown;

  const report = sendFeedback(agreement, person, {
    kind: 'error-report',
    subject: 'Bill shows a roaming charge',
    body: 'I was at home all month.',
    inReplyTo: 'survey:2026-11',
  });
  const got = validateParleyMessage(wire(report), { type: 'Feedback' });
  checkAgainstAgreement(got, agreement);
  assert.equal(got.to, vendor.did);
  assert.throws(
    () => sendFeedback(agreement, person, { kind: 'complaint' as never, subject: 's', body: 'b' }),
    (e: unknown) => e instanceof AgreementError && e.field === 'kind',
  );
  assert.throws(
    () => sendFeedback(agreement, person, { kind: 'feedback', subject: '', body: 'b' }),
    (e: unknown) => e instanceof AgreementError && e.field === 'subject',
  );

  const ask = requestData(agreement, person, ['party', 'usage']);
  checkAgainstAgreement(validateParleyMessage(wire(ask), { type: 'DataRequest' }), agreement);
  assert.throws(() => requestData(agreement, vendor, ['party']), AgreementError);
  assert.throws(
    () => requestData(agreement, person, ['party', 'usage'], 'csv'),
    (e: unknown) => e instanceof AgreementError && e.field === 'include',
  );
  assert.throws(
    () => requestData(agreement, person, ['secrets' as never]),
    (e: unknown) => e instanceof AgreementError && e.field === 'include[0]',
  );
  // A request signed by the vendor, addressed as if from the person, is refused against the agreement.
  const forged = signMessage(
    { type: 'DataRequest', agreementId: agreement.id, include: ['party'], format: 'json' } as never,
    vendor,
    person.did,
  );
  assert.throws(() => checkAgainstAgreement(forged, agreement), AgreementError);
});
