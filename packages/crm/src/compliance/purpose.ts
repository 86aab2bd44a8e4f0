import { permits, resolveTermsRef, type Channel, type Purpose } from '@parley/protocol';
import type { AgreementRow } from '../agreement/vendor.js';

/**
 * Whether a declared use may take a person's data, decided from what she agreed and what is in force now:
 * the terms' permission matrix, the purposes agreed, her consents, channels and subscriptions, and her
 * global policies. Pure rules; uses.ts applies them to every party a use considers.
 */

export const USE_KINDS = ['campaign', 'segment', 'export', 'share'] as const;
export type UseKind = (typeof USE_KINDS)[number];

export interface UseDeclaration {
  kind: UseKind;
  purpose: Purpose;
  /** campaign: the channel it contacts people on. */
  channel?: Channel;
  /** campaign: the publication it sends, which a subscription consents to. */
  publication?: string;
  /** campaign: sent for a third party (its mail); share: always. */
  thirdParty?: boolean;
}

export const EXCLUSIONS = {
  'terms-forbid': 'the terms of her agreement do not permit this purpose',
  'not-agreed': 'the purpose is not among those agreed',
  'consent-withdrawn': 'she withdrew her consent to this purpose',
  'no-consent': 'no current consent to be contacted on this channel (permission marketing)',
  'channel-refused': 'she refused contact on this channel',
  'do-not-track': 'her DoNotTrack policy forbids tracking and profiling (segments included)',
  'no-third-party-mail': 'her NoThirdPartyMail policy keeps her data from third parties',
  'no-agreement': 'data the vendor entered itself: no agreement or consent covers this purpose',
} as const;
export type Exclusion = keyof typeof EXCLUSIONS;

/** Purposes a vendor may use its own records for without an agreement (delivering and analysing its service). */
export const OWN_DATA_PURPOSES: readonly Purpose[] = ['ServiceDelivery', 'ServiceAnalytics'];

export interface Judgement {
  included: boolean;
  /** The agreement the decision rests on (the first that excludes, else the first that allows). */
  agreementId: string | null;
  reason?: Exclusion;
  /** Included, but only fully anonymised (terms that share anonymised data only). */
  anonymisedOnly?: boolean;
}

/** Checks a declaration is coherent before any party is considered; returns the field and problem, or null. */
export function declarationProblem(use: UseDeclaration): { field: string; detail: string } | null {
  if (use.kind === 'campaign') {
    if (use.purpose !== 'Marketing')
      return { field: 'body.purpose', detail: 'a campaign is for Marketing: declare that purpose' };
    if (!use.channel) return { field: 'body.channel', detail: 'a campaign names the channel it contacts on' };
  } else if (use.channel || use.publication) {
    return { field: 'body.channel', detail: 'only a campaign names a channel or publication' };
  }
  if (use.kind === 'share' && use.purpose !== 'ThirdPartySharing')
    return { field: 'body.purpose', detail: 'a share to a third party is for ThirdPartySharing' };
  return null;
}

/** One agreement's answer to the use. */
function judgeUnder(use: UseDeclaration, row: AgreementRow): Judgement {
  const out = (reason: Exclusion): Judgement => ({ included: false, agreementId: row.id, reason });
  const { permissions, agreement } = row;
  const policies = permissions.policies ?? [];
  const thirdParty = use.kind === 'share' || use.thirdParty === true;
  if (
    policies.includes('DoNotTrack') &&
    (use.kind === 'segment' || use.purpose === 'Tracking' || use.purpose === 'Profiling')
  )
    return out('do-not-track');
  if (policies.includes('NoThirdPartyMail') && thirdParty) return out('no-third-party-mail');
  if (use.kind === 'campaign') {
    const refused = permissions.channels.find((c) => c.channel === use.channel && !c.allowed);
    if (refused) return out('channel-refused');
    const subscribed = permissions.subscriptions.some(
      (s) =>
        s.subscribed &&
        (use.publication === undefined || s.publication === use.publication) &&
        s.channels.includes(use.channel as Channel),
    );
    const consented = permissions.consents.some((c) => c.purpose === 'Marketing' && c.granted);
    if (!subscribed && !consented) return out('no-consent');
    return { included: true, agreementId: row.id };
  }
  const terms = resolveTermsRef(agreement.terms, 'agreement.terms');
  const permission = permits(terms, use.purpose);
  if (permission === 'no') return out('terms-forbid');
  if (thirdParty && !agreement.onwardSharing.allowed) return out('terms-forbid');
  if (use.purpose !== 'ServiceDelivery' && !agreement.purposes.includes(use.purpose))
    return out('not-agreed');
  if (permissions.consents.some((c) => c.purpose === use.purpose && !c.granted))
    return out('consent-withdrawn');
  return {
    included: true,
    agreementId: row.id,
    ...(permission === 'anonymised-only' ? { anonymisedOnly: true } : {}),
  };
}

/**
 * The decision for one party: under every agreement in force with her (the strictest wins: one that
 * excludes her excludes her); without one, the vendor's own records serve its own service delivery and
 * analytics only, and nobody is contacted or shared without a consent on record.
 */
export function judge(use: UseDeclaration, agreements: readonly AgreementRow[]): Judgement {
  if (agreements.length === 0) {
    const own = use.kind !== 'campaign' && use.kind !== 'share' && !use.thirdParty;
    if (own && OWN_DATA_PURPOSES.includes(use.purpose)) return { included: true, agreementId: null };
    return {
      included: false,
      agreementId: null,
      reason: use.kind === 'campaign' ? 'no-consent' : 'no-agreement',
    };
  }
  let allowed: Judgement | undefined;
  for (const row of agreements) {
    const j = judgeUnder(use, row);
    if (!j.included) return j;
    allowed = allowed?.anonymisedOnly ? allowed : j;
  }
  return allowed as Judgement;
}
