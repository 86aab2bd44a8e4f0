import { isDeepStrictEqual } from 'node:util';
import vm from 'node:vm';
import { ProtocolError } from '../errors.js';
import {
  describeMutation,
  drawKinds,
  KIND_WEIGHTS,
  MUTATION_KINDS,
  mutateMessage,
  type Mutation,
  type MutationKind,
} from './mutate.js';
import { caseRandom } from './random.js';
import type { FuzzTarget } from './targets.js';

export interface FuzzOptions {
  /** Number of cases. */
  count: number;
  /** Run seed: case `i` is drawn from (seed, i) alone, so any case can be replayed. */
  seed: number;
  targets: readonly FuzzTarget[];
  /** A case that runs longer is a hang; it is interrupted at this limit (default 1000 ms). */
  timeLimitMsPerCase?: number;
  /** Index of the first case (default 0), to replay part of a run. */
  firstCase?: number;
  /** How many failures to keep in full (default 20; all are counted). */
  maxFailuresKept?: number;
  /** Called every `progressEvery` cases (default: every tenth of the run) with the summary so far. */
  onProgress?: (summary: FuzzSummary) => void;
  progressEvery?: number;
}

export type FailureReason = 'accepted' | 'crash' | 'hang';

export interface FuzzFailure {
  reason: FailureReason;
  seed: number;
  caseIndex: number;
  target: string;
  kinds: MutationKind[];
  /** What was mutated, where. */
  mutation: string;
  /** The thrown value for a crash, the interruption for a hang, empty for an acceptance. */
  error: string;
  ms: number;
  /** The mutated text around its first difference from the seed. */
  excerpt: string;
  seedText: string;
  /** The mutated text, cut to 20,000 characters. */
  text: string;
}

export interface FuzzSummary {
  seed: number;
  total: number;
  /** Mutated messages refused with a ProtocolError: the expected outcome. */
  rejected: number;
  /** Mutations that left the message semantically identical to its seed (not mutations: skipped). */
  equivalent: number;
  /** Of those, how many the validator rejected anyway (it may: it only has to accept valid messages). */
  equivalentRejected: number;
  /** Mutations that changed only a timestamp no signature covers, to another valid one (skipped). */
  equivalentUnsignedCreatedAt: number;
  failureCount: number;
  failures: FuzzFailure[];
  failuresByReason: Record<FailureReason, number>;
  /** Cases in which each mutation kind was made (a case makes 1-3, nested ones included). */
  kinds: Record<string, number>;
  targets: Record<string, number>;
  /** Rejections by error class, and by class and code. */
  errorClasses: Record<string, number>;
  errorCodes: Record<string, number>;
  maxMs: number;
  meanMs: number;
  slowest: string;
  elapsedMs: number;
}

export interface PreparedTarget {
  target: FuzzTarget;
  seeds: { text: string; value: unknown }[];
}

export interface FuzzCase {
  index: number;
  target: PreparedTarget;
  seedText: string;
  seedValue: unknown;
  mutation: Mutation;
  kinds: MutationKind[];
}

/** Generates each target's seeds once and checks that every seed passes its validator. */
export function prepareTargets(targets: readonly FuzzTarget[]): PreparedTarget[] {
  if (targets.length === 0) throw new RangeError('runFuzz: no targets');
  return targets.map((target) => {
    const texts = target.seeds();
    if (texts.length === 0) throw new RangeError(`fuzz target ${target.name}: no seeds`);
    return {
      target,
      seeds: texts.map((text, i) => {
        try {
          target.validate(text);
        } catch (error) {
          throw new Error(`fuzz target ${target.name}: seed ${i} does not validate: ${String(error)}`, {
            cause: error,
          });
        }
        return { text, value: JSON.parse(text) as unknown };
      }),
    };
  });
}

const COUNT_WEIGHTS = [
  [1, 0.5],
  [2, 0.3],
  [3, 0.2],
] as const;

