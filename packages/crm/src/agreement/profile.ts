import {
  AgreementError,
  CHANNELS,
  FIELD_TYPES,
  findTerms,
  Party,
  proposeTerms,
  PURPOSES,
  ROSTER,
  type DataSchema,
  type PiiController,
  type Purpose,
  type TermsPolicy,
} from '@parley/protocol';
import type { Database } from '@parley/store';
import { unprocessable } from '../http/problem.js';
import {
  checkIntentPolicy,
  DEFAULT_INTENT_POLICY,
  INTENT_POLICY_SCHEMA,
  type VendorIntentPolicy,
} from '../intent/policy.js';

export const PUBLICATION_KINDS = ['newsletter', 'publication', 'service'] as const;

export interface Publication {
  id: string;
  name: string;
  kind: (typeof PUBLICATION_KINDS)[number];
  channels: (typeof CHANNELS)[number][];
}

/** What a tenant publishes at `GET {vendor}` (docs/relationships.md), plus what its consent receipts say. */
export interface VendorProfile {
  name: string;
  controller: PiiController;
  policy: TermsPolicy;
  request: { schema: DataSchema; purposes: Purpose[]; retentionDays: number | null };
  publications: Publication[];
  /** How it answers intentcasts (docs/intentcasting.md). */
  intentPolicy: VendorIntentPolicy;
  /** The jurisdiction its consent receipts name (KI-CR `jurisdiction`). */
  jurisdiction: string;
  /** The service its consent receipts name. */
  service: string;
}

/** What the defaults say where only the vendor's admin can tell (KI-CR receipts need every member). */
const NOT_SET = 'not set';

/**
 * Until the admin sets a profile: the tenant's name, the SD-BASE family accepted, and a request for the
 * person's name, e-mail (required), phone and postal address for ServiceDelivery; intentcasts answered
 * automatically under PDC-INTENT or 2P-30D.
 */
export function defaultProfile(tenantName: string): VendorProfile {
  return {
    name: tenantName,
    controller: {
      piiController: tenantName,
      contact: 'Data protection officer',
      address: NOT_SET,
      email: NOT_SET,
      phone: NOT_SET,
    },
    policy: {
      accepts: ROSTER.filter((t) => t.code === 'SD-BASE' || t.code.startsWith('SD-BASE-')).map((t) => t.code),
    },
    request: {
      schema: {
        fields: [
          { name: 'givenName', type: 'string', sensitivity: 'normal' },
          { name: 'familyName', type: 'string', sensitivity: 'normal' },
          { name: 'email', type: 'email', sensitivity: 'normal', required: true },
          { name: 'phone', type: 'phone', sensitivity: 'normal' },
          { name: 'postalAddress', type: 'postal-address', sensitivity: 'normal' },
        ],
      },
      purposes: ['ServiceDelivery'],
      retentionDays: null,
    },
    publications: [],
    intentPolicy: defaultIntentPolicy(),
    jurisdiction: NOT_SET,
    service: tenantName,
  };
}

const defaultIntentPolicy = (): VendorIntentPolicy => ({
  ...DEFAULT_INTENT_POLICY,
  accepts: [...DEFAULT_INTENT_POLICY.accepts],
});

const str = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });

