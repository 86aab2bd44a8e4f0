import { canonicalize, type DataSchema } from '@parley/protocol';
import type { Doc } from './records.js';

/**
 * How the data of an agreement lands on the TMF632 individual it is bound to: `givenName` and `familyName`
 * as the individual's names; fields of type email, phone and postal-address as contact media; other fields
 * only in crm_agreement_data. The individual names the agreement: its DID as an external reference and a
 * `parleyAgreement` characteristic {agreementId, did, status}.
 */

export const NAME_FIELDS = ['givenName', 'familyName'] as const;

export interface Medium {
  mediumType: string;
  characteristic: Record<string, unknown>;
  [member: string]: unknown;
}

/** What crm_agreement_data holds for a field: the value and what it displaced when first written. */
export interface HeldValue {
  field: string;
  value: unknown;
  /** Names: the vendor's own value before the agreement wrote one. Media: the same medium existed already. */
  replaced: { value?: string; existing?: boolean } | null;
  /** Provenance: the event that carried the value, and when it was received. */
  eventId?: string;
  receivedAt?: string;
}

const MEDIUM_TYPES: Record<string, (value: unknown) => Medium> = {
  email: (v) => ({ mediumType: 'email', characteristic: { emailAddress: v } }),
  phone: (v) => ({ mediumType: 'phone', characteristic: { phoneNumber: v } }),
  'postal-address': (v) => ({ mediumType: 'postalAddress', characteristic: { ...(v as object) } }),
};

/** The contact medium a value of this field type becomes on the individual (undefined: it stays off it). */
export function mediumOf(type: string, value: unknown): Medium | undefined {
  return MEDIUM_TYPES[type]?.(value);
}

const isName = (name: string): name is (typeof NAME_FIELDS)[number] =>
  (NAME_FIELDS as readonly string[]).includes(name);

export const sameMedium = (a: Medium, b: Medium) =>
  a.mediumType === b.mediumType && canonicalize(a.characteristic ?? {}) === canonicalize(b.characteristic);

const media = (doc: Doc): Medium[] =>
  Array.isArray(doc.contactMedium) ? [...(doc.contactMedium as Medium[])] : [];

function withMedia(doc: Doc, list: Medium[]): Doc {
  const { contactMedium: _old, ...rest } = doc;
  return list.length > 0 ? { ...rest, contactMedium: list } : rest;
}

/** The individual a new agreement creates: no data yet (it arrives in events), linked to the DID. */
export function newIndividual(did: string, agreementId: string): Doc {
  return linkIndividual(
    { '@type': 'Individual', givenName: '', familyName: '', status: 'initialized' },
    did,
    agreementId,
  );
}

/** Adds the agreement's DID and characteristic to an individual (a new one, or the customer invited). */
export function linkIndividual(doc: Doc, did: string, agreementId: string): Doc {
  const references = Array.isArray(doc.externalReference) ? (doc.externalReference as Doc[]) : [];
  const characteristics = Array.isArray(doc.partyCharacteristic) ? (doc.partyCharacteristic as Doc[]) : [];
  return {
    ...doc,
    externalReference: [
      ...references.filter((r) => !(r.externalReferenceType === 'did' && r.name === did)),
      { externalReferenceType: 'did', name: did },
    ],
    partyCharacteristic: [
      ...characteristics,
      { name: 'parleyAgreement', valueType: 'object', value: { agreementId, did, status: 'active' } },
    ],
  };
}

/** Marks the agreement's characteristic terminated. */
export function markTerminated(doc: Doc, agreementId: string): Doc {
  const characteristics = Array.isArray(doc.partyCharacteristic) ? (doc.partyCharacteristic as Doc[]) : [];
  return {
    ...doc,
    partyCharacteristic: characteristics.map((c) =>
      c.name === 'parleyAgreement' && (c.value as Doc | undefined)?.agreementId === agreementId
        ? { ...c, value: { ...(c.value as Doc), status: 'terminated' } }
        : c,
    ),
  };
}

/**
 * The individual after a dataEvent's values, and what each value displaced (kept for destruction): a name
 * replaces the current one (remembering the vendor's own at the first write); a contact medium replaces the
 * one this agreement wrote before, and is not added twice when the same medium is already there.
 */
export function applyValues(
  doc: Doc,
  schema: DataSchema,
  values: Record<string, unknown>,
  held: ReadonlyMap<string, HeldValue>,
): { doc: Doc; replaced: Map<string, HeldValue['replaced']> } {
  let next: Doc = { ...doc };
  const replaced = new Map<string, HeldValue['replaced']>();
  const types = new Map(schema.fields.map((f) => [f.name, f.type]));
  for (const [field, value] of Object.entries(values)) {
    const before = held.get(field);
    const type = types.get(field) ?? 'string';
    if (isName(field) && type === 'string') {
      const current = typeof next[field] === 'string' ? (next[field] as string) : '';
      replaced.set(field, before ? before.replaced : current ? { value: current } : null);
      next[field] = value;
      continue;
    }
    const toMedium = MEDIUM_TYPES[type];
    if (!toMedium) {
      replaced.set(field, null);
      continue;
    }
    let list = media(next);
    if (before && !before.replaced?.existing) {
      const old = toMedium(before.value);
      const at = list.findIndex((m) => sameMedium(m, old));
      if (at >= 0) list.splice(at, 1);
    }
    const medium = toMedium(value);
    const existing = list.some((m) => sameMedium(m, medium));
    if (!existing) list = [medium, ...list];
    replaced.set(field, existing ? { existing: true } : null);
    next = withMedia(next, list);
  }
  return { doc: next, replaced };
}

/**
 * The individual without what the agreement wrote: names it set go back to the vendor's own (or blank), the
 * contact media it added are removed; what the vendor entered itself stays.
 */
export function removeValues(doc: Doc, schema: DataSchema, held: readonly HeldValue[]): Doc {
  let next: Doc = { ...doc };
  const types = new Map(schema.fields.map((f) => [f.name, f.type]));
  for (const h of held) {
    const type = types.get(h.field) ?? 'string';
    if (isName(h.field) && type === 'string') {
      if (next[h.field] === h.value) next[h.field] = h.replaced?.value ?? '';
      continue;
    }
    const toMedium = MEDIUM_TYPES[type];
    if (!toMedium || h.replaced?.existing) continue;
    const medium = toMedium(h.value);
    next = withMedia(
      next,
      media(next).filter((m) => !sameMedium(m, medium)),
    );
  }
  return next;
}
