import { DELIVERY_STATUS_LABELS, formatTime } from '../labels';
import type { Change } from '../types';

interface Props {
  change: Change;
  onRetry: () => void;
  retrying: boolean;
  /** The container's data-testid; rows inside are `delivery-{vendor}`, status cells `delivery-status-{vendor}`. */
  testId: string;
}

const KIND_LABELS: Record<Change['kind'], string> = {
  profile: 'Details changed',
  policies: 'Policies changed',
  permissions: 'Permissions changed',
  feedback: 'Feedback sent',
  termination: 'Relationship ended',
};

/** One change she made, vendor by vendor: who acknowledged it, who has not yet, and why. */
export function ChangeStatus({ change, onRetry, retrying, testId }: Props) {
  const unconfirmed = change.deliveries.filter((d) => d.status !== 'acknowledged');
  const pending = change.deliveries.some((d) => d.status === 'pending');
  return (
    <div className="change" data-testid={testId} data-change-id={change.id}>
      <p className="change-title">
        <strong>{KIND_LABELS[change.kind] ?? change.kind}</strong>
        {change.summary ? `: ${change.summary}` : ''}{' '}
        <span className="muted">({formatTime(change.createdAt)})</span>
      </p>
      {change.deliveries.length === 0 ? (
        <p className="muted">No vendor is concerned by this change.</p>
      ) : (
        <table>
          <caption className="visually-hidden">Delivery to each vendor</caption>
          <thead>
            <tr>
              <th scope="col">Vendor</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Next attempt</th>
            </tr>
          </thead>
          <tbody>
            {change.deliveries.map((d) => (
              <tr key={`${d.relationshipId}:${d.eventId ?? ''}`} data-testid={`delivery-${d.vendor}`}>
                <th scope="row">{d.vendor}</th>
                <td
                  className={`status status-${d.status}`}
                  data-testid={`delivery-status-${d.vendor}`}
                  data-status={d.status}
                >
                  {DELIVERY_STATUS_LABELS[d.status] ?? d.status}
                  {d.status === 'acknowledged' && d.acknowledgedAt ? (
                    <span className="muted"> {formatTime(d.acknowledgedAt)}</span>
                  ) : null}
                </td>
                <td>{d.attempts}</td>
                <td>{d.lastError ?? ''}</td>
                <td>{d.status === 'pending' ? formatTime(d.nextAttemptAt) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {change.deliveries.length > 0 ? (
        <p data-testid="change-unconfirmed" aria-live="polite">
          {unconfirmed.length === 0
            ? 'Confirmed by every vendor.'
            : `Not yet confirmed by: ${unconfirmed.map((d) => d.vendor).join(', ')}.`}
        </p>
      ) : null}
      {unconfirmed.length > 0 ? (
        <button type="button" onClick={onRetry} disabled={retrying} data-testid="retry-now">
          {retrying ? 'Retrying…' : 'Retry now'}
        </button>
      ) : null}
      {pending ? <p className="muted">Checking again every two seconds.</p> : null}
    </div>
  );
}
