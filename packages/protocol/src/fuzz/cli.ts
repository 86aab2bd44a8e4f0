import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeMutation } from './mutate.js';
import { parseSeed, randomSeed } from './random.js';
import {
  classify,
  excerpt,
  formatFailure,
  generateCase,
  prepareTargets,
  runFuzz,
  runWithTimeLimit,
  summaryLine,
  type CaseOutcome,
  type FuzzSummary,
} from './run.js';
import { FUZZ_TARGETS } from './all-targets.js';

const USAGE = `usage: node packages/protocol/dist/fuzz/cli.js [--count N] [--seed S] [--time-limit-ms MS]
         [--target NAME ...] [--first-case I] [--dump FILE] [--case I]
  --count          cases to run (default 100000)
  --seed           run seed, decimal or 0x-hex (default: random, printed)
  --time-limit-ms  per-case limit; slower cases are hangs (default 1000)
  --target         only these targets (repeatable): ${FUZZ_TARGETS.map((t) => t.name).join(', ')}
  --first-case     index of the first case (default 0)
  --dump           write the summary and the failing cases, with their texts, to FILE as JSON
  --case           replay one case of --seed and print it (the seed messages are fresh, so the bytes differ)
Progress goes to stderr, the one-line summary to stdout; the exit code is 1 if any case failed.`;

function main(): number {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100000' },
      seed: { type: 'string' },
      'time-limit-ms': { type: 'string', default: '1000' },
      target: { type: 'string', multiple: true },
      'first-case': { type: 'string', default: '0' },
      dump: { type: 'string' },
      case: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = positiveInteger(values.count, 'count');
  const limit = positiveInteger(values['time-limit-ms'], 'time-limit-ms');
  const firstCase = positiveInteger(values['first-case'], 'first-case', true);
  const seed = values.seed === undefined ? randomSeed() : parseSeed(values.seed);
  const wanted = values.target ?? [];
  const unknown = wanted.filter((name) => !FUZZ_TARGETS.some((t) => t.name === name));
  if (unknown.length > 0) throw new RangeError(`unknown target(s) ${unknown.join(', ')}\n${USAGE}`);
  const targets = wanted.length > 0 ? FUZZ_TARGETS.filter((t) => wanted.includes(t.name)) : FUZZ_TARGETS;

  if (values.case !== undefined)
    return replay(seed, positiveInteger(values.case, 'case', true), targets, limit);

  console.error(
    `[fuzz] seed ${seed}, ${count} cases over ${targets.length} targets, limit ${limit} ms per case`,
  );
  const summary = runFuzz({
    count,
    seed,
    targets,
    firstCase,
    timeLimitMsPerCase: limit,
    maxFailuresKept: values.dump ? 1000 : 20,
    onProgress: (s: FuzzSummary) => {
      const percent = Math.round((100 * s.total) / count);
      console.error(
        `[fuzz] ${s.total}/${count} (${percent}%) rejected=${s.rejected} equivalent=${s.equivalent}` +
          ` unsigned-createdAt=${s.equivalentUnsignedCreatedAt} failures=${s.failureCount}` +
          ` ${(s.elapsedMs / 1000).toFixed(1)}s`,
      );
    },
  });
  for (const failure of summary.failures.slice(0, 10)) console.error(formatFailure(failure));
  if (values.dump) {
    writeFileSync(values.dump, JSON.stringify(summary, null, 2) + '\n');
    console.error(`[fuzz] summary and ${summary.failures.length} failing case(s) written to ${values.dump}`);
  }
  console.log(summaryLine(summary));
  return summary.failureCount > 0 ? 1 : 0;
}

function replay(seed: number, index: number, targets: typeof FUZZ_TARGETS, limit: number): number {
  const c = generateCase(seed, index, prepareTargets(targets));
  const target = c.target.target;
  const [outcome] = runWithTimeLimit([() => target.validate(c.mutation.text)], limit) as [CaseOutcome];
  console.log(`seed ${seed} case ${index}: target ${target.name}`);
  console.log(`mutations: ${describeMutation(c.mutation.applied)}`);
  console.log(`text: ${excerpt(c.seedText, c.mutation.text)}`);
  console.log(`oracle: ${classify(c.mutation.text, c.seedText, c.seedValue, target.unsignedTimestamps)}`);
  const error =
    outcome.error instanceof Error ? `${outcome.error.name}: ${outcome.error.message.slice(0, 300)}` : '';
  console.log(`validator: ${outcome.status} in ${outcome.ms.toFixed(1)} ms ${error}`);
  return 0;
}

function positiveInteger(text: string, name: string, zero = false): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || (!zero && n < 1)) {
    throw new RangeError(`--${name} ${text}: expected a ${zero ? 'non-negative' : 'positive'} integer`);
  }
  return n;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
}
