import type { Random } from './random.js';

/**
 * The mutation engine. It works on JSON message text (bit flips, truncation, inserted bytes) and on a parsed
 * tree of it (dropped, duplicated, retyped, swapped or added members, huge and long strings, deep nesting, bad
 * base64url, future and malformed dates), and it reaches inside JWT strings: a header or payload segment is
 * decoded, mutated like any other JSON text and encoded again, keeping the old signature segment.
 */
export const MUTATION_KINDS = [
  'flip-bit',
  'truncate',
  'insert-bytes',
  'drop-member',
  'duplicate-member',
  'wrong-type',
  'huge-string',
  'long-string',
  'deep-nesting',
  'bad-base64url',
  'future-date',
  'malformed-date',
  'jwt-inner',
  'jwt-empty-signature',
  'swap-values',
  'unknown-member',
] as const;

export type MutationKind = (typeof MUTATION_KINDS)[number];

/** Kinds that work on the text itself; every other kind works on the parsed tree. */
export const TEXT_KINDS: readonly MutationKind[] = ['flip-bit', 'truncate', 'insert-bytes'];

/**
 * How often each kind is made, relative to the others. Huge strings cost some 50 ms a case (making, parsing and
 * decoding megabytes) against well under 1 ms for the rest, so they are kept to under 1% of the cases. Long
 * strings (10-200 KB) are cheap, and long enough to expose work that grows faster than the input (a regular
 * expression that backtracks quadratically takes seconds on 50 KB).
 */
export const KIND_WEIGHTS: Readonly<Record<MutationKind, number>> = {
  'flip-bit': 1,
  truncate: 1,
  'insert-bytes': 1,
  'drop-member': 1,
  'duplicate-member': 1,
  'wrong-type': 1,
  'huge-string': 0.05,
  'long-string': 0.5,
  'deep-nesting': 0.5,
  'bad-base64url': 1,
  'future-date': 1,
  'malformed-date': 1,
  'jwt-inner': 1,
  'jwt-empty-signature': 0.5,
  'swap-values': 1,
  'unknown-member': 1,
};

export interface AppliedMutation {
  kind: MutationKind;
  /** Where it happened: a dotted path, `jwt[payload]>` for the inside of a JWT, or a text offset. */
  where: string;
  detail: string;
}

export interface Mutation {
  text: string;
  applied: AppliedMutation[];
}

/** How a text is held: `utf16` is a message as received; `bytes` is a decoded JWT segment, one char per byte. */
type TextMode = 'utf16' | 'bytes';

interface Context {
  rng: Random;
  /** How many JWTs deep this text is (0 for the message itself). */
  depth: number;
  /** Prefix of `where` for mutations made inside a JWT. */
  prefix: string;
  now: number;
}

/** JWTs nest three deep in a SISA (acceptedSisaJwt > offeredSisaJwt > agreementJwt). */
const MAX_JWT_DEPTH = 3;

export function describeMutation(applied: readonly AppliedMutation[]): string {
  return applied.map((m) => `${m.kind}@${m.where}${m.detail ? ` (${m.detail})` : ''}`).join(' + ');
}

/** Draws `count` kinds at random by KIND_WEIGHTS. */
export function drawKinds(rng: Random, count: number): MutationKind[] {
  const entries = MUTATION_KINDS.map((kind) => [kind, KIND_WEIGHTS[kind]] as const);
  return Array.from({ length: count }, () => rng.weighted(entries));
}

/**
 * Applies `kinds` to a JSON message text: tree kinds first (on one parse of the text), then text kinds. A
 * tree kind that has nothing to work on here is tried inside a JWT; failing that, a text kind is made instead,
 * so every case is mutated. `applied` lists what was really done, nested mutations included.
 */
export function mutateMessage(
  text: string,
  kinds: readonly MutationKind[],
  rng: Random,
  now = Date.now(),
): Mutation {
  return mutateJson(text, 'utf16', kinds, { rng, depth: 0, prefix: '', now });
}

