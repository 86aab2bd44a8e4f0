import { useId, useState, type FormEvent } from 'react';
import { describeError, type AgentApi } from '../api';
import type { ChangeTracker } from '../useChangeTracker';
import type { DataDisposition, Relationship } from '../types';
import { ChangeStatus } from './ChangeStatus';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  relationship: Relationship;
  tracker: ChangeTracker;
}

/** Ends the relationship; the vendor returns or destroys what it holds, as she chooses. Asks once more. */
export function TerminationForm({ api, relationship, tracker }: Props) {
  const id = useId();
  const [disposition, setDisposition] = useState<DataDisposition>('destroy');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [changeId, setChangeId] = useState<string | null>(null);
  const change = changeId ? tracker.changes[changeId] : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!confirming) {
      setConfirming(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await api.terminate(relationship.id, disposition);
      tracker.track(answer);
      setChangeId(answer.id);
      setConfirming(false);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const ended = relationship.status === 'terminated';
  return (
    <form onSubmit={submit} data-testid="termination-form">
      <fieldset disabled={ended || relationship.status !== 'active'}>
        <legend>End the relationship with {relationship.vendor.name}</legend>
        <div className="checks" role="radiogroup" aria-labelledby={`${id}-fate`}>
          <span id={`${id}-fate`}>What happens to your data:</span>
          <label>
            <input
              type="radio"
              name={`${id}-disposition`}
              value="return"
              checked={disposition === 'return'}
              onChange={() => setDisposition('return')}
            />{' '}
            return it to me
          </label>
          <label>
            <input
              type="radio"
              name={`${id}-disposition`}
              value="destroy"
              checked={disposition === 'destroy'}
              onChange={() => setDisposition('destroy')}
            />{' '}
            destroy it
          </label>
        </div>
        {confirming ? (
          <p role="alert" className="warning">
            End the relationship with {relationship.vendor.name} and have it{' '}
            {disposition === 'return' ? 'return' : 'destroy'} your data? This cannot be undone.
          </p>
        ) : null}
        <div className="buttons">
          <button
            type="submit"
            className="danger"
            disabled={busy}
            data-testid={confirming ? 'confirm-end' : 'end-relationship'}
          >
            {confirming ? (busy ? 'Ending…' : 'Yes, end it') : 'End relationship'}
          </button>
          {confirming ? (
            <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </button>
          ) : null}
        </div>
      </fieldset>
      <ErrorMessage message={error} />
      {change ? (
        <ChangeStatus
          change={change}
          onRetry={() => void tracker.retry()}
          retrying={tracker.retrying}
          testId="termination-change"
        />
      ) : null}
    </form>
  );
}
