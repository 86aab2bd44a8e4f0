import { useCallback, useEffect, useMemo, useState } from 'react';
import { Capabilities, DesktopApi, describeError, forgetKey, storedKey, storeKey } from './api';
import { DesktopContext } from './desktop';
import { useRoute, type Route } from './route';
import { ErrorMessage, Loading } from './components/Messages';
import { SignIn } from './components/SignIn';
import { QueueScreen } from './components/QueueScreen';
import { TicketScreen } from './components/TicketScreen';
import { CustomerScreen } from './components/CustomerScreen';
import { SearchScreen } from './components/SearchScreen';
import { AnalyticsScreen } from './analytics/AnalyticsScreen';

const NAV: { route: Route['name']; href: string; label: string }[] = [
  { route: 'queue', href: '#/queue', label: 'Ticket queue' },
  { route: 'search', href: '#/search', label: 'Search customers' },
  { route: 'analytics', href: '#/analytics', label: 'Analytics' },
];

/**
 * The CRM agent desktop: sign in with a staff API key, then the ticket queue, a ticket with its customer in
 * context, Customer 360 (with the agreements she signed and QoE against SLA), search and analytics (charts
 * exportable as CSV and PNG). Hash routes
 * (`#/ticket/{id}`, `#/customer/{id}`), so the static files serve every screen.
 */
export function App() {
  const [key, setKey] = useState<string | null>(() => storedKey());
  const [caps, setCaps] = useState<Capabilities | null>(null);
  const [error, setError] = useState<string | null>(null);
  const route = useRoute();

  useEffect(() => {
    Capabilities.load()
      .then(setCaps)
      .catch((e: unknown) => setError(`The CRM's API description could not be read: ${describeError(e)}`));
  }, []);

  const api = useMemo(() => (key ? new DesktopApi(key) : null), [key]);
  const signOut = useCallback(() => {
    forgetKey();
    setKey(null);
  }, []);
  const signIn = useCallback((next: string) => {
    storeKey(next);
    setKey(next);
  }, []);

  useEffect(() => {
    const titles: Record<Route['name'], string> = {
      queue: 'Ticket queue',
      ticket: 'Ticket',
      customer: 'Customer 360',
      search: 'Search customers',
      analytics: 'Analytics',
    };
    document.title = `${titles[route.name]}: Parley agent desktop`;
  }, [route.name]);

  if (error) {
    return (
      <main className="page">
        <h1>Parley agent desktop</h1>
        <ErrorMessage message={error} testId="startup-error" />
      </main>
    );
  }
  if (!caps) {
    return (
      <main className="page">
        <Loading what="the desktop" />
      </main>
    );
  }
  if (!api) return <SignIn onSignIn={signIn} />;

  return (
    <DesktopContext.Provider value={{ api, caps, signOut }}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <p className="brand">Parley agent desktop</p>
        <nav aria-label="Screens">
          {NAV.map((item) => (
            <a
              key={item.route}
              href={item.href}
              aria-current={route.name === item.route ? 'page' : undefined}
              data-testid={`nav-${item.route}`}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <button type="button" className="link" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <main className="page" id="main" tabIndex={-1}>
        {route.name === 'queue' && <QueueScreen />}
        {route.name === 'ticket' && <TicketScreen key={route.id} ticketId={route.id} />}
        {route.name === 'customer' && <CustomerScreen key={route.id} partyId={route.id} />}
        {route.name === 'search' && <SearchScreen />}
        {route.name === 'analytics' && <AnalyticsScreen />}
      </main>
    </DesktopContext.Provider>
  );
}
