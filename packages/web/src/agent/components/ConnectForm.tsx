import { useId, useState, type FormEvent } from 'react';
import { describeError, type AgentApi } from '../api';
import type { Relationship } from '../types';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  onConnected: (relationship: Relationship) => void;
}

function outcome(r: Relationship): string {
  switch (r.status) {
    case 'active':
      return `Connected to ${r.vendor.name}${r.agreement ? ` under ${r.agreement.terms.code} (${r.agreement.terms.title})` : ''}.`;
    case 'countered':
      return `${r.vendor.name} made a counter-offer: answer it in the vendors list.`;
    case 'refused':
      return `${r.vendor.name} refused your terms${r.reason ? `: ${r.reason}` : '.'}`;
    case 'terminated':
      return `The relationship with ${r.vendor.name} has ended.`;
  }
}

/** Connect to a vendor by its URL: the agent proffers her terms and answers with the relationship. */
export function ConnectForm({ api, onConnected }: Props) {
  const id = useId();
  const [url, setUrl] = useState('');
  const [invitation, setInvitation] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const relationship = await api.connect(url.trim(), invitation.trim() || undefined);
      setResult(outcome(relationship));
      setUrl('');
      setInvitation('');
      onConnected(relationship);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="connect-form">
      <div className="field">
        <label htmlFor={`${id}-url`}>Vendor URL</label>
        <input
          id={`${id}-url`}
          name="url"
          type="url"
          required
          placeholder="https://crm.example/parley/v1/vendors/…"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-invitation`}>Invitation code (optional)</label>
        <input
          id={`${id}-invitation`}
          name="invitation"
          autoComplete="off"
          value={invitation}
          onChange={(e) => setInvitation(e.target.value)}
          aria-describedby={`${id}-invitation-help`}
        />
        <p id={`${id}-invitation-help`} className="help">
          A code from the vendor's self-care links the relationship to your existing customer account.
        </p>
      </div>
      <button type="submit" disabled={busy} data-testid="connect">
        {busy ? 'Connecting…' : 'Connect'}
      </button>
      <ErrorMessage message={error} testId="connect-error" />
      {result ? (
        <p role="status" data-testid="connect-result">
          {result}
        </p>
      ) : null}
    </form>
  );
}
