import { sha256Hex } from '../crypto/hash.js';
import { AgreementError } from '../errors.js';

/**
 * The roster of standard terms a person proffers from (IEEE 7012-2025, "MyTerms", named by the W3C DPV
 * identifiers under https://w3id.org/dpv/standards/p7012#, plus Customer Commons #NoStalking and Parley's own
 * time-limited terms). Each entry pins a version and the SHA-256 of the text the parties agree to, so an
 * agreement names exactly one text. The texts here are Parley's plain-language renderings of each roster
 * entry; the `uri` names the published definition.
 */
export const P7012 = 'https://w3id.org/dpv/standards/p7012#';
export const DPV = 'https://w3id.org/dpv#';

/** The uses of data a term permits or forbids; every use of data in Parley declares one of these. */
export const PURPOSES = [
  'ServiceDelivery',
  'ServiceAnalytics',
  'Tracking',
  'Profiling',
  'ThirdPartySharing',
  'Marketing',
  'IntentResponse',
  'AITraining',
  'PublicGood',
] as const;
export type Purpose = (typeof PURPOSES)[number];

/** yes, no, or (third-party sharing only) fully anonymised data only. */
export type Permission = 'yes' | 'no' | 'anonymised-only';

export interface TermsEntry {
  /** DPV IRI (or Customer Commons / Parley URI): the identifier an agreement carries. */
  id: string;
  /** Short roster code, e.g. SD-BASE. */
  code: string;
  /** Other names for the same terms (DPV 2.1 `SD-BY-*` names, plain-language names). */
  aliases: string[];
  version: string;
  uri: string;
  title: string;
  summary: string;
  text: string;
  sha256: string;
  family: 'service-delivery' | 'personal-data-contribution' | 'person-to-person' | 'advertising';
  permissions: Record<Purpose, Permission>;
  dataPortability: boolean;
  /** Longest retention the terms allow, in days; undefined = for as long as the relationship lasts. */
  maxRetentionDays?: number;
}

/** How an agreement refers to terms: enough to fetch them and check the text is the one agreed. */
export interface TermsRef {
  id: string;
  version: string;
  uri: string;
  sha256: string;
}

const NONE: Record<Purpose, Permission> = {
  ServiceDelivery: 'no',
  ServiceAnalytics: 'no',
  Tracking: 'no',
  Profiling: 'no',
  ThirdPartySharing: 'no',
  Marketing: 'no',
  IntentResponse: 'no',
  AITraining: 'no',
  PublicGood: 'no',
};

const SD_COMMON =
  'The organisation (the second party) may use the personal data the person shares under these terms to deliver ' +
  'the service the person asked for. No third party may analyse, track or profile the person with this data.';

interface ServiceDeliveryShape {
  code: string;
  analytics: boolean;
  tracking: boolean;
  profiling: boolean;
  share: 'no' | 'anonymised-only';
  portability: boolean;
}

function serviceDelivery(s: ServiceDeliveryShape): Omit<TermsEntry, 'sha256'> {
  const allowed: string[] = [];
  const forbidden: string[] = [];
  (s.analytics ? allowed : forbidden).push('analyse how the service is used');
  (s.tracking ? allowed : forbidden).push('track the person across its own sites and services');
  (s.profiling ? allowed : forbidden).push('build a profile of the person');
  const sharing =
    s.share === 'anonymised-only'
      ? 'It may share with third parties only data that has been fully anonymised.'
      : 'It may not share the data with any third party.';
  const portability = s.portability
    ? 'On request it returns the data to the person in a structured, machine-readable form.'
    : '';
  const text = [
    `${s.code} (IEEE 7012-2025 service delivery family).`,
    SD_COMMON,
    allowed.length ? `The organisation itself may also ${allowed.join(', ')}.` : '',
    forbidden.length ? `The organisation may not ${forbidden.join(', ')}.` : '',
    sharing,
    portability,
  ]
    .filter(Boolean)
    .join(' ');
  const extras = [s.analytics && 'analytics', s.tracking && 'tracking', s.profiling && 'profiling'].filter(
    Boolean,
  );
  return {
    id: P7012 + s.code,
    code: s.code,
    aliases: [
      s.code.replace(/^SD-BASE/, 'SD-BY'),
      ...(s.code === 'SD-BASE' ? ['service delivery only'] : []),
    ],
    version: 'IEEE 7012-2025; DPV 2.2',
    uri: P7012 + s.code,
    title: `Service delivery${extras.length ? ' with second-party ' + extras.join(', ') : ' only'}`,
    summary:
      `Data used to deliver the service${extras.length ? '; the organisation may also do ' + extras.join(', ') : ''}` +
      `${s.share === 'anonymised-only' ? '; anonymised data may be shared' : '; no sharing'}` +
      `${s.portability ? '; data portability owed' : ''}.`,
    text,
    family: 'service-delivery',
    permissions: {
      ...NONE,
      ServiceDelivery: 'yes',
      ServiceAnalytics: s.analytics ? 'yes' : 'no',
      Tracking: s.tracking ? 'yes' : 'no',
      Profiling: s.profiling ? 'yes' : 'no',
      ThirdPartySharing: s.share,
    },
    dataPortability: s.portability,
  };
}

