import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError, type AgentApi } from './api';
import type { Change } from './types';

export const POLL_INTERVAL_MS = 2000;

export interface ChangeTracker {
  /** Every change this page follows, by id, as last seen. */
  changes: Record<string, Change>;
  /** Ids of the changes that were still unconfirmed when the page opened, oldest first. */
  earlier: string[];
  track(change: Change): void;
  retry(): Promise<void>;
  retrying: boolean;
  error: string | null;
}

function isPending(change: Change): boolean {
  return change.deliveries.some((d) => d.status === 'pending');
}

/**
 * A followed change that is no longer in GET /changes?status=unconfirmed has no unconfirmed delivery left:
 * every vendor acknowledged it.
 */
function merge(previous: Record<string, Change>, unconfirmed: Change[]): Record<string, Change> {
  const next: Record<string, Change> = {};
  for (const [id, change] of Object.entries(previous)) {
    next[id] = {
      ...change,
      deliveries: change.deliveries.map((d) => {
        if (d.status === 'acknowledged') return d;
        const { lastError: _lastError, nextAttemptAt: _nextAttemptAt, ...rest } = d;
        return { ...rest, status: 'acknowledged' as const };
      }),
    };
  }
  for (const change of unconfirmed) next[change.id] = change;
  return next;
}

/**
 * Follows the deliveries of her changes: polls GET /changes?status=unconfirmed every two seconds while any
 * delivery is pending, and calls `onAcknowledged` when more deliveries are acknowledged than before.
 */
export function useChangeTracker(api: AgentApi | null, onAcknowledged: () => void): ChangeTracker {
  const [changes, setChanges] = useState<Record<string, Change>>({});
  const [earlier, setEarlier] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [retrying, setRetrying] = useState(false);
  const [polls, setPolls] = useState(0);

  const poll = useCallback(async () => {
    if (!api) return;
    try {
      const unconfirmed = await api.unconfirmedChanges();
      setChanges((previous) => merge(previous, unconfirmed));
      setError(null);
    } catch (e) {
      setError(`Could not refresh the deliveries: ${describeError(e)}`);
    } finally {
      setPolls((n) => n + 1);
    }
  }, [api]);

  // What was still on its way when the page opened.
  useEffect(() => {
    if (!api) return;
    let cancelled = false;
    api.unconfirmedChanges().then(
      (unconfirmed) => {
        if (cancelled) return;
        setChanges((previous) => merge(previous, unconfirmed));
        setEarlier(unconfirmed.map((c) => c.id));
      },
      (e: unknown) => !cancelled && setError(`Could not read the deliveries: ${describeError(e)}`),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const pending = Object.values(changes).some(isPending);
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
    return () => clearTimeout(timer);
  }, [pending, polls, poll]);

  const acknowledged = Object.values(changes).reduce(
    (n, c) => n + c.deliveries.filter((d) => d.status === 'acknowledged').length,
    0,
  );
  // Only a new acknowledgement is news, not a new callback: the callback is read through a ref.
  const onAcknowledgedRef = useRef(onAcknowledged);
  useEffect(() => {
    onAcknowledgedRef.current = onAcknowledged;
  }, [onAcknowledged]);
  useEffect(() => {
    if (acknowledged > 0) onAcknowledgedRef.current();
  }, [acknowledged]);

  const track = useCallback((change: Change) => {
    setChanges((previous) => ({ ...previous, [change.id]: change }));
  }, []);

  const retry = useCallback(async () => {
    if (!api) return;
    setRetrying(true);
    try {
      await api.retry();
      await poll();
    } catch (e) {
      setError(`Retry failed: ${describeError(e)}`);
    } finally {
      setRetrying(false);
    }
  }, [api, poll]);

  return { changes, earlier, track, retry, retrying, error };
}
