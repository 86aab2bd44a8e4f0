import type { Policy, Purpose } from '@parley/protocol';

/** What each global policy withholds, as consents the terms can express. */
export const POLICY_WITHHOLDS: Record<Policy, Purpose[]> = {
  DoNotTrack: ['Tracking', 'Profiling'],
  NoThirdPartyMail: ['ThirdPartySharing'],
  SurveysWithAnswerBack: [],
};

export const POLICY_TITLES: Record<Policy, string> = {
  NoThirdPartyMail: 'No third-party mail, on any channel',
  DoNotTrack: 'Do Not Track: no tracking, no profiling',
  SurveysWithAnswerBack: 'Surveys only with a way to send feedback back',
};

export function withheldPurposes(policies: readonly Policy[]): Set<Purpose> {
  return new Set(policies.flatMap((p) => POLICY_WITHHOLDS[p]));
}

/** The consents a permission change carries for a set of policies: every withheld purpose, refused. */
export function policyConsents(policies: readonly Policy[]): { purpose: Purpose; granted: boolean }[] {
  return [...withheldPurposes(policies)].sort().map((purpose) => ({ purpose, granted: false }));
}
