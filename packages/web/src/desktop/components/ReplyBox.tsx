import { useState, type FormEvent } from 'react';
import { describeError, PATHS } from '../api';
import { useDesktop } from '../desktop';
import { ErrorMessage, NotAvailable } from './Messages';

/** A reply to the customer, sent back through the channel the ticket came in on. */
export function ReplyBox({ ticketId, onSent }: { ticketId: string; onSent: () => void }) {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.reply);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);

  if (!available) return <NotAvailable what="Replying" endpoint={PATHS.reply} testId="reply-not-available" />;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const replied = await api.reply(ticketId, text.trim());
      setSent(
        `Reply sent${replied?.channel ? ` through ${replied.channel}` : ''}.` +
          (replied?.firstResponse ? ' It was the first response: the response clock stopped.' : ''),
      );
      setText('');
      onSent();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} data-testid="reply-form" aria-labelledby="reply-heading">
      <h3 id="reply-heading">Reply</h3>
      <div className="field wide">
        <label htmlFor="reply-text">Message to the customer</label>
        <textarea id="reply-text" rows={4} value={text} onChange={(e) => setText(e.target.value)} />
      </div>
      <button type="submit" disabled={busy || !text.trim()} data-testid="reply-submit">
        Send reply
      </button>
      <p role="status" className="ok" data-testid="reply-sent">
        {sent}
      </p>
      <ErrorMessage message={error} testId="reply-error" />
    </form>
  );
}
