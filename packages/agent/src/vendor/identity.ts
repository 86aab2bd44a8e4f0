import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CHANNELS, FIELD_TYPES, PURPOSES, ProtocolError, publicKeyFromDid } from '@parley/protocol';

const Str = (max: number) => Type.String({ minLength: 1, maxLength: max });

/** What `GET {vendor}` answers (docs/relationships.md), as the agent checks it before trusting any of it. */
export const VendorIdentity = Type.Object({
  did: Type.String({ pattern: '^did:jlinc:[A-Za-z0-9_-]{43}$' }),
  name: Str(200),
  controller: Type.Record(Type.String(), Type.Unknown()),
  policy: Type.Object({
    accepts: Type.Array(Str(200), { maxItems: 50 }),
    counter: Type.Optional(Str(200)),
    purposes: Type.Optional(Type.Array(Type.Union(PURPOSES.map((p) => Type.Literal(p))))),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
  }),
  request: Type.Object({
    schema: Type.Object({
      fields: Type.Array(
        Type.Object({
          name: Str(64),
          type: Type.Union(FIELD_TYPES.map((t) => Type.Literal(t))),
          sensitivity: Type.String(),
          required: Type.Optional(Type.Boolean()),
          description: Type.Optional(Type.String({ maxLength: 500 })),
        }),
        { minItems: 1, maxItems: 200 },
      ),
    }),
    purposes: Type.Array(Type.Union(PURPOSES.map((p) => Type.Literal(p))), { minItems: 1 }),
    retentionDays: Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 36500 })]),
  }),
  publications: Type.Array(
    Type.Object({
      id: Str(200),
      name: Str(200),
      kind: Type.Union([Type.Literal('newsletter'), Type.Literal('publication'), Type.Literal('service')]),
      channels: Type.Array(Type.Union(CHANNELS.map((c) => Type.Literal(c)))),
    }),
    { maxItems: 200 },
  ),
  ledger: Type.Object({ origin: Str(200), vkey: Str(500) }),
});
export type VendorIdentity = Static<typeof VendorIdentity>;

export class VendorAnswerError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'VendorAnswerError';
  }
}

/** Checks a vendor's identity document; the first problem is named by its path. */
export function parseVendorIdentity(value: unknown): VendorIdentity {
  const first = Value.Errors(VendorIdentity, value).First();
  if (first) throw new VendorAnswerError(`vendor${first.path.replace(/\//g, '.')}`, first.message);
  const identity = value as VendorIdentity;
  publicKeyFromDid(identity.did, 'vendor.did');
  // Keep only what the document defines: a vendor cannot slip other members into the vault.
  return Value.Clean(VendorIdentity, structuredClone(identity)) as VendorIdentity;
}

/** Runs a check of something the vendor sent: a protocol error there is the vendor's fault, not hers. */
export function fromVendor<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ProtocolError) {
      const field = error.field ?? 'answer';
      const detail = error.message.startsWith(`${field}: `)
        ? error.message.slice(field.length + 2)
        : error.message;
      throw new VendorAnswerError(field, detail);
    }
    throw error;
  }
}