/**
 * The first mutation kind of case `i` is `KIND_SCHEDULE[i % length]`: a fixed cycle in which each kind appears
 * in proportion to its weight and at least once, interleaved so that the first cases of a cycle make every
 * kind once. With 8 targets (coprime with the cycle length, 217) every pair of target and first kind comes up
 * within 1,736 cases.
 */
export const KIND_SCHEDULE: readonly MutationKind[] = (() => {
  const copies = MUTATION_KINDS.map((kind) => Math.max(1, Math.round(KIND_WEIGHTS[kind] * 16)));
  const schedule: MutationKind[] = [];
  for (let round = 0; round < Math.max(...copies); round++) {
    MUTATION_KINDS.forEach((kind, i) => {
      if ((copies[i] as number) > round) schedule.push(kind);
    });
  }
  return schedule;
})();

/** Case `index` of a run: the target and the first kind cycle with the index; 0-2 more kinds are drawn. */
export function generateCase(
  seed: number,
  index: number,
  targets: readonly PreparedTarget[],
  now = Date.now(),
): FuzzCase {
  const rng = caseRandom(seed, index);
  const target = targets[index % targets.length] as PreparedTarget;
  const chosen = rng.pick(target.seeds);
  const count = rng.weighted(COUNT_WEIGHTS);
  const wanted = [KIND_SCHEDULE[index % KIND_SCHEDULE.length] as MutationKind, ...drawKinds(rng, count - 1)];
  const mutation = mutateMessage(chosen.text, wanted, rng, now);
  const kinds = [...new Set(mutation.applied.map((m) => m.kind))];
  return { index, target, seedText: chosen.text, seedValue: chosen.value, mutation, kinds };
}

export type Equivalence = 'mutation' | 'equivalent' | 'equivalent-unsigned-createdAt';

/**
 * Whether a mutated text still says what its seed says. Deliberately independent of the parser under test:
 * JSON.parse for the value, plus a scan for duplicate member names (which JSON.parse silently collapses).
 */
export function classify(
  text: string,
  seedText: string,
  seedValue: unknown,
  unsignedTimestamps: readonly string[] = [],
  now = Date.now(),
): Equivalence {
  if (text === seedText) return 'equivalent';
  try {
    const value: unknown = JSON.parse(text);
    if (isDeepStrictEqual(value, seedValue)) return hasDuplicateMembers(text) ? 'mutation' : 'equivalent';
    for (const path of unsignedTimestamps) {
      if (onlyTimestampChanged(value, seedValue, path.split('.'), now) && !hasDuplicateMembers(text)) {
        return 'equivalent-unsigned-createdAt';
      }
    }
    return 'mutation';
  } catch {
    // Not JSON, or nested too deep to parse or compare: either way unlike the (shallow, valid) seed.
    return 'mutation';
  }
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `YYYY-MM-DDTHH:MM:SS.sssZ`, a real instant, at most 1 s ahead (the receiver's tolerance in the spec). */
export function isAcceptableTimestamp(value: unknown, now = Date.now()): boolean {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return false;
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === value && ms <= now + 1000;
}

/** `value` equals `seedValue` but for the member at `path`, which holds an acceptable timestamp. */
function onlyTimestampChanged(
  value: unknown,
  seedValue: unknown,
  path: readonly string[],
  now: number,
): boolean {
  if (!isPlainObject(value) || !isPlainObject(seedValue)) return false;
  const [key, ...rest] = path as [string, ...string[]];
  const keys = Object.keys(value);
  if (!Object.hasOwn(value, key) || keys.length !== Object.keys(seedValue).length) return false;
  for (const other of keys) {
    if (
      other !== key &&
      !(Object.hasOwn(seedValue, other) && isDeepStrictEqual(value[other], seedValue[other]))
    ) {
      return false;
    }
  }
  if (rest.length > 0) return onlyTimestampChanged(value[key], seedValue[key], rest, now);
  return Object.hasOwn(seedValue, key) && isAcceptableTimestamp(value[key], now);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when valid JSON `text` has an object with two members of the same name. */
export function hasDuplicateMembers(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      let k = j + 1;
      while (k < text.length && isJsonWhitespace(text.charCodeAt(k))) k++;
      const top = stack[stack.length - 1];
      if (top && text.charCodeAt(k) === 0x3a) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return true;
        top.add(key);
      }
      i = j;
    } else if (c === 0x7b) stack.push(new Set());
    else if (c === 0x5b) stack.push(null);
    else if (c === 0x7d || c === 0x5d) stack.pop();
  }
  return false;
}

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

