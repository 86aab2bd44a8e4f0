import type { Random } from '../seed/random.js';
import type { SelfcareEventKind } from './selfcare.js';

/**
 * Synthetic self-care sessions for the seeded telco (seed/telco.ts): about a quarter of users have one to three
 * sessions in the last 30 days. Most succeed; the others are wasted by a slow page, a form error, an abandoned
 * form, or end without success; some of the wasted ones come shortly before one of her calls, chats or emails
 * (placed 10 to 100 minutes before a contact the seed already made, so no other data changes). Draws come
 * from the caller's own Random, so the rest of the seed is untouched.
 */
const PAGES: readonly (readonly [string, boolean, number])[] = [
  // page, has a form, weight
  ['/usage', false, 25],
  ['/billing/invoice', false, 20],
  ['/topup', true, 15],
  ['/plan/change', true, 15],
  ['/profile/contact', true, 10],
  ['/support/troubleshoot', false, 15],
];
const OUTCOMES = [
  ['success', 60],
  ['slow-page', 10],
  ['form-error', 10],
  ['abandoned-form', 12],
  ['no-success', 8],
] as const;
const FORM_ERRORS = ['card declined', 'address not recognised', 'session expired', 'plan not available'];

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export interface SeedSelfcareInput {
  accountId: string;
  users: readonly string[];
  /** Contacts the seed made (party, channel, start in ms). */
  contacts: readonly { partyId: string; channel: string; at: number }[];
  nowMs: number;
  tenantId: string;
  iso: (ms: number) => string;
}

export function seedSelfcareSessions(
  random: Random,
  input: SeedSelfcareInput,
  sink: (row: Record<string, unknown>) => void,
): void {
  const { accountId, nowMs, iso } = input;
  let k = 0;
  for (const partyId of input.users) {
    if (!random.chance(0.25)) continue;
    const sessions = random.int(1, 3);
    const followable = input.contacts.filter(
      (c) =>
        c.partyId === partyId &&
        ['phone', 'chat', 'email'].includes(c.channel) &&
        c.at > nowMs - 30 * DAY &&
        c.at < nowMs,
    );
    for (let s = 0; s < sessions; s++) {
      const sessionId = `sc-${accountId}-${k++}`;
      const [page, form] = random.weighted(PAGES.map((p) => [[p[0], p[1]] as const, p[2]] as const));
      let outcome: (typeof OUTCOMES)[number][0] = random.weighted(OUTCOMES);
      if (!form && (outcome === 'form-error' || outcome === 'abandoned-form')) outcome = 'no-success';
      const before = followable.length > 0 && outcome !== 'success' && random.chance(0.5);
      const anchor = before ? random.pick(followable) : undefined;
      const end = anchor
        ? anchor.at - random.int(10, 100) * MINUTE
        : nowMs - random.int(30 * MINUTE, 30 * DAY);
      const events: {
        kind: SelfcareEventKind;
        page: string;
        offset: number;
        loadMs?: number;
        detail?: string;
      }[] = [];
      let t = 0;
      const add = (kind: SelfcareEventKind, at: string, extra: { loadMs?: number; detail?: string } = {}) => {
        events.push({ kind, page: at, offset: t, ...extra });
        t += random.int(5, 60) * 1000;
      };
      add('page_view', '/home');
      add('page_load', '/home', { loadMs: random.int(300, 1500) });
      add('page_view', page);
      add('page_load', page, {
        loadMs: outcome === 'slow-page' ? random.int(3500, 12_000) : random.int(300, 2200),
      });
      if (outcome === 'slow-page') add('abandon', page);
      else if (form) {
        add('form_start', page);
        if (outcome === 'abandoned-form') add('abandon', page);
        else {
          add('form_submit', page);
          if (outcome === 'form-error') {
            add('form_error', page, { detail: random.pick(FORM_ERRORS) });
            if (random.chance(0.5)) add('abandon', page);
          } else if (outcome === 'success') add('success', page);
        }
      } else if (outcome === 'success') add('success', page);
      add('session_end', page);
      const start = end - t;
      events.forEach((e, i) =>
        sink({
          tenant_id: input.tenantId,
          id: `${sessionId}:${i}`,
          party_id: partyId,
          account_id: accountId,
          session_id: sessionId,
          occurred_at: iso(start + e.offset),
          kind: e.kind,
          page: e.page,
          load_ms: e.loadMs ?? null,
          detail: e.detail ?? null,
          created_at: iso(start + e.offset),
        }),
      );
    }
  }
}