const SD_SHAPES: ServiceDeliveryShape[] = [];
for (const [suffix, analytics, tracking, profiling, share] of [
  ['', false, false, false, 'no'],
  ['-A', true, false, false, 'no'],
  ['-AT', true, true, false, 'no'],
  ['-ATP', true, true, true, 'no'],
  ['-ATP-S3P', true, true, true, 'anonymised-only'],
] as const) {
  for (const portability of [false, true]) {
    SD_SHAPES.push({
      code: `SD-BASE${suffix}${portability ? '-DP' : ''}`,
      analytics,
      tracking,
      profiling,
      share,
      portability,
    });
  }
}

const OTHERS: Omit<TermsEntry, 'sha256'>[] = [
  {
    id: P7012 + 'PDC-INTENT',
    code: 'PDC-INTENT',
    aliases: ['intent only'],
    version: 'IEEE 7012-2025; DPV 2.2',
    uri: P7012 + 'PDC-INTENT',
    title: 'Intent only',
    summary:
      'An intentcast may be read and answered with an offer; nothing else, and nobody learns who asked.',
    text:
      'PDC-INTENT (IEEE 7012-2025 personal data contribution). The person contributes a statement of intent to buy. ' +
      'The organisation may read it and answer it with a decision and an offer. It may not use it for anything ' +
      'else, may not try to identify the person, and may not keep it after the intent expires.',
    family: 'personal-data-contribution',
    permissions: { ...NONE, IntentResponse: 'yes' },
    dataPortability: false,
  },
  {
    id: P7012 + 'PDC-AI',
    code: 'PDC-AI',
    aliases: [],
    version: 'IEEE 7012-2025; DPV 2.2',
    uri: P7012 + 'PDC-AI',
    title: 'Contribution to AI systems',
    summary: 'Data contributed once to train and operate AI systems; no other use, no sharing.',
    text:
      'PDC-AI (IEEE 7012-2025 personal data contribution). The person contributes the data to train and operate ' +
      'AI systems of the organisation. It may not be used for any other purpose nor shared with third parties.',
    family: 'personal-data-contribution',
    permissions: { ...NONE, AITraining: 'yes' },
    dataPortability: false,
  },
  {
    id: P7012 + 'PDC-GOOD',
    code: 'PDC-GOOD',
    aliases: [],
    version: 'IEEE 7012-2025; DPV 2.2',
    uri: P7012 + 'PDC-GOOD',
    title: 'Contribution to the public good',
    summary: 'Data contributed once for a public-good purpose; anonymised data may be shared.',
    text:
      'PDC-GOOD (IEEE 7012-2025 personal data contribution). The person contributes the data for a purpose of public ' +
      'good named in the agreement. Only fully anonymised data may be shared with third parties.',
    family: 'personal-data-contribution',
    permissions: { ...NONE, PublicGood: 'yes', ThirdPartySharing: 'anonymised-only' },
    dataPortability: false,
  },
  {
    id: P7012 + 'TPR',
    code: 'TPR',
    aliases: [],
    version: 'IEEE 7012-2025; DPV 2.2',
    uri: P7012 + 'TPR',
    title: 'Person to person',
    summary: 'An agreement between two individuals: data used only for their dealings, never shared.',
    text:
      'TPR (IEEE 7012-2025 person to person). Two individuals agree that data either shares with the other is used ' +
      'only for their dealings with each other and is shared with nobody.',
    family: 'person-to-person',
    permissions: { ...NONE, ServiceDelivery: 'yes' },
    dataPortability: false,
  },
  {
    id: P7012 + 'TPR-IDENTITY-REF',
    code: 'TPR-IDENTITY-REF',
    aliases: [],
    version: 'IEEE 7012-2025; DPV 2.2',
    uri: P7012 + 'TPR-IDENTITY-REF',
    title: 'Identity reference',
    summary: "One person vouches for another person's identity; the statement is used only for that.",
    text:
      'TPR-IDENTITY-REF (IEEE 7012-2025 person to person). One person vouches for the identity of another. The ' +
      'statement may be used only to establish that identity and is shared with nobody else.',
    family: 'person-to-person',
    permissions: { ...NONE, ServiceDelivery: 'yes' },
    dataPortability: false,
  },
  {
    id: 'https://customercommons.org/p2b1/',
    code: 'P2B1',
    aliases: ['#NoStalking', 'NoStalking'],
    version: 'Customer Commons P2B1 (beta)',
    uri: 'https://customercommons.org/p2b1/',
    title: '#NoStalking',
    summary: 'Just give me ads not based on tracking me.',
    text:
      'P2B1 #NoStalking (Customer Commons, person to business). The person allows the site or service to show ' +
      'advertising, provided the advertising is not based on tracking the person. The data the person shares ' +
      'may be used only to deliver the service; it may not be used to track or profile the person, nor be ' +
      'shared with or sold to any third party.',
    family: 'advertising',
    permissions: { ...NONE, ServiceDelivery: 'yes' },
    dataPortability: false,
  },
  {
    id: 'https://parley.dev/terms/2P-30D',
    code: '2P-30D',
    aliases: ['second-party use, 30 days'],
    version: '1',
    uri: 'https://parley.dev/terms/2P-30D/v1',
    title: 'Second-party use, 30 days',
    summary:
      'The organisation itself may use the data to serve and analyse; deleted after 30 days; no sharing.',
    text:
      '2P-30D (Parley, in the form of the IEEE 7012-2025 service delivery family). The organisation may use the data ' +
      'the person shares to deliver the service and to analyse its use, for no more than 30 days from receipt, ' +
      'after which it deletes the data and gives the person a signed receipt of the deletion. It may not track or ' +
      'profile the person and may not share the data with any third party.',
    family: 'service-delivery',
    permissions: { ...NONE, ServiceDelivery: 'yes', ServiceAnalytics: 'yes' },
    dataPortability: true,
    maxRetentionDays: 30,
  },
];

