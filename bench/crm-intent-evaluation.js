// Intentcasts evaluated per second by one vendor (one tenant's intent policy, a catalogue of 10,000 TMF620
// offerings), in two depths, each against a baseline measured in this same run:
//
//   (a) policy + matching: the policy's outcome on her terms and the best offering from the in-memory
//       catalogue index (CatalogueIndex), against the naive linear scan of the whole catalogue per intent
//       (matchLinear: the same rule, the same answers). Target: 10,000 intentcasts/s.
//   (b) the full pipeline of POST {vendor}/intents without HTTP and storage: the intentcast verified (shape,
//       terms, times, eddsa-jcs-2022 signature), decided and signed, its offer made and signed; against raw
//       node:crypto Ed25519 doing the same signature work (1 verify + 2 signs per intentcast).
//
// The intentcasts are made beforehand (signing them is her agent's work): a mix of categories, tags, brands,
// price ranges, currencies and terms, so that some are accepted, some countered, some rejected.
// Usage: node bench/crm-intent-evaluation.js [--smoke] [--offerings N] [--intents N] [--rounds N]
import { Buffer } from 'node:buffer';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import {
  catalogueItem,
  CatalogueIndex,
  compileIntentPolicy,
  evaluateIntent,
  matchLinear,
  policyOutcome,
  verifyIntentcast,
} from '@parley/crm';
import { canonicalize, createIntentcast, Party } from '@parley/protocol';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const OFFERINGS = arg('--offerings', smoke ? 1_000 : 10_000);
const INTENTS = arg('--intents', smoke ? 200 : 2_000);
const ROUNDS = arg('--rounds', smoke ? 1 : 3);
const TARGET = 10_000;

const progress = (text) => process.stderr.write(`${text}\n`);
const fmt = (x) => Math.round(x).toLocaleString('en-US');

/** A small deterministic generator (mulberry32), so every run measures the same work. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = random(2026);
const pick = (list) => list[Math.floor(rnd() * list.length)];
const some = (list, p) => list.filter(() => rnd() < p);

const CATEGORIES = Array.from({ length: 100 }, (_, i) => `category-${i}`);
const BRANDS = Array.from({ length: 30 }, (_, i) => `Brand${i}`);
const TAGS = Array.from({ length: 200 }, (_, i) => `tag-${i}`);

progress(`catalogue: ${fmt(OFFERINGS)} TMF620 product offerings in ${CATEGORIES.length} categories`);
const items = [];
for (let i = 0; i < OFFERINGS; i++) {
  const doc = {
    name: `Offering ${i}`,
    category: [{ id: pick(CATEGORIES) }],
    brand: pick(BRANDS),
    tags: Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => pick(TAGS)),
    lifecycleStatus: rnd() < 0.03 ? 'Retired' : 'Launched',
    productOfferingPrice: [
      {
        price: {
          taxIncludedAmount: {
            value: Math.round(1000 + rnd() * 499_000) / 100,
            unit: rnd() < 0.95 ? 'EUR' : 'GBP',
          },
        },
      },
    ],
  };
  const item = catalogueItem(`sku-${i}`, doc);
  if (item) items.push(item);
}
let start = process.hrtime.bigint();
const index = CatalogueIndex.build(items);
const buildMs = Number(process.hrtime.bigint() - start) / 1e6;

const vendor = Party.generate('bench vendor');
const policy = compileIntentPolicy({ mode: 'auto', accepts: ['PDC-INTENT'], counter: '2P-30D' });
const TERMS = [
  ['PDC-INTENT'],
  ['PDC-INTENT', '2P-30D'],
  ['SD-BASE'],
  ['2P-30D'],
  ['SD-BASE-A-DP', 'PDC-INTENT'],
];

progress(`intentcasts: ${fmt(INTENTS)}, each signed by its own one-off identity`);
const person = Party.generate('bench person');
const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
const intents = [];
for (let i = 0; i < INTENTS; i++) {
  const min = rnd() < 0.5 ? Math.round(rnd() * 2000) : undefined;
  const brands =
    rnd() < 0.2 ? [pick(BRANDS), pick(BRANDS)].filter((b, k, a) => a.indexOf(b) === k) : undefined;
  intents.push(
    createIntentcast(
      {
        intent: {
          category: pick(CATEGORIES),
          description: `Looking for something, ${i}`,
          tags: [...new Set(some(TAGS, 0.02))].slice(0, 20),
          ...(brands ? { brands } : {}),
        },
        price: {
          ...(min !== undefined ? { min } : {}),
          max: (min ?? 0) + Math.round(rnd() * 3000),
          currency: rnd() < 0.95 ? 'EUR' : 'GBP',
        },
        location: { country: 'NL' },
        validUntil: until,
        terms: pick(TERMS),
        replyTo: `https://agent.example/intents/answers`,
      },
      person.pairwise(`intent:${i}`),
    ),
  );
}

/** Runs `work` over the intentcasts, looping until at least `minMs` has passed; intentcasts per second. */
function rate(work, minMs) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (const intent of intents) work(intent);
    n += intents.length;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  } while (elapsed < minMs);
  return (n / elapsed) * 1000;
}

