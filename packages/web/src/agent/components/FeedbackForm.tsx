import { useId, useState, type FormEvent } from 'react';
import { describeError, type AgentApi } from '../api';
import type { ChangeTracker } from '../useChangeTracker';
import { FEEDBACK_KINDS, type FeedbackKind, type Relationship } from '../types';
import { ChangeStatus } from './ChangeStatus';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  relationship: Relationship;
  tracker: ChangeTracker;
}

const KIND_LABELS: Record<FeedbackKind, string> = {
  feedback: 'Feedback',
  'error-report': 'Error report (opens a ticket)',
  'survey-answer': 'Answer to a survey',
};

/** The answer-back conduit: feedback, an error report or a survey answer, signed and sent to the vendor. */
export function FeedbackForm({ api, relationship, tracker }: Props) {
  const id = useId();
  const [kind, setKind] = useState<FeedbackKind>('feedback');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [inReplyTo, setInReplyTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [changeId, setChangeId] = useState<string | null>(null);
  const change = changeId ? tracker.changes[changeId] : undefined;
  const disabled = relationship.status !== 'active';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.sendFeedback(relationship.id, {
        kind,
        subject: subject.trim(),
        body: body.trim(),
        ...(inReplyTo.trim() ? { inReplyTo: inReplyTo.trim() } : {}),
      });
      tracker.track(answer);
      setChangeId(answer.id);
      setSubject('');
      setBody('');
      setInReplyTo('');
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="feedback-form">
      <fieldset disabled={disabled}>
        <legend>Tell {relationship.vendor.name}</legend>
        <div className="field">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as FeedbackKind)}>
            {FEEDBACK_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-subject`}>Subject</label>
          <input id={`${id}-subject`} required value={subject} onChange={(e) => setSubject(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-body`}>Message</label>
          <textarea
            id={`${id}-body`}
            required
            rows={4}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-reply`}>In reply to (optional)</label>
          <input
            id={`${id}-reply`}
            maxLength={200}
            value={inReplyTo}
            onChange={(e) => setInReplyTo(e.target.value)}
            aria-describedby={`${id}-reply-help`}
          />
          <p id={`${id}-reply-help`} className="help">
            The id of what this answers: a survey, a note or a record of the vendor's.
          </p>
        </div>
        <button type="submit" disabled={busy} data-testid="send-feedback">
          {busy ? 'Sending…' : 'Send'}
        </button>
      </fieldset>
      <ErrorMessage message={error} />
      {change ? (
        <ChangeStatus
          change={change}
          onRetry={() => void tracker.retry()}
          retrying={tracker.retrying}
          testId="feedback-change"
        />
      ) : null}
    </form>
  );
}
