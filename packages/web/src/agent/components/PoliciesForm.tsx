import { useState, type FormEvent } from 'react';
import { describeError, type AgentApi } from '../api';
import { POLICY_LABELS } from '../labels';
import type { ChangeTracker } from '../useChangeTracker';
import { POLICIES, type Policy } from '../types';
import { ChangeStatus } from './ChangeStatus';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  policies: Policy[];
  tracker: ChangeTracker;
  onSaved: () => void;
}

/** Her global policies, applied to every relationship at once. */
export function PoliciesForm({ api, policies, tracker, onSaved }: Props) {
  const [chosen, setChosen] = useState<Set<Policy>>(() => new Set(policies));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [changeId, setChangeId] = useState<string | null>(null);
  const change = changeId ? tracker.changes[changeId] : undefined;

  function toggle(policy: Policy, on: boolean) {
    const next = new Set(chosen);
    if (on) next.add(policy);
    else next.delete(policy);
    setChosen(next);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.setPolicies(POLICIES.filter((p) => chosen.has(p)));
      tracker.track(answer);
      setChangeId(answer.id);
      onSaved();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="policies-form">
      <fieldset>
        <legend>Apply to every vendor</legend>
        {POLICIES.map((policy) => (
          <label key={policy} className="check">
            <input
              type="checkbox"
              name={policy}
              checked={chosen.has(policy)}
              onChange={(e) => toggle(policy, e.target.checked)}
              data-testid={`policy-${policy}`}
            />{' '}
            {POLICY_LABELS[policy]}
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={busy} data-testid="save-policies">
        {busy ? 'Saving…' : 'Save policies'}
      </button>
      <ErrorMessage message={error} />
      {change ? (
        <ChangeStatus
          change={change}
          onRetry={() => void tracker.retry()}
          retrying={tracker.retrying}
          testId="policies-change"
        />
      ) : null}
    </form>
  );
}
