import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Ed25519NoteSigner,
  MerkleLog,
  noteCheckpointSigner,
  openLogStorage,
  verifyLedgerReceipt,
} from '@parley/ledger';
import {
  acceptSisaOffering,
  acknowledgeSisaEvent,
  answer,
  answerByPolicy,
  changePermissions,
  checkAgainstAgreement,
  checkOfferIsOwn,
  concludeAgreement,
  confirmTermination,
  createSisaEvent,
  createSisaOffering,
  EventChain,
  findTerms,
  issueConsentReceipt,
  messageHash,
  sha256Hex,
  Party,
  proposeTerms,
  serializeKeyFile,
  terminateAgreement,
  validateAcknowledgedSisaEvent,
  validateParleyMessage,
  validateSisa,
  validateSisaEvent,
  verifyAgreement,
  verifyConsentReceipt,
  type JlincEvent,
  type PiiController,
  type TermsPolicy,
} from '@parley/protocol';
import { writeJson, writeText } from '../io.js';

const VENDOR: PiiController = {
  piiController: 'Example Telco Ltd',
  contact: 'Data Protection Officer',
  address: { streetAddress: '1 Main Street', addressLocality: 'Springfield', addressCountry: 'GB' },
  email: 'dpo@telco.example',
  phone: '+44 20 7946 0000',
  piiControllerUrl: 'https://telco.example',
};

/** Sends a message "over the wire": the receiver sees only JSON text, which it parses and validates itself. */
const wire = <T>(message: T): unknown => JSON.parse(JSON.stringify(message));

/**
 * A person and a vendor agree on terms and share data under them, each step a real protocol operation whose
 * output the other side validates. Returns the number of the step reached; throws if any check fails.
 */
