import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError, type AgentApi } from './api';
import type { Intent } from './types';

export const INTENT_POLL_MS = 2000;

export interface IntentsState {
  /** Her intentcasts, newest first (null until the first answer). */
  intents: Intent[] | null;
  error: string | null;
  /** Whether answers may still arrive (some intent is open and unexpired), so the list is being refreshed. */
  following: boolean;
  reload(): Promise<void>;
  /** Puts an intent the agent just returned (created, accepted, withdrawn) in the list at once. */
  upsert(intent: Intent): void;
}

/**
 * Whether answers can still come for this intent: pushed vendors that decide later, and vendors that follow
 * her feed, answer while it is open and until it expires.
 */
export function awaitsAnswers(intent: Intent, now = Date.now()): boolean {
  return intent.status === 'open' && Date.parse(intent.validUntil) > now;
}

function merge(list: Intent[], intent: Intent): Intent[] {
  const rest = list.filter((i) => i.id !== intent.id);
  return [intent, ...rest].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The next moment something she sees runs out (an open intent or an open offer), if any. */
function nextExpiry(intents: Intent[], now: number): number | undefined {
  let next: number | undefined;
  const consider = (iso: string) => {
    const t = Date.parse(iso);
    if (t > now && (next === undefined || t < next)) next = t;
  };
  for (const i of intents) {
    if (i.status !== 'open') continue;
    consider(i.validUntil);
    for (const a of i.answers) if (a.offer?.status === 'open') consider(a.offer.validUntil);
  }
  return next;
}

/**
 * Her intents, and their answers as they arrive. While one is open, GET /intents is read every two seconds,
 * cheaply: one request at a time (the next is timed from the end of the last), none while the tab is hidden,
 * and an unchanged answer leaves the page as it is (no state changes, no re-render). When an intent or an
 * offer runs out, and when she comes back to the tab, the list is read once more.
 */
export function useIntents(api: AgentApi | null): IntentsState {
  const [intents, setIntents] = useState<Intent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [visible, setVisible] = useState(() => document.visibilityState !== 'hidden');
  // Bumped when something expires, so that `following` is computed again.
  const [, setExpired] = useState(0);
  const last = useRef<string>('');
  // Bumped by upsert: a list read before it may be older than what the agent answered since.
  const epoch = useRef(0);

  const reload = useCallback(async () => {
    if (!api) return;
    const started = epoch.current;
    try {
      const next = await api.intents();
      if (started !== epoch.current) return;
      const text = JSON.stringify(next);
      if (text !== last.current) {
        last.current = text;
        setIntents(next);
      }
      setError(null);
    } catch (e) {
      setError(`Could not read your intents: ${describeError(e)}`);
    }
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    // Back on the tab: read once (an intent sent from elsewhere, answers that came meanwhile).
    const onChange = () => {
      const now = document.visibilityState !== 'hidden';
      setVisible(now);
      if (now) void reload();
    };
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, [reload]);

  const following = (intents ?? []).some((i) => awaitsAnswers(i));
  useEffect(() => {
    if (!following || !visible) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      await reload();
      if (!stopped) timer = setTimeout(() => void tick(), INTENT_POLL_MS);
    };
    timer = setTimeout(() => void tick(), INTENT_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [following, visible, reload]);

  // The next expiry: read the list again then (the agent says "expired"), and stop following if nothing is open.
  useEffect(() => {
    const at = nextExpiry(intents ?? [], Date.now());
    if (at === undefined) return;
    const timer = setTimeout(
      () => {
        setExpired((n) => n + 1);
        void reload();
      },
      Math.min(at - Date.now() + 50, 2 ** 31 - 1),
    );
    return () => clearTimeout(timer);
  }, [intents, reload]);

  const upsert = useCallback((intent: Intent) => {
    epoch.current += 1;
    setIntents((previous) => {
      const next = merge(previous ?? [], intent);
      last.current = JSON.stringify(next);
      return next;
    });
  }, []);

  return { intents, error, following, reload, upsert };
}
