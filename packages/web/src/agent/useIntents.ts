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

/**
 * Her intents, and their answers as they arrive. While one is open, GET /intents is read every two seconds,
 * cheaply: one request at a time (the next is timed from the end of the last), none while the tab is hidden,
 * and an unchanged answer leaves the page as it is.
 */
export function useIntents(api: AgentApi | null): IntentsState {
  const [intents, setIntents] = useState<Intent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [polls, setPolls] = useState(0);
  const [visible, setVisible] = useState(() => document.visibilityState !== 'hidden');
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
    } finally {
      setPolls((n) => n + 1);
    }
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);

  const following = (intents ?? []).some((i) => awaitsAnswers(i));
  useEffect(() => {
    if (!following || !visible) return;
    const timer = setTimeout(() => void reload(), INTENT_POLL_MS);
    return () => clearTimeout(timer);
  }, [following, visible, polls, reload]);

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
