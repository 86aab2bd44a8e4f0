import { useEffect, useState } from 'react';

export type Route =
  | { name: 'queue' }
  | { name: 'search' }
  | { name: 'analytics' }
  | { name: 'ticket'; id: string }
  | { name: 'customer'; id: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  const [screen, id] = [parts[0] ?? '', parts[1] ? decodeURIComponent(parts[1]) : ''];
  if (screen === 'ticket' && id) return { name: 'ticket', id };
  if (screen === 'customer' && id) return { name: 'customer', id };
  if (screen === 'search') return { name: 'search' };
  if (screen === 'analytics') return { name: 'analytics' };
  return { name: 'queue' };
}

export const ticketHref = (id: string) => `#/ticket/${encodeURIComponent(id)}`;
export const customerHref = (id: string) => `#/customer/${encodeURIComponent(id)}`;

/** The screen the address's fragment names; follows back and forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => {
      setRoute(parseRoute(window.location.hash));
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
