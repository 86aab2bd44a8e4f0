import { useState } from 'react';
import { describeError, PATHS } from '../api';
import { useDesktop } from '../desktop';
import { dateTime } from '../format';
import { useLoad, usePoll } from '../hooks';
import type { Alert, Fact, Reason } from '../types';
import { ErrorMessage, Loading, NotAvailable } from './Messages';

/** How often the context (and its alerts) is read again while a ticket is open. */
export const CONTEXT_POLL_MS = 15_000;

/** A first guess at the contact reason from a ticket's type or name; the agent can change it. */
export function guessReason(text: string, reasons: readonly Reason[]): string {
  const ids = reasons.map((r) => r.id);
  const rules: [string, RegExp][] = [
    ['no-signal', /coverage|connect|signal|register|outage|no data/i],
    ['slow-data', /slow|latency|speed|drop/i],
    ['bill-question', /bill|charge|invoice|payment/i],
    ['device', /device|phone does|sim|router/i],
    ['plan-change', /plan|upgrade|offer/i],
  ];
  const hit = rules.find(([id, re]) => ids.includes(id) && re.test(text));
  return hit?.[0] ?? ids[0] ?? 'other';
}

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as Record<string, number>;

function Alerts({ alerts }: { alerts: Alert[] }) {
  const sorted = [...alerts].sort(
    (a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3),
  );
  return (
    <div aria-live="polite" data-testid="context-alerts">
      {sorted.length > 0 && (
        <ul className="alerts">
          {sorted.map((a, i) => (
            <li
              key={`${a.kind}-${i}`}
              className={`alert alert-${a.severity}`}
              data-testid={`alert-${a.kind}`}
            >
              <strong>
                <span className="visually-hidden">{a.severity}: </span>
                {a.title}
              </strong>
              {a.detail && <span> {a.detail}</span>}
              {a.at && <span className="muted small"> · {dateTime(a.at)}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function FactItem({
  fact,
  rank,
  onResolved,
  resolvedId,
  canResolve,
}: {
  fact: Fact;
  rank: number;
  onResolved: (fact: Fact) => void;
  resolvedId: string | null;
  canResolve: boolean;
}) {
  const resolved = resolvedId === `${fact.type}:${fact.id}`;
  return (
    <li className="fact" data-testid="fact" data-fact-type={fact.type} data-fact-id={fact.id}>
      <div className="fact-head">
        <span className="fact-rank" aria-hidden="true">
          {rank}
        </span>
        <div>
          <p className="fact-title">
            <strong>{fact.title}</strong> <span className="fact-type">{fact.type}</span>
          </p>
          {fact.detail && <p className="fact-detail">{fact.detail}</p>}
          {fact.at && <p className="muted small">{dateTime(fact.at)}</p>}
        </div>
      </div>
      {(fact.why ?? []).length > 0 && (
        <div className="why">
          <span className="muted small">Why this is here:</span>
          <ul data-testid="fact-why">
            {(fact.why ?? []).map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {canResolve &&
        (resolved ? (
          <p className="ok small" data-testid="fact-resolved">
            Marked as what resolved this contact.
          </p>
        ) : (
          <button
            type="button"
            className="secondary small"
            onClick={() => onResolved(fact)}
            data-testid="resolve-fact"
          >
            This resolved it<span className="visually-hidden">: {fact.title}</span>
          </button>
        ))}
    </li>
  );
}

/**
 * The in-context panel: for this customer and contact reason, the facts that matter most (at most ten,
 * ranked, each with why it is there) and alerts pushed at the top; read again every 15 s while the ticket is
 * open. The agent marks the fact that resolved the contact (the ranking learns from it).
 */
export function ContextPanel({
  partyId,
  ticketId,
  ticketType,
}: {
  partyId: string;
  ticketId?: string;
  ticketType: string;
}) {
  const { api, caps } = useDesktop();
  const hasReasons = caps.has(PATHS.reasons);
  const hasContext = caps.has(PATHS.context);
  const canResolve = caps.has(PATHS.resolutions);
  const reasons = useLoad(() => (hasReasons ? api.reasons() : undefined), [api, hasReasons]);
  const [chosen, setChosen] = useState<string | null>(null);
  const reason = chosen ?? (reasons.data ? guessReason(ticketType, reasons.data) : null);
  const context = useLoad(
    () => (hasContext && reason ? api.context(partyId, reason, ticketId) : undefined),
    [api, hasContext, partyId, reason, ticketId],
  );
  usePoll(() => void context.reload(), CONTEXT_POLL_MS, Boolean(hasContext && reason));
  const [resolvedId, setResolvedId] = useState<string | null>(null);
  const [resolveError, setResolveError] = useState<string | null>(null);

  const resolve = async (fact: Fact) => {
    if (!reason) return;
    setResolveError(null);
    try {
      await api.resolution({
        partyId,
        reason,
        factType: fact.type,
        factId: fact.id,
        ...(ticketId ? { ticketId } : {}),
      });
      setResolvedId(`${fact.type}:${fact.id}`);
    } catch (e) {
      setResolveError(describeError(e));
    }
  };

  return (
    <section aria-labelledby="context-heading" className="context" data-testid="context-panel">
      <h2 id="context-heading">In context</h2>
      {!hasContext ? (
        <NotAvailable what="The in-context panel" endpoint={PATHS.context} testId="context-not-available" />
      ) : !hasReasons ? (
        <NotAvailable
          what="The list of contact reasons"
          endpoint={PATHS.reasons}
          testId="reasons-not-available"
        />
      ) : (
        <>
          <div className="field">
            <label htmlFor="contact-reason">Contact reason</label>
            <select
              id="contact-reason"
              value={reason ?? ''}
              onChange={(e) => setChosen(e.target.value)}
              data-testid="contact-reason"
              aria-describedby="contact-reason-help"
            >
              {(reasons.data ?? []).map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
            <p className="help" id="contact-reason-help">
              {reasons.data?.find((r) => r.id === reason)?.description ?? ''}
            </p>
          </div>
          <ErrorMessage message={reasons.error ?? context.error} testId="context-error" />
          {!context.data && !context.error && <Loading what="the context" />}
          {context.data && (
            <>
              <Alerts alerts={context.data.alerts} />
              <p className="muted small" data-testid="context-customer">
                {context.data.customer.name}
                {context.data.customer.status ? ` · ${context.data.customer.status}` : ''}
                {(context.data.customer.accounts ?? []).length > 0 &&
                  ` · ${(context.data.customer.accounts ?? []).map((a) => a.name).join(', ')}`}
              </p>
              <h3>The {context.data.facts.length} facts that matter for this contact</h3>
              {context.data.facts.length === 0 ? (
                <p data-testid="no-facts">Nothing stands out for this reason.</p>
              ) : (
                <ol className="facts" data-testid="facts">
                  {context.data.facts.map((f, i) => (
                    <FactItem
                      key={`${f.type}:${f.id}`}
                      fact={f}
                      rank={i + 1}
                      onResolved={(fact) => void resolve(fact)}
                      resolvedId={resolvedId}
                      canResolve={canResolve}
                    />
                  ))}
                </ol>
              )}
              <ErrorMessage message={resolveError} testId="resolve-error" />
              {context.data.tookMs !== undefined && (
                <p className="muted small">Ranked in {context.data.tookMs} ms; refreshed every 15 s.</p>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}
