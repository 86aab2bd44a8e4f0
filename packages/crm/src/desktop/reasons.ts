/**
 * Why a customer gets in touch, as an IVR menu, a chat topic or a ticket type names it, brought onto one small
 * list the ranking learns on. Free-text reasons (interactions, ticket types) map onto it by keywords.
 */
export const REASONS = [
  {
    id: 'no-signal',
    label: 'No signal',
    description: 'No service, no coverage, calls or data do not connect',
  },
  {
    id: 'slow-data',
    label: 'Slow or unstable data',
    description: 'Data works badly: slow, dropping, high latency',
  },
  {
    id: 'bill-question',
    label: 'Bill question',
    description: 'A charge, an invoice, the amount of the bill',
  },
  { id: 'plan-change', label: 'Plan change', description: 'Change, upgrade or add to a plan; offers' },
  { id: 'cancel', label: 'Cancel', description: 'Wants to leave, cancel or port out' },
  { id: 'device', label: 'Device', description: 'The phone, router or SIM does not work' },
  { id: 'account', label: 'Account and details', description: 'Address, contact details, access, top-up' },
  { id: 'other', label: 'Other', description: 'Anything else' },
] as const;
export type ReasonId = (typeof REASONS)[number]['id'];
export const REASON_IDS = REASONS.map((r) => r.id) as ReasonId[];

const KEYWORDS: [ReasonId, RegExp][] = [
  ['cancel', /cancel|terminat|leave|port.?out|churn/i],
  ['no-signal', /no.?signal|coverage|outage|no data|not register|no service|connectivity|no connection/i],
  ['slow-data', /slow|latency|drop|unstable|speed|throughput|buffer/i],
  ['bill-question', /bill|invoice|charge|payment|refund|price|roaming/i],
  ['plan-change', /plan|upgrade|offer|tariff|bundle/i],
  ['device', /device|phone does|router|sim|handset/i],
  ['account', /address|contact details|password|login|top.?up|data usage|details/i],
];

/** The reason a free text (an interaction's reason, a ticket's type or name) is about. */
export function reasonOf(text: string | null | undefined): ReasonId {
  if (!text) return 'other';
  if ((REASON_IDS as string[]).includes(text)) return text as ReasonId;
  for (const [id, pattern] of KEYWORDS) if (pattern.test(text)) return id;
  return 'other';
}