// ---------------------------------------------------------------------------------------------------------
// Running validations under a time limit. Validation is synchronous, so a timer cannot stop it; a vm script
// with a timeout can: node interrupts it from a watchdog thread (even inside a regular expression) and throws.
// Starting that thread costs up to a millisecond, so validations run in slices of about SLICE_MS under one
// timeout of SLICE_MS + limit: no validation starts after SLICE_MS, so the one that is interrupted has run for
// at least the limit.

const CASE_KEY = '__parleyFuzzSlice';
const sliceScript = new vm.Script(`globalThis.${CASE_KEY}()`, { filename: 'parley-fuzz-slice.js' });
const SLICE_MS = 100;

export interface CaseOutcome {
  status: 'returned' | 'threw' | 'timed-out';
  error?: unknown;
  ms: number;
}

/** Runs each job once, in order; one that runs `limitMs` or longer is interrupted and reported `timed-out`. */
export function runWithTimeLimit(jobs: readonly (() => void)[], limitMs: number): CaseOutcome[] {
  const global = globalThis as unknown as Record<string, unknown>;
  const outcomes: CaseOutcome[] = [];
  let current = -1;
  let started = 0;
  let retried = -1;
  global[CASE_KEY] = () => {
    const sliceStart = performance.now();
    for (let i = outcomes.length; i < jobs.length; i++) {
      if (i > outcomes.length && performance.now() - sliceStart > SLICE_MS) return;
      const job = jobs[i] as () => void;
      current = i;
      started = performance.now();
      let outcome: CaseOutcome;
      try {
        job();
        outcome = { status: 'returned', ms: performance.now() - started };
      } catch (error) {
        outcome = { status: 'threw', error, ms: performance.now() - started };
      }
      outcomes.push(outcome);
    }
  };
  try {
    while (outcomes.length < jobs.length) {
      try {
        sliceScript.runInThisContext({ timeout: SLICE_MS + limitMs });
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
        // Job `current` was running unless its outcome is in already (the limit struck just after it ended).
        if (outcomes.length !== current) continue;
        const ms = performance.now() - started;
        // It started late in the slice, or the watchdog fired early: run it again, first in a slice of its own.
        if (ms < limitMs && retried !== current) {
          retried = current;
          continue;
        }
        outcomes.push({ status: 'timed-out', error, ms });
      }
    }
  } finally {
    global[CASE_KEY] = undefined;
  }
  return outcomes;
}

// ---------------------------------------------------------------------------------------------------------

/** Cases are made, validated and judged in batches of at most this many cases or characters of text. */
const BATCH_CASES = 256;
const BATCH_CHARS = 16_000_000;

/**
 * Runs `count` mutated messages through their targets' validators. A case fails when the validator accepts a
 * real mutation, throws anything but a ProtocolError, or runs past the time limit.
 */
export function runFuzz(options: FuzzOptions): FuzzSummary {
  const limit = options.timeLimitMsPerCase ?? 1000;
  const first = options.firstCase ?? 0;
  const keep = options.maxFailuresKept ?? 20;
  const every = options.progressEvery ?? Math.max(1, Math.ceil(options.count / 10));
  const targets = prepareTargets(options.targets);
  const summary = emptySummary(options.seed);
  const started = performance.now();
  let totalMs = 0;

  const end = first + options.count;
  let nextProgress = first + every;
  for (let index = first; index < end;) {
    const batch: FuzzCase[] = [];
    let chars = 0;
    while (index < end && batch.length < BATCH_CASES && chars < BATCH_CHARS) {
      const c = generateCase(options.seed, index++, targets);
      batch.push(c);
      chars += c.mutation.text.length;
    }
    const outcomes = runWithTimeLimit(
      batch.map((c) => () => c.target.target.validate(c.mutation.text)),
      limit,
    );
    batch.forEach((c, i) => {
      const outcome = outcomes[i] as CaseOutcome;
      totalMs += outcome.ms;
      record(summary, c, outcome, options.seed, limit, keep);
      if (c.index + 1 >= nextProgress) {
        nextProgress += every;
        finish(summary, totalMs, started);
        options.onProgress?.(summary);
      }
    });
  }
  finish(summary, totalMs, started);
  return summary;
}