/** The JSON Schema of a profile (the PUT body and the GET answer). */
export const VENDOR_PROFILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'controller', 'policy', 'request', 'publications'],
  properties: {
    name: { ...str(200), description: 'The name the person sees' },
    controller: {
      type: 'object',
      additionalProperties: false,
      description: 'The PII controller, as consent receipts (KI-CR-v1.1.0) name it',
      required: ['piiController', 'contact', 'address', 'email', 'phone'],
      properties: {
        piiController: str(200),
        onBehalf: { type: 'boolean' },
        contact: str(200),
        address: {
          anyOf: [str(500), { type: 'object', additionalProperties: { type: 'string', maxLength: 200 } }],
        },
        email: str(254),
        phone: str(50),
        piiControllerUrl: { type: 'string', format: 'uri', maxLength: 500 },
      },
    },
    policy: {
      type: 'object',
      additionalProperties: false,
      description:
        'The terms policy answerByPolicy applies: the first proffered terms it accepts, else its counter, else reject',
      required: ['accepts'],
      properties: {
        accepts: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: str(200),
          description: 'Roster codes (or ids) accepted; the first is also the terms of new SISA offerings',
        },
        counter: { ...str(200), description: 'The one alternative offered when none is accepted' },
        purposes: {
          type: 'array',
          maxItems: PURPOSES.length,
          items: { type: 'string', enum: [...PURPOSES] },
          description: 'Purposes a counter-offer covers besides the proposal’s',
        },
        reason: { type: 'string', minLength: 1, maxLength: 1000 },
      },
    },
    request: {
      type: 'object',
      additionalProperties: false,
      required: ['schema', 'purposes', 'retentionDays'],
      properties: {
        schema: {
          type: 'object',
          description: 'Parley data schema: fields {name, type, sensitivity, required?, description?}',
          required: ['fields'],
          properties: {
            fields: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  type: { type: 'string', enum: [...FIELD_TYPES] },
                  sensitivity: { type: 'string' },
                  required: { type: 'boolean' },
                  description: { type: 'string' },
                },
              },
            },
          },
        },
        purposes: {
          type: 'array',
          minItems: 1,
          maxItems: PURPOSES.length,
          items: { type: 'string', enum: [...PURPOSES] },
        },
        retentionDays: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 1, maximum: 36500 }] },
      },
    },
    publications: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'kind', 'channels'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$' },
          name: str(200),
          kind: { type: 'string', enum: [...PUBLICATION_KINDS] },
          channels: { type: 'array', items: { type: 'string', enum: [...CHANNELS] } },
        },
      },
    },
    intentPolicy: INTENT_POLICY_SCHEMA,
    jurisdiction: { ...str(100), description: 'Named by consent receipts (default: not set)' },
    service: { ...str(200), description: 'The service consent receipts name (default: the vendor name)' },
  },
} as const;

let probe: string | undefined;
/** A DID that is not the vendor's, to address the probe proposal that checks a schema. */
const probeDid = () => (probe ??= Party.generate('schema probe').did);

const dotted = (field: string) => field.replace(/\[(\d+)\]/g, '.$1');

/**
 * Checks what JSON Schema cannot: terms are in the roster (stored by their codes), purposes and channels
 * listed once, publication ids unique, and the request schema by the protocol's own rules (a proposal carrying
 * it is signed, which runs them). Returns the profile to store; throws a 422 naming the member.
 */
export function checkProfile(
  input: Omit<VendorProfile, 'jurisdiction' | 'service' | 'intentPolicy'> & Partial<VendorProfile>,
  vendor: Party,
): VendorProfile {
  const code = (name: string, field: string) => {
    const terms = findTerms(name);
    if (!terms) throw unprocessable(`${field}: "${name}" is not in the terms roster`, field);
    return terms.code;
  };
  const accepts = input.policy.accepts.map((t, i) => code(t, `body.policy.accepts.${i}`));
  accepts.forEach((c, i) => {
    if (accepts.indexOf(c) !== i)
      throw unprocessable(`body.policy.accepts.${i}: ${c} is listed twice`, `body.policy.accepts.${i}`);
  });
  const unique = (list: readonly string[], field: string) =>
    list.forEach((v, i) => {
      if (list.indexOf(v) !== i) throw unprocessable(`${field}.${i}: ${v} is listed twice`, `${field}.${i}`);
    });
  unique(input.policy.purposes ?? [], 'body.policy.purposes');
  unique(input.request.purposes, 'body.request.purposes');
  const policy: TermsPolicy = {
    accepts,
    ...(input.policy.counter !== undefined
      ? { counter: code(input.policy.counter, 'body.policy.counter') }
      : {}),
    ...(input.policy.purposes !== undefined ? { purposes: input.policy.purposes } : {}),
    ...(input.policy.reason !== undefined ? { reason: input.policy.reason } : {}),
  };
  try {
    proposeTerms({
      from: vendor,
      to: probeDid(),
      proposer: 'organisation',
      terms: ['SD-BASE'],
      schema: input.request.schema,
      purposes: ['ServiceDelivery'],
      retentionDays: null,
    });
  } catch (error) {
    if (error instanceof AgreementError && error.field.startsWith('schema')) {
      const field = `body.request.${dotted(error.field)}`;
      throw unprocessable(`${field}${error.message.slice(error.field.length)}`, field);
    }
    throw error;
  }
  unique(
    input.publications.map((p) => p.id),
    'body.publications',
  );
  input.publications.forEach((p, i) => unique(p.channels, `body.publications.${i}.channels`));
  return {
    name: input.name,
    controller: input.controller,
    policy,
    request: input.request,
    publications: input.publications,
    intentPolicy: input.intentPolicy ? checkIntentPolicy(input.intentPolicy) : defaultIntentPolicy(),
    jurisdiction: input.jurisdiction ?? NOT_SET,
    service: input.service ?? input.name,
  };
}

