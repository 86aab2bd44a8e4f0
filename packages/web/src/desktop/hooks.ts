import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from './api';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Runs `load` when `deps` change (and on `reload()`); keeps the last data while a reload runs. `load` returning
 * undefined means "nothing to load" (an endpoint the server lacks, say). An answer that arrives after the deps
 * changed again is dropped.
 */
export function useLoad<T>(load: () => Promise<T> | undefined, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const generation = useRef(0);
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    const pending = run();
    if (!pending) {
      setLoading(false);
      return;
    }
    setLoading(true);
    try {
      const next = await pending;
      if (mine !== generation.current) return;
      setData(next);
      setError(null);
    } catch (e) {
      if (mine !== generation.current) return;
      setError(describeError(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [run]);
  useEffect(() => {
    setData(null);
    setError(null);
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}

/** The time now, ticking every `everyMs` (SLA timers count down with it). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Calls `tick` every `everyMs` while `active` and the tab is visible. */
export function usePoll(tick: () => void, everyMs: number, active: boolean): void {
  const latest = useRef(tick);
  useEffect(() => {
    latest.current = tick;
  }, [tick]);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
}
