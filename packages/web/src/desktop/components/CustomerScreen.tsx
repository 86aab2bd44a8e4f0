import { useDesktop } from '../desktop';
import { dateTime } from '../format';
import { useLoad } from '../hooks';
import { ticketHref } from '../route';
import { AgreementsPanel } from './AgreementsPanel';
import { ErrorMessage, Loading } from './Messages';
import { QoePanel } from './QoePanel';

/**
 * Customer 360 (`GET /crm/v1/customer/{id}/360`): the party, its accounts and their members, services and
 * SLAs, open tickets and recent contacts; then the agreements she signed and QoE against SLA over time.
 */
export function CustomerScreen({ partyId }: { partyId: string }) {
  const { api } = useDesktop();
  const c360 = useLoad(() => api.customer360(partyId), [api, partyId]);
  if (c360.error) {
    return (
      <>
        <h1>Customer 360</h1>
        <ErrorMessage message={c360.error} testId="customer360-error" />
      </>
    );
  }
  const c = c360.data;
  if (!c) return <Loading what="the customer" />;
  const nameOf = (id: string | null) =>
    id ? ([c.party, ...c.parties].find((p) => p.id === id)?.name ?? id) : '';
  return (
    <div data-testid="customer360">
      <p className="crumbs">
        <a href="#/search">Search customers</a> › Customer 360
      </p>
      <h1 data-testid="customer360-name">{c.party.name}</h1>
      <p className="help">
        {c.party.kind} · {c.party.status ?? 'no status'} · <span className="url">{c.party.id}</span>
        {c.customers.length > 0 && ` · customer record ${c.customers.map((x) => x.name).join(', ')}`}
      </p>

      <div className="cards two">
        <section aria-labelledby="accounts-heading" className="card">
          <h2 id="accounts-heading">Accounts</h2>
          <table data-testid="customer360-accounts">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">State</th>
                <th scope="col">Her role</th>
                <th scope="col">Members</th>
              </tr>
            </thead>
            <tbody>
              {c.accounts.map((a) => (
                <tr key={a.id}>
                  <td>{a.name}</td>
                  <td>{a.state ?? ''}</td>
                  <td>{a.roles.join(', ')}</td>
                  <td>
                    {c.members
                      .filter((m) => m.accountId === a.id)
                      .map(
                        (m) =>
                          `${nameOf(m.partyId)} (${m.role}${m.parentalControls ? ', parental controls' : ''})`,
                      )
                      .join('; ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {c.truncated && <p className="help">More accounts than shown.</p>}
        </section>

        <section aria-labelledby="services-heading" className="card">
          <h2 id="services-heading">Services</h2>
          <table data-testid="customer360-services">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">State</th>
                <th scope="col">User</th>
                <th scope="col">SLA</th>
              </tr>
            </thead>
            <tbody>
              {c.services.map((s) => (
                <tr key={s.id}>
                  <td>{s.name}</td>
                  <td>{s.state ?? ''}</td>
                  <td>{nameOf(s.userPartyId)}</td>
                  <td>{s.sla?.name ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>

        <section aria-labelledby="open-heading" className="card">
          <h2 id="open-heading">Open tickets</h2>
          {c.openTickets.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul data-testid="customer360-tickets">
              {c.openTickets.map((t) => (
                <li key={t.id} data-testid={`c360-ticket-${t.id}`}>
                  <a href={ticketHref(t.id)}>{t.ticketType ?? t.id}</a> · {t.status} · {t.priority ?? ''}
                  {t.resolutionDue && ` · due ${dateTime(t.resolutionDue)}`}
                  {t.escalationLevel > 0 && <span className="warning"> · escalated</span>}
                </li>
              ))}
            </ul>
          )}
        </section>

        <section aria-labelledby="contacts-heading" className="card">
          <h2 id="contacts-heading">Recent contacts</h2>
          {c.recentInteractions.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul data-testid="customer360-interactions">
              {c.recentInteractions.map((i) => (
                <li key={i.id}>
                  {dateTime(i.startedAt)} · {i.channel ?? ''} · {i.reason ?? ''}
                  {i.ticketId && (
                    <>
                      {' '}
                      · <a href={ticketHref(i.ticketId)}>ticket</a>
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <AgreementsPanel partyId={c.party.id} individual={c.party.kind.toLowerCase() === 'individual'} />
      <QoePanel partyId={c.party.id} />
    </div>
  );
}