function mutateJson(text: string, mode: TextMode, kinds: readonly MutationKind[], ctx: Context): Mutation {
  const applied: AppliedMutation[] = [];
  const treeKinds = kinds.filter((kind) => !TEXT_KINDS.includes(kind));
  const textKinds = kinds.filter((kind) => TEXT_KINDS.includes(kind));
  let current = text;
  if (treeKinds.length > 0) {
    const doc = parseDoc(text, mode);
    let changed = false;
    for (const kind of treeKinds) {
      const done = doc ? applyTreeKind(doc, kind, ctx) : undefined;
      if (done) {
        applied.push(...done);
        changed = true;
      } else {
        textKinds.unshift(ctx.rng.pick(TEXT_KINDS));
      }
    }
    if (doc && changed) current = serializeDoc(doc, mode);
  }
  for (const kind of textKinds) {
    const done = applyTextKind(current, mode, kind, ctx);
    current = done.text;
    applied.push(done.applied);
  }
  return { text: current, applied };
}

// ---------------------------------------------------------------------------------------------------------
// A JSON tree that can hold what JSON values cannot: duplicate member names and pre-serialised raw text.

type JsonNode =
  | { type: 'object'; members: JsonMember[] }
  | { type: 'array'; items: JsonNode[] }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' }
  | { type: 'raw'; text: string };

interface JsonMember {
  key: string;
  value: JsonNode;
}

interface Doc {
  root: JsonNode;
}

const MAX_TREE_DEPTH = 200;

function toNode(value: unknown, depth = 0): JsonNode {
  if (depth > MAX_TREE_DEPTH) throw new RangeError('too deep for the mutation tree');
  if (value === null) return { type: 'null' };
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'number') return { type: 'number', value };
  if (typeof value === 'boolean') return { type: 'boolean', value };
  if (Array.isArray(value))
    return { type: 'array', items: value.map((item: unknown) => toNode(item, depth + 1)) };
  if (typeof value === 'object') {
    return {
      type: 'object',
      members: Object.entries(value).map(([key, v]) => ({ key, value: toNode(v, depth + 1) })),
    };
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}

function serialize(node: JsonNode): string {
  switch (node.type) {
    case 'object':
      return `{${node.members.map((m) => `${JSON.stringify(m.key)}:${serialize(m.value)}`).join(',')}}`;
    case 'array':
      return `[${node.items.map(serialize).join(',')}]`;
    case 'string':
    case 'number':
      return JSON.stringify(node.value);
    case 'boolean':
      return String(node.value);
    case 'null':
      return 'null';
    case 'raw':
      return node.text;
  }
}

function clone(node: JsonNode): JsonNode {
  switch (node.type) {
    case 'object':
      return { type: 'object', members: node.members.map((m) => ({ key: m.key, value: clone(m.value) })) };
    case 'array':
      return { type: 'array', items: node.items.map(clone) };
    default:
      return { ...node };
  }
}

function parseDoc(text: string, mode: TextMode): Doc | undefined {
  try {
    const json = mode === 'bytes' ? Buffer.from(text, 'latin1').toString('utf8') : text;
    return { root: toNode(JSON.parse(json)) };
  } catch {
    return undefined;
  }
}

function serializeDoc(doc: Doc, mode: TextMode): string {
  const json = serialize(doc.root);
  return mode === 'bytes' ? Buffer.from(json, 'utf8').toString('latin1') : json;
}

interface Slot {
  path: string;
  node: JsonNode;
  set(next: JsonNode): void;
}

interface MemberRef {
  path: string;
  object: Extract<JsonNode, { type: 'object' }>;
  index: number;
}