let sink = 0;
const indexed = (intent) => {
  if (policyOutcome(intent, policy).decision !== 'reject') sink += index.match(intent, 1).length;
};
const linear = (intent) => {
  if (policyOutcome(intent, policy).decision !== 'reject') sink += matchLinear(items, intent, 1).length;
};
const pipeline = (intent) => {
  const verified = verifyIntentcast(JSON.parse(JSON.stringify(intent)));
  const { offer } = evaluateIntent(verified, vendor, policy, index);
  if (offer) sink++;
};

// Raw Ed25519 over the canonical text of each intentcast: what (b)'s signatures cost at the least.
const keys = generateKeyPairSync('ed25519');
const texts = intents.map((intent) => Buffer.from(canonicalize(intent)));
const sigs = texts.map((text) => sign(null, text, keys.privateKey));
const raw = () => {
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < texts.length; i++) {
      if (!verify(null, texts[i], keys.publicKey, sigs[i])) throw new Error('raw verify failed');
      sink += sign(null, texts[i], keys.privateKey).length + sign(null, texts[i], keys.privateKey).length;
    }
    n += texts.length;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  } while (elapsed < (smoke ? 200 : 1500));
  return (n / elapsed) * 1000;
};

// The index and the scan give the same answers (checked here on every intentcast, not timed).
const outcomes = { accept: 0, counter: 0, reject: 0, noMatch: 0 };
for (const intent of intents) {
  const a = index.match(intent, 1).map((m) => m.item.sku);
  const b = matchLinear(items, intent, 1).map((m) => m.item.sku);
  if (a.join() !== b.join()) throw new Error(`index and scan disagree on ${intent.id}`);
  const outcome = policyOutcome(intent, policy).decision;
  if (outcome !== 'reject' && a.length === 0) outcomes.noMatch++;
  else outcomes[outcome]++;
}

progress('warming up');
rate(indexed, 50);
rate(linear, 50);
rate(pipeline, 50);

const best = { indexed: 0, linear: 0, pipeline: 0, raw: 0 };
for (let round = 1; round <= ROUNDS; round++) {
  progress(`round ${round}/${ROUNDS}: (a) policy + index`);
  best.indexed = Math.max(best.indexed, rate(indexed, smoke ? 200 : 1500));
  progress(`round ${round}/${ROUNDS}: (a) baseline, policy + linear scan`);
  best.linear = Math.max(best.linear, rate(linear, smoke ? 200 : 1500));
  progress(`round ${round}/${ROUNDS}: (b) verify + decide + offer, signed`);
  best.pipeline = Math.max(best.pipeline, rate(pipeline, smoke ? 200 : 1500));
  progress(`round ${round}/${ROUNDS}: (b) baseline, raw Ed25519 1 verify + 2 signs`);
  best.raw = Math.max(best.raw, raw());
}
if (sink < 0) console.log(sink);

const result = {
  bench: 'crm-intent-evaluation',
  smoke,
  offerings: OFFERINGS,
  offerable: items.length,
  categories: CATEGORIES.length,
  intentcasts: INTENTS,
  outcomes,
  indexBuildMs: Math.round(buildMs * 10) / 10,
  policyAndMatching: {
    indexPerSecond: Math.round(best.indexed),
    linearScanPerSecond: Math.round(best.linear),
    speedup: Math.round((best.indexed / best.linear) * 10) / 10,
    target: TARGET,
    meetsTarget: best.indexed >= TARGET,
  },
  fullPipeline: {
    perSecond: Math.round(best.pipeline),
    rawEd25519PerSecond: Math.round(best.raw),
    ratioToRaw: Math.round((best.pipeline / best.raw) * 1000) / 1000,
  },
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `summary: ${fmt(best.indexed)} intentcasts/s evaluated against the policy and ${fmt(OFFERINGS)} offerings ` +
    `(${result.policyAndMatching.speedup}x the linear scan, target ${fmt(TARGET)}/s ${best.indexed >= TARGET ? 'met' : 'NOT met'}); ` +
    `full pipeline with signatures ${fmt(best.pipeline)}/s = ${(result.fullPipeline.ratioToRaw * 100).toFixed(1)}% of raw Ed25519 ` +
    `(1 verify + 2 signs)${smoke ? ' [smoke size]' : ''}`,
);