function record(
  summary: FuzzSummary,
  c: FuzzCase,
  outcome: CaseOutcome,
  seed: number,
  limit: number,
  keep: number,
) {
  const target = c.target.target;
  const equivalence = classify(c.mutation.text, c.seedText, c.seedValue, target.unsignedTimestamps);
  summary.total++;
  if (outcome.ms > summary.maxMs) {
    summary.maxMs = outcome.ms;
    summary.slowest = `case ${c.index} (${target.name}: ${short(describeMutation(c.mutation.applied))})`;
  }
  count(summary.targets, target.name);
  for (const kind of c.kinds) count(summary.kinds, kind);

  const typed = outcome.status === 'threw' && outcome.error instanceof ProtocolError;
  let failure: FailureReason | undefined;
  if (outcome.status === 'timed-out' || outcome.ms > limit) failure = 'hang';
  else if (outcome.status === 'threw' && !typed) failure = 'crash';
  else if (equivalence === 'equivalent') {
    summary.equivalent++;
    if (typed) summary.equivalentRejected++;
  } else if (equivalence === 'equivalent-unsigned-createdAt') summary.equivalentUnsignedCreatedAt++;
  else if (typed) {
    summary.rejected++;
    const error = outcome.error as ProtocolError;
    count(summary.errorClasses, error.name);
    count(summary.errorCodes, `${error.name}:${error.code}`);
  } else failure = 'accepted';

  if (failure) {
    summary.failureCount++;
    summary.failuresByReason[failure]++;
    if (summary.failures.length < keep) summary.failures.push(makeFailure(failure, seed, c, outcome, limit));
  }
}

function emptySummary(seed: number): FuzzSummary {
  return {
    seed,
    total: 0,
    rejected: 0,
    equivalent: 0,
    equivalentRejected: 0,
    equivalentUnsignedCreatedAt: 0,
    failureCount: 0,
    failures: [],
    failuresByReason: { accepted: 0, crash: 0, hang: 0 },
    kinds: Object.fromEntries(MUTATION_KINDS.map((kind) => [kind, 0])),
    targets: {},
    errorClasses: {},
    errorCodes: {},
    maxMs: 0,
    meanMs: 0,
    slowest: '',
    elapsedMs: 0,
  };
}

function finish(summary: FuzzSummary, totalMs: number, started: number): void {
  summary.meanMs = summary.total > 0 ? totalMs / summary.total : 0;
  summary.elapsedMs = performance.now() - started;
}

function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function makeFailure(
  reason: FailureReason,
  seed: number,
  c: FuzzCase,
  outcome: CaseOutcome,
  limit: number,
): FuzzFailure {
  let error = '';
  if (reason === 'hang') error = `ran ${outcome.ms.toFixed(0)} ms (limit ${limit} ms)`;
  else if (reason === 'crash') error = describeThrown(outcome.error);
  return {
    reason,
    seed,
    caseIndex: c.index,
    target: c.target.target.name,
    kinds: c.kinds,
    mutation: short(describeMutation(c.mutation.applied), 600),
    error,
    ms: outcome.ms,
    excerpt: excerpt(c.seedText, c.mutation.text),
    seedText: c.seedText,
    text: c.mutation.text.slice(0, 20_000),
  };
}

