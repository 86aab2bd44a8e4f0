// Events created + validated + acknowledged + validated per second, against the bound set by Ed25519 itself.
//
// Each event costs four signature operations: the rights holder signs it, the custodian verifies it, the
// custodian signs the acknowledgement, the rights holder verifies that. The bound is what node:crypto does
// for those four operations alone, measured in this same run on 32-byte messages (what JLINC signs).
// Usage: node bench/jlinc-events.js [--smoke] [--events N]
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import {
  acknowledgeSisaEvent,
  acceptSisaOffering,
  createSisaEvent,
  createSisaOffering,
  EventChain,
  Party,
  validateAcknowledgedSisaEvent,
  validateSisa,
  validateSisaEvent,
} from '@parley/protocol';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const eventsArg = args.indexOf('--events');
const EVENTS = eventsArg >= 0 ? Number(args[eventsArg + 1]) : smoke ? 400 : 20000;
const ROUNDS = smoke ? 1 : 3;

function rate(n, fn) {
  const start = process.hrtime.bigint();
  fn(n);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}`.padEnd(60));
  else process.stderr.write(`${text}\n`);
}

// Baseline: raw node:crypto Ed25519, keys already imported, 32-byte digests.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const digests = Array.from({ length: 256 }, () => randomBytes(32));
const signatures = digests.map((d) => sign(null, d, privateKey));
const signLoop = (n) => {
  for (let i = 0; i < n; i++) sign(null, digests[i & 255], privateKey);
};
const verifyLoop = (n) => {
  for (let i = 0; i < n; i++) verify(null, digests[i & 255], publicKey, signatures[i & 255]);
};

// The protocol pipeline, as a rights holder and a custodian run it (one chain, the custodian keeps the head).
const custodian = Party.generate('custodian');
const holder = Party.generate('holder');
const sisa = acceptSisaOffering(
  createSisaOffering(custodian, 'https://w3id.org/dpv/standards/p7012#SD-BASE'),
  holder,
);
const validatedSisa = validateSisa(sisa);
const payload = { email: 'alice@example.org', postalAddress: '3 New Street, Springfield' };
function pipeline(n) {
  const chain = new EventChain();
  let previousId = null;
  for (let i = 0; i < n; i++) {
    const event = createSisaEvent(sisa, holder, 'dataEvent', payload, previousId); // sign
    const received = validateSisaEvent(event, { sisa: validatedSisa }); // verify
    chain.append(received);
    const ack = acknowledgeSisaEvent(event, custodian, { sisa: validatedSisa, validated: received }); // sign
    validateAcknowledgedSisaEvent(ack, { sisa: validatedSisa, knownEvent: event }); // verify
    previousId = received.eventId;
  }
}

progress('warming up');
signLoop(200);
verifyLoop(200);
pipeline(50);

let best = { sign: 0, verify: 0, events: 0 };
for (let round = 1; round <= ROUNDS; round++) {
  progress(`round ${round}/${ROUNDS}: node:crypto sign`);
  const s = rate(EVENTS * 2, signLoop);
  progress(`round ${round}/${ROUNDS}: node:crypto verify`);
  const v = rate(EVENTS * 2, verifyLoop);
  progress(`round ${round}/${ROUNDS}: ${EVENTS} events`);
  const e = rate(EVENTS, pipeline);
  best = { sign: Math.max(best.sign, s), verify: Math.max(best.verify, v), events: Math.max(best.events, e) };
}
if (process.stderr.isTTY) process.stderr.write('\n');

const bound = 1 / (2 / best.sign + 2 / best.verify);
const ratio = best.events / bound;
const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(`node:crypto Ed25519      sign ${fmt(best.sign)}/s   verify ${fmt(best.verify)}/s`);
console.log(`bound (2 sign + 2 verify per event)   ${fmt(bound)} events/s`);
console.log(`JLINC events created+validated+acknowledged+validated   ${fmt(best.events)} events/s`);
console.log(
  `summary: ${fmt(best.events)} events/s = ${(ratio * 100).toFixed(1)}% of the Ed25519 bound (target 60%)${smoke ? ' [smoke size]' : ''}`,
);
