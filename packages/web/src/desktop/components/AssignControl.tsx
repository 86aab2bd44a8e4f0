import { useState, type FormEvent } from 'react';
import { describeError, PATHS } from '../api';
import { useDesktop } from '../desktop';
import { useLoad } from '../hooks';
import type { TroubleTicket } from '../types';
import { ErrorMessage, NotAvailable } from './Messages';

/** Who works the ticket: a desk agent from the CRM's list (or a name typed when it has none). */
export function AssignControl({ ticket, onAssigned }: { ticket: TroubleTicket; onAssigned: () => void }) {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.assignment);
  const agents = useLoad(
    () => (available && caps.has(PATHS.deskAgents) ? api.deskAgents() : undefined),
    [api, caps, available],
  );
  const current = typeof ticket.assignee === 'string' ? ticket.assignee : '';
  const [assignee, setAssignee] = useState(current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!assignee) return;
    setBusy(true);
    setError(null);
    try {
      await api.assign(ticket.id, assignee);
      const name = agents.data?.find((a) => a.id === assignee)?.name ?? assignee;
      setDone(`Assigned to ${name}.`);
      onAssigned();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="assign-heading" data-testid="assign">
      <h2 id="assign-heading">Assignment</h2>
      {!available ? (
        <NotAvailable what="Assignment" endpoint={PATHS.assignment} testId="assign-not-available" />
      ) : (
        <form className="inline-form" onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor="assignee">Assign to</label>
            {agents.data ? (
              <select
                id="assignee"
                value={assignee}
                onChange={(e) => setAssignee(e.target.value)}
                data-testid="assignee"
              >
                <option value="">Choose a desk agent</option>
                {agents.data.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name ?? a.id}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id="assignee"
                value={assignee}
                onChange={(e) => setAssignee(e.target.value)}
                data-testid="assignee"
              />
            )}
          </div>
          <button type="submit" disabled={busy || !assignee} data-testid="assign-submit">
            Assign
          </button>
          {current && <p className="help">Now: {current}</p>}
          <p role="status" className="ok" data-testid="assign-done">
            {done}
          </p>
          <ErrorMessage message={error ?? agents.error} testId="assign-error" />
        </form>
      )}
    </section>
  );
}
