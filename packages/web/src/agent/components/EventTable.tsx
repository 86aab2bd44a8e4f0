import { DELIVERY_STATUS_LABELS, formatTime } from '../labels';
import type { RecentEvent } from '../types';

interface Props {
  events: RecentEvent[];
  caption: string;
  /** Show which vendor each event went to (the events across vendors). */
  vendorOf?: (event: RecentEvent) => string;
  testId: string;
}

const KIND_LABELS: Record<string, string> = {
  data: 'data shared',
  permissions: 'permissions',
  feedback: 'feedback',
  termination: 'termination',
};

/** Events on the chains: what was sent, whether the vendor acknowledged it, and its verified ledger receipt. */
export function EventTable({ events, caption, vendorOf, testId }: Props) {
  if (events.length === 0) {
    return (
      <p className="muted" data-testid={testId}>
        No events yet.
      </p>
    );
  }
  return (
    <table data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          {vendorOf ? <th scope="col">Vendor</th> : null}
          <th scope="col">Event</th>
          <th scope="col">Acknowledgement</th>
          <th scope="col">Ledger index</th>
          <th scope="col">Receipt</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => {
          const status = e.status ?? (e.acknowledgedAt ? 'acknowledged' : undefined);
          return (
            <tr key={`${e.relationshipId ?? ''}:${e.eventId}`} data-testid={`event-${e.eventId}`}>
              <td>{formatTime(e.createdAt)}</td>
              {vendorOf ? <td>{vendorOf(e)}</td> : null}
              <td>{KIND_LABELS[e.kind] ?? e.kind}</td>
              <td className={status ? `status status-${status}` : 'status'} data-status={status}>
                {status ? DELIVERY_STATUS_LABELS[status] : ''}
                {status === 'acknowledged' && e.acknowledgedAt ? (
                  <span className="muted"> {formatTime(e.acknowledgedAt)}</span>
                ) : null}
              </td>
              <td>{e.ledgerIndex ?? ''}</td>
              <td data-testid="receipt-verified" data-verified={e.receiptVerified ? 'true' : 'false'}>
                {e.receiptVerified ? (
                  <span className="verified" title="The vendor's ledger receipt was verified">
                    ✓ verified
                  </span>
                ) : e.ledgerIndex !== undefined ? (
                  'not verified'
                ) : (
                  ''
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