export const ROSTER: readonly TermsEntry[] = [...SD_SHAPES.map(serviceDelivery), ...OTHERS].map((entry) =>
  Object.freeze({ ...entry, sha256: sha256Hex(entry.text) }),
);

/** Finds an entry by id (IRI), code or alias, case-insensitively for codes and aliases. */
export function findTerms(name: string): TermsEntry | undefined {
  const lower = name.toLowerCase();
  return ROSTER.find(
    (t) =>
      t.id === name ||
      t.uri === name ||
      t.code.toLowerCase() === lower ||
      t.aliases.some((a) => a.toLowerCase() === lower),
  );
}

export function termsRef(entry: TermsEntry): TermsRef {
  return { id: entry.id, version: entry.version, uri: entry.uri, sha256: entry.sha256 };
}

/** Resolves a reference against the roster and checks version and text hash. */
export function resolveTermsRef(ref: unknown, field: string): TermsEntry {
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) {
    throw new AgreementError(field, 'expected a terms reference {id, version, uri, sha256}', 'type');
  }
  const r = ref as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!['id', 'version', 'uri', 'sha256'].includes(key))
      throw new AgreementError(`${field}.${key}`, 'is not allowed here', 'unknown');
  }
  const entry = typeof r.id === 'string' ? ROSTER.find((t) => t.id === r.id) : undefined;
  if (!entry) throw new AgreementError(`${field}.id`, 'is not in the terms roster', 'unknown-terms');
  if (r.version !== entry.version)
    throw new AgreementError(`${field}.version`, `expected "${entry.version}"`, 'version');
  if (r.uri !== entry.uri) throw new AgreementError(`${field}.uri`, `expected "${entry.uri}"`, 'uri');
  if (r.sha256 !== entry.sha256) {
    throw new AgreementError(`${field}.sha256`, 'does not match the SHA-256 of the roster text', 'text-hash');
  }
  return entry;
}

/** The permission matrix lookup: may data held under these terms be used for this purpose? */
export function permits(entry: TermsEntry, purpose: Purpose): Permission {
  return entry.permissions[purpose];
}