export interface Tenant {
  id: string;
  name: string;
  profile: VendorProfile;
}

/**
 * The tenants' profiles, read through a short cache (the vendor routes ask on every request): a profile
 * changed by another server process is seen within `ttlMs`, one changed here at once.
 */
export class VendorProfiles {
  readonly #db: Database;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { tenant: Tenant | undefined; expires: number }>();

  constructor(db: Database, ttlMs = 5_000) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  /** The tenant with its profile (stored, or the defaults), or undefined when there is no such tenant. */
  async tenant(tenantId: string): Promise<Tenant | undefined> {
    const now = Date.now();
    const hit = this.#cache.get(tenantId);
    if (hit && hit.expires > now) return hit.tenant;
    const row = (await this.#db.kysely
      .selectFrom('crm_tenants as t')
      .leftJoin('crm_vendor_profiles as p', 'p.tenant_id', 't.id')
      .select(['t.id', 't.name', 'p.profile'])
      .where('t.id', '=', tenantId)
      .executeTakeFirst()) as { id: string; name: string; profile: string | null } | undefined;
    const tenant = row && {
      id: row.id,
      name: row.name,
      profile: row.profile ? storedProfile(row.profile) : defaultProfile(row.name),
    };
    if (this.#cache.size >= 10_000) this.#cache.clear();
    this.#cache.set(tenantId, { tenant, expires: now + this.#ttlMs });
    return tenant;
  }

  async save(tenantId: string, profile: VendorProfile): Promise<void> {
    const values = { profile: JSON.stringify(profile), updated_at: new Date().toISOString() };
    await this.#db.kysely
      .insertInto('crm_vendor_profiles')
      .values({ tenant_id: tenantId, ...values })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
      .execute();
    this.#cache.delete(tenantId);
  }
}

/** A stored profile; one stored before intent policies existed gets the default. */
function storedProfile(text: string): VendorProfile {
  const profile = JSON.parse(text) as VendorProfile;
  return profile.intentPolicy ? profile : { ...profile, intentPolicy: defaultIntentPolicy() };
}

/**
 * `GET {vendor}`: who the vendor is, what it accepts and asks for, how it answers intentcasts and the
 * categories of its catalogue, and its ledger.
 */
export function vendorDocument(
  profile: VendorProfile,
  vendor: Party,
  ledger: { origin: string; vkey: string },
  categories: string[] = [],
) {
  return {
    did: vendor.did,
    name: profile.name,
    controller: profile.controller,
    policy: profile.policy,
    request: profile.request,
    publications: profile.publications,
    intentPolicy: profile.intentPolicy,
    categories,
    ledger: { origin: ledger.origin, vkey: ledger.vkey },
  };
}
