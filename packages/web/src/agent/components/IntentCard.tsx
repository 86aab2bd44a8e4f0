import { useState } from 'react';
import { describeError, type AgentApi } from '../api';
import {
  INTENT_STATUS_LABELS,
  PUSH_STATUS_LABELS,
  formatMoney,
  formatTime,
  intentAnchor,
  purposeLabel,
  relationshipAnchor,
  retentionLabel,
  shortDid,
  timeLeft,
} from '../labels';
import type { Intent, IntentAnswer, Relationship } from '../types';
import { awaitsAnswers } from '../useIntents';
import { AnswerTable } from './AnswerTable';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  intent: Intent;
  relationships: Relationship[] | null;
  onChanged: (intent: Intent) => void;
  onRelationship: (relationship: Relationship) => void;
}

function priceText(intent: Intent): string {
  const { min, max, currency } = intent.price;
  return min !== undefined
    ? `${formatMoney(min, currency)} to ${formatMoney(max, currency)}`
    : `up to ${formatMoney(max, currency)}`;
}

function placeText(intent: Intent): string {
  const l = intent.location;
  if (!l) return 'anywhere';
  const parts = [l.region, l.postCode, l.country].filter(Boolean).join(', ');
  return l.radiusKm ? `${parts} (within ${l.radiusKm} km)` : parts;
}

/** The relationship her accepted offer opened: its vendor, the agreement's terms, a link to its row. */
function Opened({ relationship: r }: { relationship: Relationship }) {
  return (
    <div className="opened" data-testid="intent-relationship" data-relationship-id={r.id}>
      <h4>
        Relationship with <a href={`#${relationshipAnchor(r.id)}`}>{r.vendor.name}</a>
      </h4>
      {r.agreement ? (
        <dl>
          <dt>Terms</dt>
          <dd data-testid="intent-relationship-terms">
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
        </dl>
      ) : (
        <p className="muted">No agreement in force ({r.status}).</p>
      )}
      <p className="help">
        Only now does {r.vendor.name} learn what it asked for, under these terms alone; the other offers are
        closed.
      </p>
    </div>
  );
}

/**
 * One intentcast: what she asked for, under which terms, with which one-off identity, until when; the
 * answers side by side; the relationship an accepted offer opened; and a way to withdraw it while open.
 */
export function IntentCard({ api, intent, relationships, onChanged, onRelationship }: Props) {
  const [accepting, setAccepting] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [withdrawing, setWithdrawing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [opened, setOpened] = useState<Relationship | null>(null);

  async function accept(answer: IntentAnswer) {
    if (!answer.offer) return;
    setAccepting(answer.offer.id);
    setError(null);
    try {
      const result = await api.acceptOffer(intent.id, answer.offer.id);
      setOpened(result.relationship);
      onChanged(result.intent);
      onRelationship(result.relationship);
    } catch (e) {
      setError(`${answer.vendor.name}'s offer could not be taken: ${describeError(e)}`);
    } finally {
      setAccepting(null);
    }
  }

  async function withdraw() {
    if (!confirming) {
      setConfirming(true);
      return;
    }
    setWithdrawing(true);
    setError(null);
    try {
      onChanged(await api.withdrawIntent(intent.id));
      setConfirming(false);
    } catch (e) {
      setError(`The intent could not be withdrawn: ${describeError(e)}`);
    } finally {
      setWithdrawing(false);
    }
  }

  const relationship =
    (intent.relationshipId && relationships?.find((r) => r.id === intent.relationshipId)) ||
    (opened && opened.id === intent.relationshipId ? opened : null);
  const answered = new Set(intent.answers.map((a) => a.vendor.url));
  const waiting = intent.pushes.filter((p) => p.status !== 'answered' && !answered.has(p.vendor));
  const listening = awaitsAnswers(intent);
  const headingId = `${intentAnchor(intent.id)}-title`;

  return (
    <article
      className={`intent intent-${intent.status}`}
      id={intentAnchor(intent.id)}
      aria-labelledby={headingId}
      data-testid={`intent-${intent.id}`}
      data-status={intent.status}
    >
      <header>
        <h3 id={headingId}>{intent.intent.description}</h3>
        <span
          className={`badge badge-intent-${intent.status}`}
          data-testid="intent-status"
          data-status={intent.status}
        >
          {INTENT_STATUS_LABELS[intent.status] ?? intent.status}
        </span>
      </header>
      <dl className="terms">
        <dt>What</dt>
        <dd>
          {intent.intent.category}
          {intent.intent.tags.length > 0 ? ` · ${intent.intent.tags.join(', ')}` : ''}
          {intent.intent.brands?.length ? ` · brands: ${intent.intent.brands.join(', ')}` : ''}
        </dd>
        <dt>Price</dt>
        <dd>{priceText(intent)}</dd>
        <dt>Where</dt>
        <dd>{placeText(intent)}</dd>
        <dt>One-off identity</dt>
        <dd>
          <code title={intent.did} data-testid="intent-did">
            {shortDid(intent.did)}
          </code>
        </dd>
        <dt>Valid until</dt>
        <dd data-testid="intent-validity">
          {formatTime(intent.validUntil)}
          {intent.status === 'open' ? <span className="muted"> ({timeLeft(intent.validUntil)})</span> : null}
        </dd>
        <dt>Your terms</dt>
        <dd data-testid="intent-terms">
          <ol className="inline-list">
            {intent.terms.map((t) => (
              <li key={t.code}>
                <strong>{t.code}</strong> {t.title}
              </li>
            ))}
          </ol>
        </dd>
        <dt>Sent</dt>
        <dd>{formatTime(intent.createdAt)}</dd>
      </dl>

      {waiting.length > 0 ? (
        <ul className="pushes" data-testid="intent-pushes">
          {waiting.map((p) => (
            <li key={p.vendor} className={`status push-${p.status}`} data-status={p.status}>
              <span className="url">{p.vendor}</span>: {PUSH_STATUS_LABELS[p.status]}
              {p.error ? ` (${p.error})` : ''}
            </li>
          ))}
        </ul>
      ) : null}

      <AnswerTable intent={intent} accepting={accepting} onAccept={(a) => void accept(a)} />
      {listening ? (
        <p className="muted" aria-live="polite" data-testid="intent-listening">
          Listening for more answers while the intent is open.
        </p>
      ) : null}

      {relationship ? <Opened relationship={relationship} /> : null}

      <ErrorMessage message={error} testId="intent-card-error" />
      {intent.status === 'open' ? (
        <div className="buttons">
          {confirming ? (
            <p role="alert" className="warning">
              Withdraw this intent? Vendors can no longer answer it and its offers close.
            </p>
          ) : null}
          <button
            type="button"
            className="danger"
            disabled={withdrawing || accepting !== null}
            onClick={() => void withdraw()}
            data-testid={confirming ? 'confirm-withdraw' : 'withdraw-intent'}
          >
            {confirming ? (withdrawing ? 'Withdrawing…' : 'Yes, withdraw it') : 'Withdraw'}
          </button>
          {confirming ? (
            <button type="button" onClick={() => setConfirming(false)} disabled={withdrawing}>
              Cancel
            </button>
          ) : null}
        </div>
      ) : null}
    </article>
  );
}
