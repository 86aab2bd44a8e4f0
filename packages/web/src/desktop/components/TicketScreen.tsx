import { useDesktop } from '../desktop';
import { dateTime } from '../format';
import { useLoad, useNow } from '../hooks';
import { customerHref } from '../route';
import type { Ref, TroubleTicket } from '../types';
import { AssignControl } from './AssignControl';
import { ContextPanel } from './ContextPanel';
import { ErrorMessage, Loading } from './Messages';
import { ReplyBox } from './ReplyBox';
import { SlaTimer } from './SlaTimer';

/** The customer a ticket is about (relatedParty role customer, else the first party), and its account. */
export function ticketParties(ticket: TroubleTicket): { party?: Ref; account?: Ref } {
  const parties = ticket.relatedParty ?? [];
  const entities = ticket.relatedEntity ?? [];
  return {
    party: parties.find((p) => p.role === 'customer') ?? parties[0],
    account: entities.find((e) => e.role === 'account') ?? entities[0],
  };
}

const channelOf = (ticket: TroubleTicket) =>
  typeof ticket.channel === 'string' ? ticket.channel : (ticket.channel?.name ?? ticket.channel?.id ?? null);

/**
 * One ticket: what it is about and its SLA timer, its customer, the in-context panel (the facts that matter for
 * this contact, alerts pushed at the top), assignment, the conversation so far and a reply box.
 */
export function TicketScreen({ ticketId }: { ticketId: string }) {
  const { api } = useDesktop();
  const ticket = useLoad(() => api.ticket(ticketId), [api, ticketId]);
  const clock = useLoad(() => api.slaClock(ticketId), [api, ticketId]);
  const now = useNow();
  const t = ticket.data;
  const { party, account } = t ? ticketParties(t) : {};
  const customer = useLoad(() => (party ? api.customer360(party.id) : undefined), [api, party?.id]);
  const reload = () => {
    void ticket.reload();
    void clock.reload();
  };

  if (ticket.error) {
    return (
      <>
        <h1>Ticket {ticketId}</h1>
        <ErrorMessage message={ticket.error} testId="ticket-error" />
      </>
    );
  }
  if (!t) return <Loading what={`ticket ${ticketId}`} />;
  const notes = t.note ?? [];
  return (
    <div className="ticket-layout">
      <div className="ticket-main">
        <p className="crumbs">
          <a href="#/queue">Ticket queue</a> › {t.id}
        </p>
        <h1 data-testid="ticket-title">{t.name ?? t.description ?? `Ticket ${t.id}`}</h1>
        <dl className="facts-inline" data-testid="ticket-summary">
          <dt>Status</dt>
          <dd data-testid="ticket-status">{t.status}</dd>
          <dt>Priority</dt>
          <dd>{t.priority ?? '—'}</dd>
          {channelOf(t) && (
            <>
              <dt>Channel</dt>
              <dd data-testid="ticket-channel">{channelOf(t)}</dd>
            </>
          )}
          <dt>Opened</dt>
          <dd>{dateTime(t.creationDate)}</dd>
          <dt>Resolution</dt>
          <dd>{clock.data ? <SlaTimer clock={clock.data} now={now} /> : '…'}</dd>
          {account && (
            <>
              <dt>Account</dt>
              <dd>{account.name ?? account.id}</dd>
            </>
          )}
        </dl>
        {t.description && t.description !== t.name && <p>{t.description}</p>}

        <section aria-labelledby="customer-heading" className="card" data-testid="ticket-customer">
          <h2 id="customer-heading">Customer</h2>
          {!party && <p>This ticket names no customer.</p>}
          {party && (
            <>
              <p>
                <a href={customerHref(party.id)} data-testid="customer-link">
                  <strong data-testid="customer-name">
                    {customer.data?.party.name ?? party.name ?? party.id}
                  </strong>
                </a>{' '}
                {customer.data?.party.status && <span className="badge">{customer.data.party.status}</span>}
              </p>
              <ErrorMessage message={customer.error} testId="customer-error" />
              {customer.data && (
                <p className="help">
                  {customer.data.accounts.length} accounts · {customer.data.services.length} services ·{' '}
                  {customer.data.openTickets.length} open tickets
                </p>
              )}
            </>
          )}
        </section>

        <AssignControl ticket={t} onAssigned={reload} />

        <section aria-labelledby="conversation-heading">
          <h2 id="conversation-heading">Conversation</h2>
          {notes.length === 0 ? (
            <p className="muted">No notes or replies yet.</p>
          ) : (
            <ol className="notes" data-testid="notes">
              {notes.map((n, i) => (
                <li key={n.id ?? i}>
                  <p className="muted small">
                    {n.author ?? 'someone'} · {dateTime(n.date)}
                  </p>
                  <p>{n.text}</p>
                </li>
              ))}
            </ol>
          )}
          <ReplyBox ticketId={t.id} onSent={reload} />
        </section>
      </div>
      <aside className="ticket-context" aria-label="In context">
        {party ? (
          <ContextPanel partyId={party.id} ticketId={t.id} ticketType={t.ticketType ?? t.name ?? ''} />
        ) : (
          <p>No customer, so no context.</p>
        )}
      </aside>
    </div>
  );
}
