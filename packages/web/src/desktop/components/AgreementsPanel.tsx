import roster from 'virtual:parley-roster';
import { PATHS } from '../api';
import { useDesktop } from '../desktop';
import { dateTime, purposeLabel } from '../format';
import { useLoad } from '../hooks';
import type { AgreementReport, Permission, ProvenanceItem } from '../types';
import { ErrorMessage, Loading, NotAvailable } from './Messages';

const PERMISSION_TEXT: Record<string, string> = {
  yes: 'may',
  no: 'may not',
  'anonymised-only': 'only anonymised',
};

const termsOf = (codeOrId: string) => roster.find((t) => t.code === codeOrId || t.id === codeOrId);

/** What the terms let the vendor do, purpose by purpose (the roster's permission matrix). */
function TermsMatrix({ code }: { code: string }) {
  const terms = termsOf(code);
  if (!terms) return <p className="muted">These terms are not in the roster this desktop knows.</p>;
  const entries = Object.entries(terms.permissions) as [string, Permission][];
  return (
    <table className="matrix" data-testid={`terms-matrix-${terms.code}`}>
      <caption>
        Under {terms.code} ({terms.title}) the vendor…
      </caption>
      <thead>
        <tr>
          <th scope="col">Purpose</th>
          <th scope="col">With her data</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([purpose, p]) => (
          <tr key={purpose} data-permission={p}>
            <th scope="row">{purposeLabel(purpose)}</th>
            <td className={`perm perm-${p}`}>{PERMISSION_TEXT[p] ?? p}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AgreementCard({ report }: { report: AgreementReport }) {
  const a = report.agreement;
  const terms = termsOf(a.terms.code);
  const permissions = a.permissions;
  const consents = permissions?.consents ?? [];
  const channels = permissions?.channels ?? [];
  const subscriptions = (permissions?.subscriptions ?? []).filter((s) => s.subscribed);
  return (
    <article className="card agreement" data-testid={`agreement-${a.id}`} data-status={a.status}>
      <header>
        <h3>
          {a.terms.code}: {terms?.title ?? a.terms.title}
        </h3>
        <span className={`badge badge-${a.status}`} data-testid="agreement-status">
          {a.status}
        </span>
      </header>
      {terms && <p className="help">{terms.summary}</p>}
      <dl>
        <dt>Signed</dt>
        <dd>{dateTime(a.effectiveAt)}</dd>
        {a.terminatedAt && (
          <>
            <dt>Ended</dt>
            <dd>{dateTime(a.terminatedAt)}</dd>
          </>
        )}
        <dt>Purposes agreed</dt>
        <dd data-testid="agreement-purposes">
          {(a.purposes ?? []).map(purposeLabel).join(', ') || 'none named'}
        </dd>
        <dt>Retention</dt>
        <dd>
          {a.retentionDays ? `${a.retentionDays} days from receipt` : 'for as long as the relationship lasts'}
        </dd>
        <dt>Onward sharing</dt>
        <dd>{a.onwardSharing?.allowed ? 'allowed under a BISA, within the terms' : 'not allowed'}</dd>
        {consents.length > 0 && (
          <>
            <dt>Consents</dt>
            <dd>
              {consents
                .map((c) => `${purposeLabel(c.purpose)}: ${c.granted ? 'given' : 'withdrawn'}`)
                .join('; ')}
            </dd>
          </>
        )}
        {channels.length > 0 && (
          <>
            <dt>Contact channels</dt>
            <dd>{channels.map((c) => `${c.channel} ${c.allowed ? 'allowed' : 'not allowed'}`).join('; ')}</dd>
          </>
        )}
        {(permissions?.policies ?? []).length > 0 && (
          <>
            <dt>Her policies</dt>
            <dd data-testid="agreement-policies">{(permissions?.policies ?? []).join(', ')}</dd>
          </>
        )}
        {subscriptions.length > 0 && (
          <>
            <dt>Subscribed to</dt>
            <dd>{subscriptions.map((s) => `${s.publication} (${s.channels.join(', ')})`).join('; ')}</dd>
          </>
        )}
      </dl>
      <TermsMatrix code={a.terms.code} />
    </article>
  );
}

function ProvenanceTable({ items }: { items: ProvenanceItem[] }) {
  return (
    <table data-testid="provenance">
      <caption>What the CRM holds about her, and what each item may serve now</caption>
      <thead>
        <tr>
          <th scope="col">Item</th>
          <th scope="col">From</th>
          <th scope="col">May serve now</th>
          <th scope="col">Kept until</th>
          <th scope="col">To third parties</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item, i) => (
          <tr key={`${item.field}-${i}`} data-testid="provenance-item" data-source={item.source}>
            <th scope="row">{item.field}</th>
            <td>
              {item.source === 'agreement'
                ? `her agreement (${item.terms ?? ''})`
                : "the vendor's own records"}
            </td>
            <td>{item.purposes.map(purposeLabel).join(', ') || <strong>nothing</strong>}</td>
            <td>{item.retentionUntil ? dateTime(item.retentionUntil) : '—'}</td>
            <td>{item.onwardSharing === 'anonymised-only' ? 'anonymised only' : item.onwardSharing}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The agreements a customer signed and their terms, so that an agent sees what may and may not be done with her
 * data: each agreement (terms, purposes, retention, onward sharing, consents, channels, policies) with the
 * roster's permission matrix, and per item held the purposes it may serve now (provenance).
 */
export function AgreementsPanel({ partyId, individual }: { partyId: string; individual: boolean }) {
  const { api, caps } = useDesktop();
  const hasCompliance = caps.has(PATHS.compliance);
  const hasProvenance = caps.has(PATHS.provenance) && individual;
  const compliance = useLoad(
    () => (hasCompliance ? api.compliance(partyId) : undefined),
    [api, partyId, hasCompliance],
  );
  const provenance = useLoad(
    () => (hasProvenance ? api.provenance(partyId) : undefined),
    [api, partyId, hasProvenance],
  );
  const agreements = compliance.data?.agreements ?? [];
  const active = agreements.filter((r) => r.agreement.status === 'active');
  return (
    <section aria-labelledby="agreements-heading" data-testid="agreements">
      <h2 id="agreements-heading">Agreements and terms</h2>
      {!hasCompliance && (
        <NotAvailable what="Agreements" endpoint={PATHS.compliance} testId="agreements-not-available" />
      )}
      <ErrorMessage message={compliance.error} testId="agreements-error" />
      {hasCompliance && !compliance.data && !compliance.error && <Loading what="her agreements" />}
      {compliance.data && (
        <>
          <p data-testid="agreements-summary">
            {agreements.length === 0
              ? "No agreement with her: only the vendor's own records, for its own service delivery and analytics."
              : `${agreements.length} agreement${agreements.length === 1 ? '' : 's'}, ${active.length} in force.`}
          </p>
          <div className="cards">
            {agreements.map((r) => (
              <AgreementCard key={r.agreement.id} report={r} />
            ))}
          </div>
        </>
      )}
      <ErrorMessage message={provenance.error} testId="provenance-error" />
      {provenance.data && <ProvenanceTable items={provenance.data.items} />}
    </section>
  );
}