function describeThrown(value: unknown): string {
  if (value instanceof Error) {
    const frame = value.stack?.split('\n').find((line) => line.trim().startsWith('at ')) ?? '';
    return short(`${value.name}: ${value.message}`, 300) + (frame ? ` ${frame.trim()}` : '');
  }
  return short(`non-Error thrown: ${String(value)}`, 300);
}

/**
 * The mutated text around its first difference from the seed, or from the seed's compact form when that comes
 * later (tree mutations write a pretty-printed seed compactly).
 */
export function excerpt(seedText: string, text: string): string {
  const firstDifference = (a: string) => {
    let i = 0;
    const n = Math.min(a.length, text.length);
    while (i < n && a.charCodeAt(i) === text.charCodeAt(i)) i++;
    return i;
  };
  let i = firstDifference(seedText);
  try {
    i = Math.max(i, firstDifference(JSON.stringify(JSON.parse(seedText))));
  } catch {
    // a seed is valid JSON; nothing to do otherwise
  }
  const snippet = text.slice(Math.max(0, i - 40), i + 80);
  return `${text.length} chars (seed ${seedText.length}), first difference at ${i}: ${JSON.stringify(snippet)}`;
}

function short(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

// ---------------------------------------------------------------------------------------------------------
// Reporting.

function counts(record: Record<string, number>): string {
  return Object.entries(record)
    .sort(([, a], [, b]) => b - a)
    .map(([key, n]) => `${key}=${n}`)
    .join(' ');
}

/** One line: what the CLI prints at the end. */
export function summaryLine(s: FuzzSummary): string {
  return [
    `fuzz seed=${s.seed} cases=${s.total} rejected=${s.rejected} equivalent=${s.equivalent}`,
    `equivalent-unsigned-createdAt=${s.equivalentUnsignedCreatedAt} failures=${s.failureCount}`,
    `(accepted=${s.failuresByReason.accepted} crash=${s.failuresByReason.crash} hang=${s.failuresByReason.hang})`,
    `time=${(s.elapsedMs / 1000).toFixed(1)}s mean=${s.meanMs.toFixed(3)}ms max=${s.maxMs.toFixed(1)}ms`,
    `kinds{${counts(s.kinds)}} errors{${counts(s.errorClasses)}}`,
  ].join(' ');
}

/** Several lines, for test diagnostics. */
export function formatSummary(s: FuzzSummary): string[] {
  return [
    `seed ${s.seed}: ${s.total} cases in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `rejected ${s.rejected}, equivalent (skipped) ${s.equivalent} (of which rejected anyway ${s.equivalentRejected}), ` +
      `equivalent-unsigned-createdAt (skipped) ${s.equivalentUnsignedCreatedAt}, failures ${s.failureCount} ` +
      `(accepted ${s.failuresByReason.accepted}, crash ${s.failuresByReason.crash}, hang ${s.failuresByReason.hang})`,
    `validation ms per case: mean ${s.meanMs.toFixed(3)}, max ${s.maxMs.toFixed(1)} (${s.slowest})`,
    `kinds: ${counts(s.kinds)}`,
    `targets: ${counts(s.targets)}`,
    `error classes: ${counts(s.errorClasses)}`,
    `error codes: ${counts(s.errorCodes)}`,
  ];
}

export function formatFailure(f: FuzzFailure): string {
  return [
    `${f.reason.toUpperCase()}: seed ${f.seed} case ${f.caseIndex}, target ${f.target}, ${f.ms.toFixed(1)} ms`,
    `  mutations: ${f.mutation}`,
    ...(f.error ? [`  error: ${f.error}`] : []),
    `  text: ${f.excerpt}`,
  ].join('\n');
}

export function formatFailures(s: FuzzSummary, max = 5): string {
  if (s.failureCount === 0) return 'no failures';
  const shown = s.failures.slice(0, max).map(formatFailure);
  const more = s.failureCount - shown.length;
  return [`${s.failureCount} failure(s):`, ...shown, ...(more > 0 ? [`... and ${more} more`] : [])].join(
    '\n',
  );
}
