import { PURPOSES, permits, resolveTermsRef, type Purpose } from '@parley/protocol';
import { INDIVIDUAL } from '../party/party.js';
import { heldValues, purgeAt } from '../agreement/data-event.js';
import { mediumOf, NAME_FIELDS, sameMedium, type Medium } from '../agreement/individual.js';
import { readResource, type Doc } from '../agreement/records.js';
import { activeAgreementsOf, type AgreementRow, type VendorContext } from '../agreement/vendor.js';
import { judge, OWN_DATA_PURPOSES } from './purpose.js';

/** Members of a TMF632 Individual that are personal data when the vendor sets them itself. */
const PERSONAL_MEMBERS = [
  'givenName',
  'familyName',
  'middleName',
  'fullName',
  'formattedName',
  'preferredGivenName',
  'birthDate',
  'placeOfBirth',
  'countryOfBirth',
  'nationality',
  'gender',
  'maritalStatus',
  'title',
];

export interface ProvenanceItem {
  /** The agreement's field name, or where on the party record the item is (`contactMedium[1]`, `birthDate`). */
  field: string;
  source: 'agreement' | 'vendor';
  agreementId: string | null;
  terms: string | null;
  /** The event that delivered it (agreement data). */
  eventId: string | null;
  receivedAt: string | null;
  /** The purposes it may serve now: terms, purposes agreed, consents and policies in force. */
  purposes: Purpose[];
  /** When it must be gone (received + the agreement's retention); null: no retention period. */
  retentionUntil: string | null;
  /** Whether it may go to a third party: no, yes, or fully anonymised only. */
  onwardSharing: 'no' | 'yes' | 'anonymised-only';
  /** Where it shows on the party record, when it does. */
  onRecord: string | null;
}

/** The purposes data held under this agreement may serve now. */
export function purposesNow(row: AgreementRow): Purpose[] {
  return PURPOSES.filter((purpose) => {
    if (purpose === 'Marketing')
      return row.permissions.subscriptions.some((s) => s.subscribed && s.channels.length > 0);
    const kind = purpose === 'ThirdPartySharing' ? 'share' : 'export';
    return judge({ kind, purpose }, [row]).included;
  });
}

function onwardOf(row: AgreementRow): ProvenanceItem['onwardSharing'] {
  if (!row.agreement.onwardSharing.allowed) return 'no';
  const p = permits(resolveTermsRef(row.agreement.terms, 'agreement.terms'), 'ThirdPartySharing');
  return p === 'anonymised-only' ? 'anonymised-only' : p === 'yes' ? 'yes' : 'no';
}

const media = (doc: Doc): Medium[] =>
  Array.isArray(doc.contactMedium) ? (doc.contactMedium as Medium[]) : [];

/**
 * Every personal data item the CRM holds about an individual, with its provenance: the values received
 * under each agreement in force (from crm_agreement_data: agreement, event, time; what they may serve now,
 * retention, onward sharing) and what is on the party record that no agreement put there (entered by the
 * vendor itself: its own service delivery and analytics only).
 */
export async function provenanceOf(ctx: VendorContext, tenantId: string, partyId: string) {
  const db = ctx.db.kysely;
  const doc = await readResource(db, INDIVIDUAL, tenantId, partyId);
  if (!doc) return undefined;
  const agreements = (await activeAgreementsOf(db, tenantId, [partyId])).get(partyId) ?? [];
  const items: ProvenanceItem[] = [];
  const fromAgreements = new Set<string>();
  const mediaFromAgreements: Medium[] = [];
  for (const row of agreements) {
    const terms = resolveTermsRef(row.agreement.terms, 'agreement.terms');
    const purposes = purposesNow(row);
    const types = new Map(row.agreement.schema.fields.map((f) => [f.name, f.type]));
    for (const h of await heldValues(db, tenantId, row.id)) {
      const type = types.get(h.field) ?? 'string';
      const medium = mediumOf(type, h.value);
      let onRecord: string | null = null;
      if ((NAME_FIELDS as readonly string[]).includes(h.field) && doc[h.field] === h.value) {
        onRecord = h.field;
        fromAgreements.add(h.field);
      } else if (medium) {
        const at = media(doc).findIndex((m) => sameMedium(m, medium));
        if (at >= 0) {
          onRecord = `contactMedium[${at}]`;
          if (!h.replaced?.existing) mediaFromAgreements.push(medium);
        }
      }
      items.push({
        field: h.field,
        source: 'agreement',
        agreementId: row.id,
        terms: terms.code,
        eventId: h.eventId ?? null,
        receivedAt: h.receivedAt ?? null,
        purposes,
        retentionUntil: h.receivedAt ? purgeAt(row, h.receivedAt) : null,
        onwardSharing: onwardOf(row),
        onRecord,
      });
    }
  }
  const own = (field: string): ProvenanceItem => ({
    field,
    source: 'vendor',
    agreementId: null,
    terms: null,
    eventId: null,
    receivedAt: null,
    purposes: [...OWN_DATA_PURPOSES],
    retentionUntil: null,
    onwardSharing: 'no',
    onRecord: field,
  });
  for (const member of PERSONAL_MEMBERS) {
    const value = doc[member];
    if (value === undefined || value === null || value === '' || fromAgreements.has(member)) continue;
    items.push(own(member));
  }
  media(doc).forEach((m, i) => {
    if (!mediaFromAgreements.some((a) => sameMedium(a, m))) items.push(own(`contactMedium[${i}]`));
  });
  return { partyId, agreements: agreements.map((a) => a.id), items };
}
