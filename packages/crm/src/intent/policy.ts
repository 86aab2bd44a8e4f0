import { findTerms, type Intentcast, type IntentDecisionKind } from '@parley/protocol';
import { unprocessable } from '../http/problem.js';

/**
 * The vendor's intent policy (docs/intentcasting.md): the roster terms it deals under when it answers an
 * intentcast, its one counter, and whether a machine decides (`auto`) or a person at the vendor (`manual`).
 * Published at `GET {vendor}` as `intentPolicy`, set with the vendor profile.
 */
export interface VendorIntentPolicy {
  mode: 'auto' | 'manual';
  /** Roster codes, stored as codes: the first of her terms among them is accepted. */
  accepts: string[];
  counter?: string;
  reason?: string;
}

export const DEFAULT_INTENT_POLICY: VendorIntentPolicy = { mode: 'auto', accepts: ['PDC-INTENT', '2P-30D'] };

/** The JSON Schema of `intentPolicy` in the vendor profile (the PUT body and the GET answer). */
export const INTENT_POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description:
    'How intentcasts are answered: the first of her terms it accepts, else its counter, else no; ' +
    '"manual" waits for a person at the vendor (default {mode: auto, accepts: [PDC-INTENT, 2P-30D]})',
  required: ['mode', 'accepts'],
  properties: {
    mode: { type: 'string', enum: ['auto', 'manual'] },
    accepts: {
      type: 'array',
      maxItems: 50,
      items: { type: 'string', minLength: 1, maxLength: 200 },
      description: 'Roster codes (or ids) the vendor deals under when answering an intentcast',
    },
    counter: { type: 'string', minLength: 1, maxLength: 200, description: 'Its one alternative' },
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
  },
} as const;

/** Checks the roster codes of a policy (JSON Schema checked the rest); returns it with codes. 422 otherwise. */
export function checkIntentPolicy(
  input: VendorIntentPolicy,
  field = 'body.intentPolicy',
): VendorIntentPolicy {
  const code = (name: string, at: string) => {
    const terms = findTerms(name);
    if (!terms) throw unprocessable(`${at}: "${name}" is not in the terms roster`, at);
    return terms.code;
  };
  const accepts = input.accepts.map((t, i) => code(t, `${field}.accepts.${i}`));
  accepts.forEach((c, i) => {
    if (accepts.indexOf(c) !== i)
      throw unprocessable(`${field}.accepts.${i}: ${c} is listed twice`, `${field}.accepts.${i}`);
  });
  const counter = input.counter === undefined ? undefined : code(input.counter, `${field}.counter`);
  return {
    mode: input.mode,
    accepts,
    ...(counter !== undefined ? { counter } : {}),
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
  };
}

/** A policy ready to apply: the roster ids of its terms, resolved once. */
export interface CompiledIntentPolicy {
  policy: VendorIntentPolicy;
  accepted: ReadonlySet<string>;
  counterId: string | undefined;
}

const compiled = new WeakMap<VendorIntentPolicy, CompiledIntentPolicy>();

export function compileIntentPolicy(policy: VendorIntentPolicy): CompiledIntentPolicy {
  let c = compiled.get(policy);
  if (!c) {
    c = {
      policy,
      accepted: new Set(policy.accepts.map((code) => findTerms(code)?.id).filter((id) => id !== undefined)),
      counterId: policy.counter ? findTerms(policy.counter)?.id : undefined,
    };
    compiled.set(policy, c);
  }
  return c;
}

/**
 * What `decideIntent` will sign for this policy, without signing: the first of her terms accepted, else the
 * counter (unless she proffered it), else a rejection. Lets the evaluation skip catalogue matching for an
 * intentcast the policy refuses anyway.
 */
export function policyOutcome(
  intent: Pick<Intentcast, 'terms'>,
  policy: CompiledIntentPolicy,
): { decision: IntentDecisionKind; termsId?: string } {
  const mine = intent.terms.find((t) => policy.accepted.has(t.id));
  if (mine) return { decision: 'accept', termsId: mine.id };
  const counter = policy.counterId;
  if (counter && !intent.terms.some((t) => t.id === counter))
    return { decision: 'counter', termsId: counter };
  return { decision: 'reject' };
}
