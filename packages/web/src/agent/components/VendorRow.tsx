import type { AgentApi } from '../api';
import {
  RELATIONSHIP_STATUS_LABELS,
  formatTime,
  purposeLabel,
  relationshipAnchor,
  retentionLabel,
} from '../labels';
import type { ChangeTracker } from '../useChangeTracker';
import type { Relationship } from '../types';
import { CounterOffer } from './CounterOffer';
import { DataDownloads } from './DataDownloads';
import { EventTable } from './EventTable';
import { FeedbackForm } from './FeedbackForm';
import { PermissionsEditor } from './PermissionsEditor';
import { PermissionsSummary } from './PermissionsSummary';
import { PurgeList } from './PurgeList';
import { VendorMessages } from './VendorMessages';
import { SharedFields } from './SharedFields';
import { TerminationForm } from './TerminationForm';

interface Props {
  api: AgentApi;
  relationship: Relationship;
  tracker: ChangeTracker;
  onUpdated: () => void;
}

/** One vendor: the terms she agreed to, what it holds about her, her permissions, the last events. */
export function VendorRow({ api, relationship: r, tracker, onUpdated }: Props) {
  const headingId = `vendor-${r.id}`;
  return (
    <article
      className={`vendor vendor-${r.status}`}
      id={relationshipAnchor(r.id)}
      aria-labelledby={headingId}
      data-testid={`vendor-${r.vendor.name}`}
    >
      <header>
        <h3 id={headingId}>{r.vendor.name}</h3>
        <span className={`badge badge-${r.status}`} data-testid="vendor-status" data-status={r.status}>
          {RELATIONSHIP_STATUS_LABELS[r.status] ?? r.status}
        </span>
        {r.unconfirmed > 0 ? (
          <span
            className="badge badge-unconfirmed"
            data-testid="vendor-unconfirmed"
            data-count={r.unconfirmed}
          >
            {r.unconfirmed} unconfirmed
          </span>
        ) : (
          <span className="muted" data-testid="vendor-unconfirmed" data-count={0}>
            all confirmed
          </span>
        )}
      </header>
      <dl className="terms">
        <dt>Vendor URL</dt>
        <dd className="url">{r.url}</dd>
        {r.agreement ? (
          <>
            <dt>Terms</dt>
            <dd data-testid="vendor-terms">
              <a href={r.agreement.terms.uri} target="_blank" rel="noreferrer">
                {r.agreement.terms.code}
              </a>{' '}
              {r.agreement.terms.title}
            </dd>
            <dt>Purposes</dt>
            <dd>{r.agreement.purposes.map(purposeLabel).join(', ') || 'none'}</dd>
            <dt>Retention</dt>
            <dd>{retentionLabel(r.agreement.retentionDays)}</dd>
            <dt>Since</dt>
            <dd>{formatTime(r.agreement.effectiveAt)}</dd>
          </>
        ) : null}
        {r.status === 'refused' && r.reason ? (
          <>
            <dt>Reason</dt>
            <dd>{r.reason}</dd>
          </>
        ) : null}
      </dl>
      {r.status === 'countered' ? <CounterOffer api={api} relationship={r} onDecided={onUpdated} /> : null}
      {r.agreement ? (
        <>
          <SharedFields relationship={r} />
          <PurgeList relationship={r} />
          <VendorMessages relationship={r} />
          <PermissionsSummary relationship={r} />
        </>
      ) : null}
      <EventTable events={r.lastEvents} caption="Last events" testId="vendor-events" />
      {r.agreement ? (
        <details>
          <summary data-testid="manage">
            {r.status === 'active'
              ? 'Manage permissions, feedback, data and the relationship'
              : 'Permissions, feedback and the end of the relationship'}
          </summary>
          <PermissionsEditor api={api} relationship={r} tracker={tracker} />
          <FeedbackForm api={api} relationship={r} tracker={tracker} />
          <DataDownloads api={api} relationship={r} />
          <TerminationForm api={api} relationship={r} tracker={tracker} />
        </details>
      ) : null}
    </article>
  );
}
