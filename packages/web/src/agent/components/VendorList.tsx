import type { AgentApi } from '../api';
import type { ChangeTracker } from '../useChangeTracker';
import type { Relationship } from '../types';
import { VendorRow } from './VendorRow';

interface Props {
  api: AgentApi;
  relationships: Relationship[] | null;
  tracker: ChangeTracker;
  onUpdated: () => void;
}

/** Every relationship she has, active ones first. */
export function VendorList({ api, relationships, tracker, onUpdated }: Props) {
  if (relationships === null) return <p className="muted">Loading…</p>;
  if (relationships.length === 0) {
    return <p data-testid="no-vendors">No vendors yet: connect to one below.</p>;
  }
  const order = { active: 0, countered: 1, refused: 2, terminated: 3 } as const;
  const sorted = [...relationships].sort(
    (a, b) => (order[a.status] ?? 9) - (order[b.status] ?? 9) || a.vendor.name.localeCompare(b.vendor.name),
  );
  return (
    <div className="vendors" data-testid="vendor-list">
      {sorted.map((r) => (
        <VendorRow key={r.id} api={api} relationship={r} tracker={tracker} onUpdated={onUpdated} />
      ))}
    </div>
  );
}