export async function runWalkthrough(print: (line: string) => void, outDir?: string): Promise<void> {
  let n = 0;
  const step = (title: string, ...details: string[]) => {
    n += 1;
    print(`\n${String(n).padStart(2)}. ${title}`);
    for (const d of details) print(`    ${d}`);
  };
  const save = (name: string, value: unknown) => {
    if (!outDir) return;
    if (typeof value === 'string') writeText(join(outDir, name), value + '\n');
    else writeJson(join(outDir, name), value);
  };
  const short = (did: string) => `${did.slice(0, 24)}…${did.slice(-6)}`;

  const person = Party.generate('Alice (master identity, never shown to vendors)');
  const vendor = Party.generate('Example Telco');
  const alice = person.pairwise('telco.example');
  step(
    'Identities (Ed25519, node:crypto)',
    `vendor:             ${vendor.did}`,
    `                    = ${vendor.didKey}`,
    `Alice for telco:    ${alice.did}  (pairwise, derived from her master key; unlinkable to it)`,
  );
  if (outDir) writeText(join(outDir, 'alice-telco.key.json'), serializeKeyFile(alice), true);

  const sd = findTerms('SD-BASE');
  if (!sd) throw new Error('roster has no SD-BASE');
  const offering = createSisaOffering(vendor, sd.id);
  save('1-sisa-offering.json', offering);
  step(
    'JLINC v7: the vendor offers a SISA for the roster terms',
    `agreementURI ${sd.id}`,
    `dataCustodianSig verified by Alice's agent`,
  );

  const sisa = acceptSisaOffering(wire(offering) as typeof offering, alice);
  const validatedSisa = validateSisa(wire(sisa));
  checkOfferIsOwn(validatedSisa, vendor);
  save('2-sisa.json', sisa);
  step(
    'JLINC v7: Alice accepts with her pairwise identity',
    `sisaId ${sisa.sisaId}`,
    "vendor checked: its own offer (DID and HMAC), Alice's signature, sisaId hash",
  );

  const schema = {
    fields: [
      { name: 'email', type: 'email' as const, sensitivity: 'normal' as const, required: true },
      { name: 'postalAddress', type: 'postal-address' as const, sensitivity: 'normal' as const },
    ],
  };
  const proposal = proposeTerms({
    from: alice,
    to: vendor.did,
    proposer: 'person',
    terms: ['SD-BASE-DP', 'SD-BASE'],
    schema,
    purposes: ['ServiceDelivery'],
    retentionDays: null,
  });
  save('3-proposal.json', proposal);
  step(
    'MyTerms: Alice proffers her terms, in her order of preference',
    `terms   ${proposal.terms.map((t) => t.id.split('#')[1]).join(', ')}`,
    `schema  ${schema.fields.map((f) => f.name).join(', ')}; purposes ServiceDelivery; no onward sharing`,
  );

  const policy: TermsPolicy = {
    accepts: ['SD-BASE-A', 'SD-BASE-A-DP'],
    counter: 'SD-BASE-A-DP',
    purposes: ['ServiceAnalytics'],
    reason: 'We analyse use of our own network to improve it.',
  };
  const counter = answerByPolicy(
    validateParleyMessage(wire(proposal), { type: 'TermsProposal' }),
    vendor,
    policy,
  );
  save('4-counter.json', counter);
  step(
    "The vendor's policy answers mechanically",
    `policy accepts ${policy.accepts.join(', ')}; counters with ${policy.counter}`,
    `decision: ${counter.decision} with ${counter.terms?.id.split('#')[1]} for ${(counter.purposes ?? []).join(' + ')} ("${counter.reason}")`,
  );

  const yes = answer(validateParleyMessage(wire(counter), { type: 'TermsAnswer' }), alice, {
    decision: 'accept',
  });
  save('5-acceptance.json', yes);
  const agreement = concludeAgreement([proposal, counter, yes]);
  verifyAgreement(wire(agreement));
  save('6-agreement.json', agreement);
  step(
    'Alice accepts the counter-offer (one round, no haggling)',
    `agreement ${agreement.id}`,
    'both sides recompute it from the three signed messages and verify every proof',
  );

  const receipt = issueConsentReceipt(
    { agreement, controller: VENDOR, jurisdiction: 'GB', service: 'Mobile service' },
    vendor,
  );
  const verified = verifyConsentReceipt(receipt, vendor.did);
  save('7-consent-receipt.jws', receipt);
  step(
    'Kantara consent receipt (KI-CR-v1.1.0) for the acceptance',
    `consentReceiptID ${verified.receipt.consentReceiptID}`,
    `signed by ${short(verified.signer)}, verified offline by Alice's agent`,
  );

  const chain = new EventChain();
  const acknowledged: JlincEvent[] = [];
  const send = (event: JlincEvent, file: string) => {
    const received = validateSisaEvent(wire(event), { sisa: validatedSisa });
    chain.append(received);
    const ack = acknowledgeSisaEvent(wire(event) as JlincEvent, vendor, {
      sisa: validatedSisa,
      validated: received,
    });
    validateAcknowledgedSisaEvent(wire(ack), { sisa: validatedSisa, knownEvent: event });
    save(file, ack);
    acknowledged.push(ack);
    return received.eventId;
  };
  const e1 = createSisaEvent(
    sisa,
    alice,
    'dataEvent',
    { email: 'alice@example.org', postalAddress: '12 Old Road, Springfield' },
    null,
  );
  const id1 = send(e1, '8-event-data.json');
  step(
    'Alice shares the fields the schema asks for, as a signed dataEvent',
    `eventId ${id1}`,
    'the vendor validates, appends it to the SISA chain, and acknowledges; Alice checks the acknowledgement',
  );

  const e2 = createSisaEvent(sisa, alice, 'dataEvent', { postalAddress: '3 New Street, Springfield' }, id1);
  const id2 = send(e2, '9-event-address.json');
  step(
    'Change of address: one more event on the same chain',
    `eventId ${id2}  previousId ${id1.slice(0, 12)}…`,
  );
  let refused = '';
  try {
    chain.append(validateSisaEvent(wire(e2), { sisa: validatedSisa }));
  } catch (error) {
    refused = (error as Error).message;
  }
  if (!refused) throw new Error('a replayed event was accepted');
  step('A replay of that event is refused', refused);

  const change = changePermissions(agreement, alice, {
    consents: [{ purpose: 'ServiceAnalytics', granted: false }],
    channels: [
      { channel: 'email', allowed: true },
      { channel: 'phone', allowed: false },
    ],
  });
  checkAgainstAgreement(validateParleyMessage(wire(change)), agreement);
  const e3 = createSisaEvent(sisa, alice, 'permissionEvent', change, id2);
  const id3 = send(e3, '10-event-permission.json');
  const changeReceipt = issueConsentReceipt(
    {
      agreement,
      controller: VENDOR,
      jurisdiction: 'GB',
      service: 'Mobile service',
      permissionChange: change,
    },
    vendor,
  );
  verifyConsentReceipt(changeReceipt, vendor.did);
  save('11-consent-receipt-permission.jws', changeReceipt);
  step(
    'Permission change: analytics withdrawn, email yes, phone no',
    `carried as a permissionEvent ${id3.slice(0, 12)}…; a new consent receipt issued and verified`,
  );

  const end = terminateAgreement(agreement, alice, 'destroy', 'Switching provider');
  const e4 = createSisaEvent(sisa, alice, 'statusEvent', end, id3);
  const id4 = send(e4, '12-event-termination.json');
  const confirmation = confirmTermination(
    agreement,
    end,
    vendor,
    'Destroyed email and postalAddress (1 record)',
  );
  checkAgainstAgreement(validateParleyMessage(wire(confirmation)), agreement);
  save('13-termination-confirmation.json', confirmation);
  step(
    'Termination: Alice ends it, data to be destroyed; the vendor confirms',
    `statusEvent ${id4.slice(0, 12)}…; confirmation signed by the vendor and verified`,
  );

  // The ledger: every agreement, event and receipt as an audit record (ids, DIDs, hashes, signatures; no data).
  const ledgerDir = outDir ?? mkdtempSync(join(tmpdir(), 'parley-walkthrough-'));
  const origin = 'ledger.telco.example';
  // Fresh keys every run: a ledger left by an earlier run (another key) is replaced, not extended.
  const ledgerFile = join(ledgerDir, 'ledger.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(ledgerFile + suffix, { force: true });
  const logSigner = new Ed25519NoteSigner(origin, vendor.key.derive('ledger'));
  const log = await MerkleLog.open(
    await openLogStorage({ url: ledgerFile }),
    noteCheckpointSigner(origin, logSigner),
  );
  try {
    const records = [
      {
        type: 'agreement',
        agreementId: agreement.id,
        terms: agreement.terms.id,
        termsSha256: agreement.terms.sha256,
        person: agreement.person,
        organisation: agreement.organisation,
        messages: agreement.messages.map((m) => messageHash(m)),
        sisaId: sisa.sisaId,
      },
      ...acknowledged.map((ack) => ({ type: 'sisaEvent', ...ack.audit })),
      ...[receipt, changeReceipt].map((jws) => ({
        type: 'consentReceipt',
        agreementId: agreement.id,
        issuer: vendor.did,
        jwsSha256: sha256Hex(jws),
      })),
    ];
    const appended = await log.append(records);
    for (let i = 0; i < records.length; i++) {
      verifyLedgerReceipt(await log.receipt(appended.firstIndex + i), logSigner.verifier);
    }
    save('14-ledger-receipt-event.json', await log.receipt(appended.firstIndex + 1));
    step(
      `Ledger: ${records.length} audit records in one batch, one signed checkpoint`,
      `checkpoint ${origin} size ${log.size}, root ${log.checkpoint.root.toString('base64')}`,
      "each record's receipt {record, index, proof, checkpoint} verified offline with the log key",
      `log key (vkey) ${logSigner.vkey}`,
    );
  } finally {
    await log.close();
    if (!outDir) rmSync(ledgerDir, { recursive: true, force: true });
  }

  print(`\nDone: ${n} steps, every signature, hash and chain link verified by the receiving side.`);
  if (outDir) {
    print(`Messages written to ${outDir}/. Try:`);
    print(`  npx parley jlinc validate ${join(outDir, '1-sisa-offering.json')}`);
    print(`  npx parley receipt verify ${join(outDir, '7-consent-receipt.jws')}`);
    print(`  npx parley agreement verify ${join(outDir, '6-agreement.json')}`);
    print(
      `  npx parley ledger verify-receipt ${join(outDir, '14-ledger-receipt-event.json')} --vkey '${logSigner.vkey}'`,
    );
  }
}

export function walkthroughCommand(): Command {
  return new Command('walkthrough')
    .description(
      'Run a scripted agreement between a person and a vendor, printing each step: identities, a JLINC SISA, ' +
        'MyTerms proffer and counter-offer, consent receipts, signed data, permission and termination events, ' +
        'and the ledger that records them. ' +
        'Everything is computed and verified on the spot (fresh keys every run).',
    )
    .option(
      '-o, --out <dir>',
      'also write every message to this folder, to inspect or validate with other commands',
    )
    .action(async (options: { out?: string }) => {
      await runWalkthrough((line) => process.stdout.write(line + '\n'), options.out);
    });
}
