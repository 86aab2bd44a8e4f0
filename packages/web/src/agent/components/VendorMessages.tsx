import { formatTime } from '../labels';
import type { Relationship } from '../types';

/** The vendor's replies to her feedback, signed by the vendor and checked by her agent. */
export function VendorMessages({ relationship }: { relationship: Relationship }) {
  const messages = relationship.messages ?? [];
  if (messages.length === 0) return null;
  return (
    <section aria-label={`Replies from ${relationship.vendor.name}`} data-testid="vendor-messages">
      <h4>Replies from {relationship.vendor.name}</h4>
      <ul className="messages">
        {[...messages].reverse().map((m) => (
          <li key={m.id} data-testid="vendor-message">
            <strong>{m.subject}</strong> <span className="muted">{formatTime(m.sentAt)}</span>
            {m.signatureVerified ? <span className="muted"> · signed by the vendor</span> : null}
            <p>{m.body}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
