import type { RecentEvent, Relationship } from '../types';
import { EventTable } from './EventTable';

interface Props {
  events: RecentEvent[] | null;
  relationships: Relationship[] | null;
}

/** The last events across vendors, newest first (GET /events?limit=50). */
export function RecentEvents({ events, relationships }: Props) {
  if (events === null) return <p className="muted">Loading…</p>;
  const names = new Map((relationships ?? []).map((r) => [r.id, r.vendor.name]));
  return (
    <EventTable
      events={events}
      caption="The last 50 events, newest first"
      vendorOf={(e) => e.vendor ?? (e.relationshipId ? names.get(e.relationshipId) : undefined) ?? ''}
      testId="recent-events"
    />
  );
}
