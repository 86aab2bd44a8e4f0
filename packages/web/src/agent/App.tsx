import { useCallback, useEffect, useMemo, useState } from 'react';
import { AgentApi, ApiError, describeError, forgetToken } from './api';
import type { Change, Intent, Me, RecentEvent, Relationship } from './types';
import { useChangeTracker } from './useChangeTracker';
import { useIntents } from './useIntents';
import { ChangeStatus } from './components/ChangeStatus';
import { ConnectForm } from './components/ConnectForm';
import { ErrorMessage } from './components/ErrorMessage';
import { IntentForm, type KnownVendor } from './components/IntentForm';
import { IntentList } from './components/IntentList';
import { PoliciesForm } from './components/PoliciesForm';
import { ProfileForm } from './components/ProfileForm';
import { RecentEvents } from './components/RecentEvents';
import { VendorList } from './components/VendorList';

function NoToken() {
  return (
    <main className="page">
      <h1>Parley</h1>
      <p role="alert" data-testid="no-token">
        This page needs the link your agent printed when it started (it ends in <code>#token=…</code>). Open
        that link, or run <code>parley agent serve</code> again to see it.
      </p>
    </main>
  );
}

/**
 * The vendors she could push an intent to: those she has a relationship with, then those that answered an
 * earlier intent; none chosen in advance.
 */
function knownVendors(relationships: Relationship[] | null, intents: Intent[] | null): KnownVendor[] {
  const known = new Map<string, KnownVendor>();
  for (const r of relationships ?? []) {
    if (!known.has(r.url)) known.set(r.url, { url: r.url, name: r.vendor.name, why: 'your vendor' });
  }
  for (const i of intents ?? []) {
    for (const a of i.answers) {
      if (!known.has(a.vendor.url))
        known.set(a.vendor.url, { url: a.vendor.url, name: a.vendor.name, why: 'answered an intent' });
    }
  }
  return [...known.values()];
}

/**
 * The person's dashboard: her vendors, what she wants and the offers she got, her details and policies, and
 * what happened to each change.
 */
export function App({ token }: { token: string | null }) {
  const api = useMemo(() => (token ? new AgentApi(token) : null), [token]);
  const [me, setMe] = useState<Me | null>(null);
  const [relationships, setRelationships] = useState<Relationship[] | null>(null);
  const [events, setEvents] = useState<RecentEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    if (!api) return;
    try {
      const [nextMe, nextRelationships, nextEvents] = await Promise.all([
        api.me(),
        api.relationships(),
        api.events(50),
      ]);
      setMe(nextMe);
      setRelationships(nextRelationships);
      setEvents(nextEvents);
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) forgetToken();
      setError(describeError(e));
    }
  }, [api]);

  const tracker = useChangeTracker(api, () => void reload());
  const intents = useIntents(api);
  const vendorChoices = useMemo(
    () => knownVendors(relationships, intents.intents),
    [relationships, intents.intents],
  );

  useEffect(() => {
    void reload();
  }, [reload]);

  if (!api) return <NoToken />;

  const earlier = tracker.earlier
    .map((id) => tracker.changes[id])
    .filter((c): c is Change => c !== undefined && c.deliveries.some((d) => d.status !== 'acknowledged'));
  const unconfirmed = (relationships ?? []).reduce((n, r) => n + r.unconfirmed, 0);

  return (
    <div className="page">
      <header className="top">
        <h1>Parley</h1>
        <p className="muted">Your agent: your terms, your data, every vendor in one place.</p>
        <nav aria-label="Sections">
          <a href="#vendors">Vendors</a>
          <a href="#connect">Connect</a>
          <a href="#want">I want…</a>
          <a href="#intents">My intents</a>
          <a href="#details">My details</a>
          <a href="#policies">Policies</a>
          <a href="#events">Recent events</a>
        </nav>
      </header>
      <main>
        <ErrorMessage message={error} testId="load-error" />
        <ErrorMessage message={tracker.error} testId="tracker-error" />

        {earlier.length > 0 ? (
          <section aria-labelledby="earlier-title">
            <h2 id="earlier-title">Changes still on their way</h2>
            {earlier.map((c) => (
              <ChangeStatus
                key={c.id}
                change={c}
                onRetry={() => void tracker.retry()}
                retrying={tracker.retrying}
                testId={`earlier-change-${c.id}`}
              />
            ))}
          </section>
        ) : null}

        <section id="vendors" aria-labelledby="vendors-title">
          <h2 id="vendors-title">
            Vendors{' '}
            {relationships ? (
              <span className="muted" data-testid="vendor-count">
                ({relationships.length}
                {unconfirmed ? `, ${unconfirmed} unconfirmed` : ''})
              </span>
            ) : null}
          </h2>
          <VendorList
            api={api}
            relationships={relationships}
            tracker={tracker}
            onUpdated={() => void reload()}
          />
        </section>

        <section id="connect" aria-labelledby="connect-title">
          <h2 id="connect-title">Connect to a vendor</h2>
          <ConnectForm api={api} onConnected={() => void reload()} />
        </section>

        <section id="want" aria-labelledby="want-title">
          <h2 id="want-title">I want…</h2>
          <IntentForm api={api} knownVendors={vendorChoices} onCreated={intents.upsert} />
        </section>

        <section id="intents" aria-labelledby="intents-title">
          <h2 id="intents-title">
            My intents{' '}
            {intents.intents ? (
              <span className="muted" data-testid="intent-count">
                ({intents.intents.length})
              </span>
            ) : null}
          </h2>
          <ErrorMessage message={intents.error} testId="intents-error" />
          <IntentList
            api={api}
            intents={intents.intents}
            relationships={relationships}
            onChanged={intents.upsert}
            onRelationship={() => void reload()}
          />
        </section>

        <section id="details" aria-labelledby="details-title">
          <h2 id="details-title">My details</h2>
          {me ? (
            <ProfileForm api={api} profile={me.profile} tracker={tracker} onSaved={() => void reload()} />
          ) : (
            <p className="muted">Loading…</p>
          )}
        </section>

        <section id="policies" aria-labelledby="policies-title">
          <h2 id="policies-title">Global policies</h2>
          {me ? (
            <PoliciesForm api={api} policies={me.policies} tracker={tracker} onSaved={() => void reload()} />
          ) : (
            <p className="muted">Loading…</p>
          )}
        </section>

        <section id="events" aria-labelledby="events-title">
          <h2 id="events-title">Recent events</h2>
          <RecentEvents events={events} relationships={relationships} />
        </section>
      </main>
    </div>
  );
}
