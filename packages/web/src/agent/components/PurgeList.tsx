import { fieldLabel, formatTime } from '../labels';
import type { Relationship } from '../types';

const HOUR = 3_600_000;

function lateness(ms: number): string {
  if (ms < HOUR) return 'on time';
  const hours = Math.round(ms / HOUR);
  return hours < 48 ? `${hours} h late` : `${Math.round(hours / 24)} days late`;
}

/** The vendor's signed receipts of what it deleted when its retention period ended. */
export function PurgeList({ relationship }: { relationship: Relationship }) {
  const purges = relationship.purges ?? [];
  if (purges.length === 0) return null;
  return (
    <table data-testid="purges">
      <caption>Deleted by {relationship.vendor.name} when the retention period ended</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Fields</th>
          <th scope="col">Deadline</th>
          <th scope="col">Receipt</th>
        </tr>
      </thead>
      <tbody>
        {purges.map((p) => (
          <tr key={p.id} data-testid="purge" title={p.summary}>
            <td>{formatTime(p.purgedAt)}</td>
            <td>{p.fields.map(fieldLabel).join(', ')}</td>
            <td>
              {formatTime(p.dueAt)} ({lateness(p.lateByMs)})
            </td>
            <td>
              {p.receiptVerified ? 'signed, in ledger' : 'not verified'} #{p.ledgerIndex}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