function short(text: string, max = 48): string {
  return text.length > max ? `${text.slice(0, max)}...(${text.length} chars)` : text;
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${short(key)}` : short(key);
}

function slots(doc: Doc): Slot[] {
  const out: Slot[] = [];
  const visit = (node: JsonNode, path: string, set: (next: JsonNode) => void) => {
    out.push({ path, node, set });
    if (node.type === 'object') {
      for (const member of node.members) {
        visit(member.value, childPath(path, member.key), (next) => {
          member.value = next;
        });
      }
    } else if (node.type === 'array') {
      node.items.forEach((item, i) => {
        visit(item, `${path}[${i}]`, (next) => {
          node.items[i] = next;
        });
      });
    }
  };
  visit(doc.root, '', (next) => {
    doc.root = next;
  });
  return out;
}

function members(doc: Doc): MemberRef[] {
  const out: MemberRef[] = [];
  for (const slot of slots(doc)) {
    const node = slot.node;
    if (node.type !== 'object') continue;
    node.members.forEach((member, index) =>
      out.push({ path: childPath(slot.path, member.key), object: node, index }),
    );
  }
  return out;
}

function objectSlots(doc: Doc): (Slot & { node: Extract<JsonNode, { type: 'object' }> })[] {
  return slots(doc).filter(
    (s): s is Slot & { node: Extract<JsonNode, { type: 'object' }> } => s.node.type === 'object',
  );
}

function stringSlots(doc: Doc, test: (value: string) => boolean = () => true) {
  return slots(doc).filter(
    (s): s is Slot & { node: { type: 'string'; value: string } } =>
      s.node.type === 'string' && test(s.node.value),
  );
}

function where(ctx: Context, path: string): string {
  return `${ctx.prefix}${path || '(root)'}`;
}

// ---------------------------------------------------------------------------------------------------------
// Recognisers.

const JWT = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/;
const BASE64URL_LIKE = /^[A-Za-z0-9_-]{16,}$/;
const DID_JLINC = /^did:jlinc:([A-Za-z0-9_-]+)$/;
const TIMESTAMP_LIKE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** The segments of a string that looks like a JWT (three base64url segments, the first a JSON object). */
function jwtParts(value: string): [string, string, string] | undefined {
  const match = JWT.exec(value);
  if (!match) return undefined;
  const [, header, payload, signature] = match as unknown as [string, string, string, string];
  if (!Buffer.from(header, 'base64url').toString('latin1').startsWith('{')) return undefined;
  return [header, payload, signature];
}

function isJwt(value: string): boolean {
  return jwtParts(value) !== undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Tree mutations.

type TreeMutation = (doc: Doc, ctx: Context) => AppliedMutation[] | undefined;

function applyTreeKind(doc: Doc, kind: MutationKind, ctx: Context): AppliedMutation[] | undefined {
  const mutation = TREE_MUTATIONS[kind];
  if (!mutation) return undefined;
  const nestable = kind !== 'jwt-inner';
  // Now and then reach inside a JWT even when this level has candidates, so nested content is mutated too.
  if (nestable && ctx.rng.chance(0.3)) {
    const nested = intoJwt(doc, kind, ctx);
    if (nested) return nested;
  }
  return mutation(doc, ctx) ?? (nestable ? intoJwt(doc, kind, ctx) : undefined);
}

/** Applies a tree kind to the payload of one of the JWTs in `doc` (tried in random order), keeping its signature. */
function intoJwt(doc: Doc, kind: MutationKind, ctx: Context): AppliedMutation[] | undefined {
  if (ctx.depth >= MAX_JWT_DEPTH) return undefined;
  for (const slot of ctx.rng.shuffle(stringSlots(doc, isJwt))) {
    const [header, payload, signature] = jwtParts(slot.node.value) as [string, string, string];
    const innerText = Buffer.from(payload, 'base64url').toString('latin1');
    const inner = parseDoc(innerText, 'bytes');
    if (!inner) continue;
    const innerCtx = { ...ctx, depth: ctx.depth + 1, prefix: `${where(ctx, slot.path)}[payload]>` };
    const done = applyTreeKind(inner, kind, innerCtx);
    if (!done) continue;
    const encoded = Buffer.from(serializeDoc(inner, 'bytes'), 'latin1').toString('base64url');
    slot.set({ type: 'string', value: `${header}.${encoded}.${signature}` });
    return done;
  }
  return undefined;
}

const TREE_MUTATIONS: Partial<Record<MutationKind, TreeMutation>> = {
  'drop-member': (doc, ctx) => {
    const refs = members(doc);
    if (refs.length === 0) return undefined;
    const ref = ctx.rng.pick(refs);
    ref.object.members.splice(ref.index, 1);
    return [{ kind: 'drop-member', where: where(ctx, ref.path), detail: '' }];
  },

  'duplicate-member': (doc, ctx) => {
    const refs = members(doc);
    if (refs.length === 0) return undefined;
    const ref = ctx.rng.pick(refs);
    const member = ref.object.members[ref.index] as JsonMember;
    const same = ctx.rng.chance(0.7);
    const copy = { key: member.key, value: same ? clone(member.value) : smallValue(ctx.rng) };
    const at = ctx.rng.chance(0.6) ? ref.index + 1 : ctx.rng.int(ref.object.members.length + 1);
    ref.object.members.splice(at, 0, copy);
    return [
      { kind: 'duplicate-member', where: where(ctx, ref.path), detail: same ? 'same value' : 'other value' },
    ];
  },

  'wrong-type': (doc, ctx) => {
    const candidates = slots(doc).filter((s) => s.node.type !== 'raw');
    if (candidates.length === 0) return undefined;
    const slot = ctx.rng.pick(candidates);
    const replacement = otherType(slot.node, ctx.rng);
    slot.set(replacement);
    return [
      {
        kind: 'wrong-type',
        where: where(ctx, slot.path),
        detail: `${typeName(slot.node)} -> ${typeName(replacement)}`,
      },
    ];
  },

  'huge-string': (doc, ctx) => bigString(doc, ctx, 'huge-string', [1_000_000, 5_000_000], HUGE_SHAPES),

  'long-string': (doc, ctx) => bigString(doc, ctx, 'long-string', [10_000, 200_000], LONG_SHAPES),

  'deep-nesting': (doc, ctx) => {
    const rng = ctx.rng;
    const candidates = slots(doc);
    const slot = rng.pick(candidates);
    const depth = Math.round(rng.logUniform(1000, 20000));
    const inner = serialize(slot.node);
    const style = rng.pick(['arrays', 'objects', 'mixed', 'unclosed'] as const);
    let text: string;
    if (style === 'arrays') text = '['.repeat(depth) + inner + ']'.repeat(depth);
    else if (style === 'objects') text = '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
    else if (style === 'mixed')
      text = '[{"a":'.repeat(Math.floor(depth / 2)) + inner + '}]'.repeat(Math.floor(depth / 2));
    else text = '['.repeat(depth) + inner;
    slot.set({ type: 'raw', text });
    return [{ kind: 'deep-nesting', where: where(ctx, slot.path), detail: `${depth} levels, ${style}` }];
  },

  'bad-base64url': (doc, ctx) => {
    const candidates = stringSlots(doc, (v) => BASE64URL_LIKE.test(v) || isJwt(v) || DID_JLINC.test(v));
    if (candidates.length === 0) return undefined;
    const slot = ctx.rng.pick(candidates);
    const value = slot.node.value;
    // The base64url part to spoil: a JWT segment, the key of a DID, or the whole string.
    let start = 0;
    let end = value.length;
    let part = 'value';
    const jwt = jwtParts(value);
    const did = DID_JLINC.exec(value);
    if (jwt) {
      const segment = ctx.rng.int(3);
      start = jwt.slice(0, segment).reduce((n, s) => n + s.length + 1, 0);
      end = start + (jwt[segment] as string).length;
      part = ['header', 'payload', 'signature'][segment] as string;
    } else if (did) {
      start = 'did:jlinc:'.length;
      part = 'did key';
    }
    const spoiled = badBase64url(value.slice(start, end), ctx.rng);
    slot.set({ type: 'string', value: value.slice(0, start) + spoiled.text + value.slice(end) });
    return [{ kind: 'bad-base64url', where: where(ctx, slot.path), detail: `${part}: ${spoiled.detail}` }];
  },

  'future-date': (doc, ctx) => {
    const candidates = stringSlots(doc, (v) => TIMESTAMP_LIKE.test(v));
    if (candidates.length === 0) return undefined;
    const slot = ctx.rng.pick(candidates);
    const ahead = ctx.rng.logUniform(3600_000, 100 * 365.25 * 86400_000);
    const value = new Date(ctx.now + ahead).toISOString();
    slot.set({ type: 'string', value });
    return [{ kind: 'future-date', where: where(ctx, slot.path), detail: value }];
  },

  'malformed-date': (doc, ctx) => {
    const candidates = stringSlots(doc, (v) => TIMESTAMP_LIKE.test(v));
    if (candidates.length === 0) return undefined;
    const slot = ctx.rng.pick(candidates);
    const bad = malformedDate(slot.node.value, ctx.rng);
    slot.set({ type: 'string', value: bad.text });
    return [{ kind: 'malformed-date', where: where(ctx, slot.path), detail: `${bad.detail}: ${bad.text}` }];
  },

  'jwt-inner': (doc, ctx) => {
    if (ctx.depth >= MAX_JWT_DEPTH) return undefined;
    const candidates = stringSlots(doc, isJwt);
    if (candidates.length === 0) return undefined;
    const rng = ctx.rng;
    const slot = rng.pick(candidates);
    const parts = jwtParts(slot.node.value) as [string, string, string];
    const segment = rng.chance(0.75) ? 1 : 0;
    const name = segment === 1 ? 'payload' : 'header';
    const decoded = Buffer.from(parts[segment] as string, 'base64url').toString('latin1');
    const innerCtx = { ...ctx, depth: ctx.depth + 1, prefix: `${where(ctx, slot.path)}[${name}]>` };
    const inner = mutateJson(decoded, 'bytes', drawKinds(rng, rng.chance(0.8) ? 1 : 2), innerCtx);
    parts[segment] = Buffer.from(inner.text, 'latin1').toString('base64url');
    slot.set({ type: 'string', value: parts.join('.') });
    return [{ kind: 'jwt-inner', where: where(ctx, slot.path), detail: name }, ...inner.applied];
  },

  'jwt-empty-signature': (doc, ctx) => {
    const candidates = stringSlots(doc, isJwt);
    if (candidates.length === 0) return undefined;
    const slot = ctx.rng.pick(candidates);
    const [header, payload] = jwtParts(slot.node.value) as [string, string, string];
    const dropDot = ctx.rng.chance(0.25);
    slot.set({ type: 'string', value: dropDot ? `${header}.${payload}` : `${header}.${payload}.` });
    return [
      {
        kind: 'jwt-empty-signature',
        where: where(ctx, slot.path),
        detail: dropDot ? 'signature segment and its dot removed' : 'empty signature segment',
      },
    ];
  },

  'swap-values': (doc, ctx) => {
    const refs = members(doc);
    const rng = ctx.rng;
    if (refs.length < 2) return undefined;
    for (let attempt = 0; attempt < 8; attempt++) {
      const a = rng.pick(refs);
      const siblings = refs.filter((r) => r.object === a.object && r.index !== a.index);
      const pool = siblings.length > 0 && rng.chance(0.7) ? siblings : refs.filter((r) => r !== a);
      if (pool.length === 0) continue;
      const b = rng.pick(pool);
      const ma = a.object.members[a.index] as JsonMember;
      const mb = b.object.members[b.index] as JsonMember;
      if (
        serialize(ma.value) === serialize(mb.value) ||
        contains(ma.value, mb.value) ||
        contains(mb.value, ma.value)
      ) {
        continue;
      }
      [ma.value, mb.value] = [mb.value, ma.value];
      return [{ kind: 'swap-values', where: where(ctx, a.path), detail: `with ${b.path}` }];
    }
    return undefined;
  },

  'unknown-member': (doc, ctx) => {
    const candidates = objectSlots(doc);
    if (candidates.length === 0) return undefined;
    const rng = ctx.rng;
    const slot = rng.pick(candidates);
    const existing = new Set(slot.node.members.map((m) => m.key));
    const names = UNKNOWN_NAMES.filter((n) => !existing.has(n));
    const sibling = slot.node.members.length > 0 ? rng.pick(slot.node.members) : undefined;
    let key = rng.pick(names);
    if (sibling && rng.chance(0.25)) {
      const variant = rng.pick([
        sibling.key.toUpperCase(),
        `${sibling.key} `,
        ` ${sibling.key}`,
        `${sibling.key}2`,
      ]);
      if (!existing.has(variant)) key = variant;
    }
    const value = sibling && rng.chance(0.3) ? clone(sibling.value) : smallValue(rng);
    slot.node.members.splice(rng.int(slot.node.members.length + 1), 0, { key, value });
    return [{ kind: 'unknown-member', where: where(ctx, childPath(slot.path, key)), detail: '' }];
  },
};

type BigShape = 'filler' | 'extended' | 'extended+junk' | 'repeated' | 'escapes' | 'non-ascii';

/** Huge strings test size limits: any shape. */
const HUGE_SHAPES: readonly (readonly [BigShape, number])[] = [
  ['filler', 1],
  ['extended', 1],
  ['extended+junk', 1],
  ['repeated', 1],
  ['escapes', 1],
  ['non-ascii', 1],
];

/** Long strings probe for super-linear work: keep the original's start so the value still looks right. */
const LONG_SHAPES: readonly (readonly [BigShape, number])[] = [
  ['extended+junk', 2],
  ['extended', 1],
  ['repeated', 1],
];

/** Replaces a string (now and then a member name) with one of `min` to `max` characters. */
function bigString(
  doc: Doc,
  ctx: Context,
  kind: MutationKind,
  [min, max]: readonly [number, number],
  shapes: readonly (readonly [BigShape, number])[],
): AppliedMutation[] | undefined {
  const rng = ctx.rng;
  const size = Math.round(rng.logUniform(min, max));
  if (rng.chance(0.1)) {
    const refs = members(doc);
    if (refs.length > 0) {
      const ref = rng.pick(refs);
      const member = ref.object.members[ref.index] as JsonMember;
      member.key = member.key + 'k'.repeat(size);
      return [{ kind, where: where(ctx, ref.path), detail: `member name of ${member.key.length} chars` }];
    }
  }
  const candidates = stringSlots(doc);
  if (candidates.length === 0) return undefined;
  const slot = rng.pick(candidates);
  const big = bigStringLiteral(slot.node.value, size, rng.weighted(shapes), rng);
  slot.set({ type: 'raw', text: big.text });
  return [{ kind, where: where(ctx, slot.path), detail: big.detail }];
}

function contains(outer: JsonNode, inner: JsonNode): boolean {
  if (outer === inner) return true;
  if (outer.type === 'object') return outer.members.some((m) => contains(m.value, inner));
  if (outer.type === 'array') return outer.items.some((item) => contains(item, inner));
  return false;
}

const UNKNOWN_NAMES = [
  'x',
  'extra',
  'id',
  'note',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  ' ',
  '\u0000',
  '\u00e9',
  '\u{1f600}',
  'offeredSisa',
  'offeredBisa',
  'acceptedSisaJwt',
  'acceptedBisaJwt',
  'audit',
  'eventJwt',
  'sisaId',
  'bisaId',
  'dataCustodianSig',
  'acceptorSig',
  'createdAt',
  'previousId',
  'signature',
  'proof',
  'alg',
  'kid',
];

function typeName(node: JsonNode): string {
  return node.type === 'raw' ? 'raw' : node.type;
}

function smallValue(rng: Random): JsonNode {
  return rng.pick<() => JsonNode>([
    () => ({ type: 'string', value: '' }),
    () => ({ type: 'string', value: 'x' }),
    () => ({ type: 'string', value: 'https://protocol.jlinc.org/context/jlinc-v7.jsonld' }),
    () => ({ type: 'number', value: rng.pick([0, 1, -1, 0.5, 1e21]) }),
    () => ({ type: 'boolean', value: rng.chance(0.5) }),
    () => ({ type: 'null' }),
    () => ({ type: 'object', members: [] }),
    () => ({ type: 'array', items: [] }),
  ])();
}

/** A value of another JSON type than `node`. */
function otherType(node: JsonNode, rng: Random): JsonNode {
  const makers: Record<string, () => JsonNode> = {
    string: () =>
      rng.pick<JsonNode>([
        { type: 'string', value: '' },
        { type: 'string', value: 'x' },
        { type: 'string', value: serialize(node) },
        { type: 'string', value: 'null' },
        { type: 'string', value: '0' },
      ]),
    number: () =>
      rng.pick<JsonNode>([
        { type: 'number', value: 0 },
        { type: 'number', value: 1 },
        { type: 'number', value: -1 },
        { type: 'number', value: 3.14 },
        { type: 'number', value: 2 ** 53 + 2 },
        { type: 'number', value: 1e308 },
        { type: 'raw', text: '-0' },
        { type: 'raw', text: '1e400' },
        { type: 'raw', text: '-1E-400' },
      ]),
    boolean: () => ({ type: 'boolean', value: rng.chance(0.5) }),
    null: () => ({ type: 'null' }),
    array: () =>
      rng.pick<JsonNode>([
        { type: 'array', items: [] },
        { type: 'array', items: [clone(node)] },
        {
          type: 'array',
          items: [{ type: 'number', value: 1 }, { type: 'string', value: 'a' }, { type: 'null' }],
        },
      ]),
    object: () =>
      rng.pick<JsonNode>([
        { type: 'object', members: [] },
        { type: 'object', members: [{ key: 'value', value: clone(node) }] },
      ]),
  };
  const types = Object.keys(makers).filter((t) => t !== node.type);
  return (makers[rng.pick(types)] as () => JsonNode)();
}

/** A JSON string literal (as raw text) of about `size` characters. */
function bigStringLiteral(
  original: string,
  size: number,
  shape: BigShape,
  rng: Random,
): { text: string; detail: string } {
  const escaped = JSON.stringify(original).slice(1, -1);
  let body: string;
  let detail: string = shape;
  switch (shape) {
    case 'filler':
      body = 'A'.repeat(size);
      break;
    case 'extended':
      body = escaped + 'A'.repeat(size);
      break;
    case 'extended+junk': {
      // A long run that a pattern accepts, then one character it may not: the classic backtracking probe.
      const junk = rng.chance(0.5)
        ? rng.pick([' ', '\\t', '\\n', '\\r'])
        : rng.pick(['!', '.', '/', '#', '%', '=', '\\"', '\\u0000']);
      body = escaped + 'a'.repeat(size) + junk;
      detail = `${shape} ${junk}`;
      break;
    }
    case 'repeated':
      body = escaped.repeat(Math.max(1, Math.floor(size / Math.max(1, escaped.length))));
      break;
    case 'escapes':
      body = '\\u0041'.repeat(Math.ceil(size / 6));
      break;
    case 'non-ascii':
      body = '\u00e9\u4e2d'.repeat(Math.ceil(size / 2));
      break;
  }
  return { text: `"${body}"`, detail: `${detail}, ${body.length} chars of JSON text` };
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function badBase64url(segment: string, rng: Random): { text: string; detail: string } {
  const ops = ['insert', 'pad', 'truncate', 'trailing-bits', 'standard-alphabet'] as const;
  for (const op of rng.shuffle(ops)) {
    switch (op) {
      case 'insert': {
        const char = rng.pick(['+', '/', '=', ' ', '\n', '\t', '\r', '%', '.', '\u00e9']);
        const at = rng.int(segment.length + 1);
        return {
          text: segment.slice(0, at) + char + segment.slice(at),
          detail: `inserted ${JSON.stringify(char)} at ${at}`,
        };
      }
      case 'pad': {
        const pad = rng.pick(['=', '==', '===']);
        return { text: segment + pad, detail: `padded with ${pad}` };
      }
      case 'truncate': {
        const n = Math.min(rng.range(1, 3), segment.length);
        if (n === 0) continue;
        return { text: segment.slice(0, -n), detail: `truncated by ${n}` };
      }
      case 'trailing-bits': {
        // With 2 or 3 characters in the last quantum, the low 4 or 2 bits of the last one must be zero.
        const mask = segment.length % 4 === 2 ? 0b1111 : segment.length % 4 === 3 ? 0b11 : 0;
        const last = B64_ALPHABET.indexOf(segment.slice(-1));
        if (mask === 0 || last < 0) continue;
        const bits = rng.range(1, mask);
        const char = B64_ALPHABET[(last & ~mask) | bits] as string;
        return {
          text: segment.slice(0, -1) + char,
          detail: `last char ${segment.slice(-1)} -> ${char} (non-zero trailing bits)`,
        };
      }
      case 'standard-alphabet': {
        if (!/[-_]/.test(segment)) continue;
        return {
          text: segment.replace(/-/g, '+').replace(/_/g, '/'),
          detail: 'standard base64 alphabet (+ /)',
        };
      }
    }
  }
  return { text: segment + '=', detail: 'padded with =' };
}

/** A timestamp that breaks the `YYYY-MM-DDTHH:MM:SS.sssZ` form or names no real instant. */
function malformedDate(value: string, rng: Random): { text: string; detail: string } {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)
    ? value
    : '2024-05-17T10:20:30.456Z';
  const set = (from: number, to: number, text: string) => iso.slice(0, from) + text + iso.slice(to);
  const variants: [string, () => string][] = [
    ['month 13', () => set(5, 7, '13')],
    ['month 00', () => set(5, 7, '00')],
    ['day 32', () => set(8, 10, '32')],
    ['day 00', () => set(8, 10, '00')],
    ['30 February', () => set(4, 10, '-02-30')],
    ['29 February of a common year', () => set(0, 10, '2023-02-29')],
    ['hour 24', () => set(11, 13, '24')],
    ['minute 60', () => set(14, 16, '60')],
    ['second 60', () => set(17, 19, '60')],
    ['missing millis', () => set(19, 23, '')],
    ['no Z', () => iso.slice(0, -1)],
    ['offset instead of Z', () => set(23, 24, '+00:00')],
    ['lower-case t and z', () => iso.replace('T', 't').replace('Z', 'z')],
    ['space for T', () => iso.replace('T', ' ')],
    ['two-digit millis', () => set(20, 23, '45')],
    ['microseconds', () => set(23, 23, '789')],
    ['extended year', () => `+0${iso}`],
    ['date only', () => iso.slice(0, 10)],
    ['epoch milliseconds', () => String(Date.parse(iso))],
    ['surrounding space', () => ` ${iso} `],
    ['non-ASCII digit', () => set(3, 4, '\u0663')],
    ['empty', () => ''],
  ];
  const [detail, make] = rng.pick(variants);
  return { text: make(), detail };
}

// ---------------------------------------------------------------------------------------------------------
// Text mutations.

const STRUCTURAL = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  ' ',
  '\n',
  '\t',
  '\r',
  '0',
  '-',
  'e',
  '.',
  'n',
  't',
  'f',
];
const UNITS = [
  ...STRUCTURAL,
  '\u0000',
  '\u001f',
  '\u007f',
  '\u00e9',
  '\u2028',
  '\ud800',
  '\udc00',
  '\ufffd',
  '\ufeff',
  '\u{1f600}',
  'A',
  '+',
  '/',
  '=',
];

function applyTextKind(
  text: string,
  mode: TextMode,
  kind: MutationKind,
  ctx: Context,
): { text: string; applied: AppliedMutation } {
  const rng = ctx.rng;
  const at = (offset: number) => `${ctx.prefix}offset ${offset}`;
  if (kind === 'flip-bit' && text.length > 0) {
    const pos = rng.int(text.length);
    if (mode === 'bytes') {
      const byte = text.charCodeAt(pos);
      const flipped = byte ^ (1 << rng.int(8));
      return {
        text: text.slice(0, pos) + String.fromCharCode(flipped) + text.slice(pos + 1),
        applied: { kind, where: at(pos), detail: `byte 0x${hex(byte)} -> 0x${hex(flipped)}` },
      };
    }
    // A message arrives as UTF-8: flip a bit of the UTF-8 form of one character and decode it the way a
    // receiver would (invalid sequences become U+FFFD).
    let start = pos;
    let end = pos + 1;
    const unit = text.charCodeAt(pos);
    if (unit >= 0xd800 && unit <= 0xdbff && end < text.length) end++;
    else if (unit >= 0xdc00 && unit <= 0xdfff && start > 0) start--;
    const bytes = Buffer.from(text.slice(start, end), 'utf8');
    const i = rng.int(bytes.length);
    const bit = rng.int(8);
    bytes[i] = (bytes[i] as number) ^ (1 << bit);
    const replacement = bytes.toString('utf8');
    return {
      text: text.slice(0, start) + replacement + text.slice(end),
      applied: {
        kind,
        where: at(start),
        detail: `${JSON.stringify(text.slice(start, end))} -> ${JSON.stringify(replacement)}`,
      },
    };
  }
  if (kind === 'truncate' && text.length > 0) {
    const keep = rng.chance(0.3) ? Math.max(0, text.length - rng.range(1, 3)) : rng.int(text.length);
    return {
      text: text.slice(0, keep),
      applied: { kind, where: at(keep), detail: `kept ${keep} of ${text.length}` },
    };
  }
  // insert-bytes (and the fallback for an empty text)
  const pos = rng.int(text.length + 1);
  let inserted = '';
  for (let n = rng.range(1, 8); n > 0; n--) {
    if (mode === 'bytes')
      inserted += rng.chance(0.5) ? String.fromCharCode(rng.int(256)) : rng.pick(STRUCTURAL);
    else inserted += rng.chance(0.2) ? String.fromCharCode(rng.int(0x10000)) : rng.pick(UNITS);
  }
  return {
    text: text.slice(0, pos) + inserted + text.slice(pos),
    applied: { kind: 'insert-bytes', where: at(pos), detail: JSON.stringify(inserted) },
  };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
