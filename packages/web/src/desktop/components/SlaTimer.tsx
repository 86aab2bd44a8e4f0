import { duration } from '../format';
import type { SlaClock } from '../types';

/** Within this much of the resolution target, a ticket is about to breach. */
export const BREACH_SOON_SECONDS = 3600;

export type SlaState = 'ok' | 'soon' | 'breached' | 'stopped';

export function slaState(clock: SlaClock, now: number): { state: SlaState; secondsLeft: number } {
  const end = clock.resolvedAt ? Date.parse(clock.resolvedAt) : now;
  const secondsLeft = Math.round((Date.parse(clock.resolutionDue) - end) / 1000);
  if (clock.resolvedAt) return { state: 'stopped', secondsLeft };
  if (secondsLeft < 0) return { state: 'breached', secondsLeft };
  return { state: secondsLeft <= BREACH_SOON_SECONDS ? 'soon' : 'ok', secondsLeft };
}

/**
 * A ticket's resolution timer, counting down with `now`: time left, "breach soon" within the last hour, how
 * long ago it breached; the response target too when it was missed.
 */
export function SlaTimer({ clock, now }: { clock: SlaClock; now: number }) {
  const { state, secondsLeft } = slaState(clock, now);
  const text =
    state === 'stopped'
      ? 'resolved'
      : state === 'breached'
        ? `breached ${duration(secondsLeft)} ago`
        : `${duration(secondsLeft)} left`;
  return (
    <span
      className={`sla sla-${state}`}
      data-testid="sla-timer"
      data-state={state}
      title={`due ${clock.resolutionDue}`}
    >
      {state === 'breached' && <span aria-hidden="true">⚠ </span>}
      {state === 'soon' && <span aria-hidden="true">⏱ </span>}
      {text}
      {state === 'soon' && <span className="visually-hidden"> (breach soon)</span>}
      {clock.responseBreached && !clock.respondedAt && state !== 'breached' && (
        <span className="sla-note"> · response overdue</span>
      )}
    </span>
  );
}
