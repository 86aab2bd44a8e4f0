import { useState } from 'react';
import { describeError, type AgentApi } from '../api';
import { purposeLabel } from '../labels';
import type { Relationship } from '../types';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  relationship: Relationship;
  onDecided: (relationship: Relationship) => void;
}

/** The vendor's one counter-offer: its terms, the purposes they are for, its reason; she accepts or rejects. */
export function CounterOffer({ api, relationship, onDecided }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const counter = relationship.counter;
  if (!counter) return null;

  async function decide(accept: boolean) {
    setBusy(true);
    setError(null);
    try {
      onDecided(await api.decide(relationship.id, accept));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="counter" data-testid="counter-offer">
      <h4>Counter-offer from {relationship.vendor.name}</h4>
      <dl>
        <dt>Terms</dt>
        <dd>
          <a href={counter.terms.uri} target="_blank" rel="noreferrer">
            {counter.terms.code}
          </a>{' '}
          {counter.terms.title}
        </dd>
        <dt>Purposes</dt>
        <dd>{counter.purposes.map(purposeLabel).join(', ') || 'none'}</dd>
        {counter.reason ? (
          <>
            <dt>Reason</dt>
            <dd>{counter.reason}</dd>
          </>
        ) : null}
      </dl>
      <div className="buttons">
        <button type="button" disabled={busy} onClick={() => void decide(true)} data-testid="accept-counter">
          Accept
        </button>
        <button type="button" disabled={busy} onClick={() => void decide(false)} data-testid="reject-counter">
          Reject
        </button>
      </div>
      <ErrorMessage message={error} />
    </div>
  );
}
