import { useMemo, useState } from 'react';
import { PATHS } from '../api';
import { useDesktop } from '../desktop';
import { useLoad, useNow, usePoll } from '../hooks';
import { ticketHref } from '../route';
import type { QueueTicket, QueueWarning } from '../types';
import { ErrorMessage, Loading } from './Messages';
import { slaState, SlaTimer } from './SlaTimer';
import { TicketLoadChart } from './TicketLoadChart';

export const CHANNELS = ['phone', 'email', 'chat', 'social', 'selfcare', 'agent'];

export function warningText(w: QueueWarning): string {
  const text = typeof w === 'string' ? w : (w.title ?? w.detail ?? w.kind ?? 'warning');
  return /^[a-z]+(-[a-z]+)+$/.test(text) ? text.replace(/-/g, ' ') : text;
}

/**
 * The queue of open tickets, soonest resolution due first, each with its SLA timer counting down and its
 * warnings; breaches and near-breaches counted at the top. Filters by channel and assignee (on the server when
 * it takes them, else here on what the queue says).
 */
export function QueueScreen() {
  const { api, caps } = useDesktop();
  const [channel, setChannel] = useState('');
  const [assignee, setAssignee] = useState('');
  const serverChannel = caps.takes(PATHS.queue, 'channel');
  const serverAssignee = caps.takes(PATHS.queue, 'assignee');
  const queue = useLoad(
    () =>
      api.queue({
        ...(serverChannel && channel ? { channel } : {}),
        ...(serverAssignee && assignee ? { assignee } : {}),
      }),
    [api, channel, assignee, serverChannel, serverAssignee],
  );
  const agents = useLoad(() => (caps.has(PATHS.deskAgents) ? api.deskAgents() : undefined), [api, caps]);
  usePoll(() => void queue.reload(), 30_000, true);
  const now = useNow();

  const tickets = useMemo(() => {
    let list: QueueTicket[] = queue.data ?? [];
    if (channel && !serverChannel) list = list.filter((t) => t.channel === channel);
    if (assignee && !serverAssignee)
      list = list.filter((t) => (assignee === 'none' ? !t.assignee : t.assignee === assignee));
    return list;
  }, [queue.data, channel, assignee, serverChannel, serverAssignee]);
  const hasChannel = (queue.data ?? []).some((t) => t.channel !== undefined) || serverChannel;
  const hasAssignee = (queue.data ?? []).some((t) => t.assignee !== undefined) || serverAssignee;
  const counts = { breached: 0, soon: 0 };
  for (const t of tickets) {
    const { state } = slaState(t.slaClock, now);
    if (state === 'breached') counts.breached += 1;
    if (state === 'soon') counts.soon += 1;
  }
  const assigneeNames = [
    ...new Set([
      ...(agents.data ?? []).map((a) => a.id),
      ...(queue.data ?? []).map((t) => t.assignee).filter((a): a is string => Boolean(a)),
    ]),
  ];
  const agentName = (id: string) => agents.data?.find((a) => a.id === id)?.name ?? id;

  return (
    <>
      <h1>Ticket queue</h1>
      <form className="filters" aria-label="Filter the queue" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="filter-channel">Channel</label>
          <select
            id="filter-channel"
            value={channel}
            onChange={(e) => setChannel(e.target.value)}
            disabled={!hasChannel}
            data-testid="filter-channel"
          >
            <option value="">Every channel</option>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-assignee">Assignee</label>
          <select
            id="filter-assignee"
            value={assignee}
            onChange={(e) => setAssignee(e.target.value)}
            disabled={!hasAssignee}
            data-testid="filter-assignee"
          >
            <option value="">Anyone</option>
            <option value="none">Unassigned</option>
            {assigneeNames.map((a) => (
              <option key={a} value={a}>
                {agentName(a)}
              </option>
            ))}
          </select>
        </div>
        {!hasChannel && !hasAssignee && queue.data && (
          <p className="help">This CRM's queue does not say channel or assignee yet: no filters.</p>
        )}
      </form>
      <ErrorMessage message={queue.error} testId="queue-error" />
      {!queue.data && !queue.error && <Loading what="the queue" />}
      {queue.data && (
        <>
          <p className="summary" data-testid="queue-summary" aria-live="polite">
            <strong>{tickets.length}</strong> open tickets ·{' '}
            <span className="sla-breached">{counts.breached} breached</span> ·{' '}
            <span className="sla-soon">{counts.soon} breach within the hour</span>
          </p>
          <table data-testid="queue">
            <caption className="visually-hidden">Open tickets, soonest due first</caption>
            <thead>
              <tr>
                <th scope="col">Ticket</th>
                <th scope="col">Priority</th>
                <th scope="col">Status</th>
                {hasChannel && <th scope="col">Channel</th>}
                {hasAssignee && <th scope="col">Assignee</th>}
                <th scope="col">Resolution due</th>
                <th scope="col">Warnings</th>
              </tr>
            </thead>
            <tbody>
              {tickets.map((t) => {
                const state = slaState(t.slaClock, now).state;
                return (
                  <tr
                    key={t.id}
                    data-testid={`queue-row-${t.id}`}
                    data-sla={state}
                    className={`row-${state}`}
                  >
                    <td>
                      <a href={ticketHref(t.id)} data-testid="open-ticket">
                        {t.description ?? t.id}
                      </a>
                      <div className="muted small">{t.id}</div>
                    </td>
                    <td>{t.priority ?? ''}</td>
                    <td>{t.status}</td>
                    {hasChannel && <td>{t.channel ?? ''}</td>}
                    {hasAssignee && <td>{t.assignee ? agentName(t.assignee) : <em>unassigned</em>}</td>}
                    <td>
                      <SlaTimer clock={t.slaClock} now={now} />
                    </td>
                    <td>
                      {(t.warnings ?? []).length > 0 ? (
                        <ul className="warnings">
                          {(t.warnings ?? []).map((w, i) => (
                            <li key={i}>{warningText(w)}</li>
                          ))}
                        </ul>
                      ) : t.slaClock.escalationLevel > 0 ? (
                        <span className="warning">escalated (level {t.slaClock.escalationLevel})</span>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {tickets.length === 0 && <p data-testid="queue-empty">No open tickets match.</p>}
        </>
      )}
      <TicketLoadChart />
    </>
  );
}
