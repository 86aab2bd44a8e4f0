import { useId, useState, type FormEvent } from 'react';
import { describeError, type AgentApi } from '../api';
import { CHANNEL_LABELS, PURPOSES, purposeLabel } from '../labels';
import type { ChangeTracker } from '../useChangeTracker';
import {
  CHANNELS,
  type Channel,
  type PermissionsUpdate,
  type Relationship,
  type Subscription,
} from '../types';
import { ChangeStatus } from './ChangeStatus';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  relationship: Relationship;
  tracker: ChangeTracker;
}

type Consents = Record<string, boolean>;
type Channels = Partial<Record<Channel, boolean>>;
type Subscriptions = Record<string, { subscribed: boolean; channels: Channel[] }>;

function initialConsents(r: Relationship): Consents {
  const consents: Consents = {};
  for (const purpose of PURPOSES) consents[purpose] = r.agreement?.purposes.includes(purpose) ?? false;
  for (const c of r.permissions.consents) consents[c.purpose] = c.granted;
  return consents;
}

function initialChannels(r: Relationship): Channels {
  const channels: Channels = {};
  for (const c of r.permissions.channels) channels[c.channel] = c.allowed;
  return channels;
}

function initialSubscriptions(r: Relationship): Subscriptions {
  const subscriptions: Subscriptions = {};
  for (const p of r.vendor.publications) subscriptions[p.id] = { subscribed: false, channels: [] };
  for (const s of r.permissions.subscriptions) {
    subscriptions[s.publication] = { subscribed: s.subscribed, channels: [...s.channels] };
  }
  return subscriptions;
}

const sameChannels = (a: Channel[], b: Channel[]) => a.length === b.length && a.every((c) => b.includes(c));

/**
 * Consents per purpose, channels, and subscriptions to the vendor's publications. The boxes show the
 * relationship as the agent reports it, with her unsaved edits over it; Save sends only what differs.
 */
export function PermissionsEditor({ api, relationship, tracker }: Props) {
  const id = useId();
  const saved = {
    consents: initialConsents(relationship),
    channels: initialChannels(relationship),
    subscriptions: initialSubscriptions(relationship),
  };
  const [consentEdits, setConsentEdits] = useState<Consents>({});
  const [channelEdits, setChannelEdits] = useState<Channels>({});
  const [subscriptionEdits, setSubscriptionEdits] = useState<Subscriptions>({});
  const consents: Consents = { ...saved.consents, ...consentEdits };
  const channels: Channels = { ...saved.channels, ...channelEdits };
  const subscriptions: Subscriptions = { ...saved.subscriptions, ...subscriptionEdits };
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [changeId, setChangeId] = useState<string | null>(null);
  const change = changeId ? tracker.changes[changeId] : undefined;
  const disabled = relationship.status !== 'active';

  function update(): PermissionsUpdate {
    const result: PermissionsUpdate = {};
    const c = Object.entries(consents)
      .filter(([purpose, granted]) => (saved.consents[purpose] ?? false) !== granted)
      .map(([purpose, granted]) => ({ purpose, granted }));
    if (c.length) result.consents = c;
    const ch = CHANNELS.filter(
      (channel) => (channels[channel] ?? false) !== (saved.channels[channel] ?? false),
    ).map((channel) => ({ channel, allowed: channels[channel] ?? false }));
    if (ch.length) result.channels = ch;
    const s: Subscription[] = Object.entries(subscriptions)
      .filter(([publication, now]) => {
        const was = saved.subscriptions[publication];
        return !was || was.subscribed !== now.subscribed || !sameChannels(was.channels, now.channels);
      })
      .map(([publication, now]) => ({ publication, subscribed: now.subscribed, channels: now.channels }));
    if (s.length) result.subscriptions = s;
    return result;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setNote(null);
    const body = update();
    if (Object.keys(body).length === 0) {
      setNote('Nothing changed.');
      return;
    }
    setBusy(true);
    try {
      const answer = await api.setPermissions(relationship.id, body);
      tracker.track(answer);
      setChangeId(answer.id);
      setConsentEdits({});
      setChannelEdits({});
      setSubscriptionEdits({});
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const setSubscription = (publication: string, next: { subscribed: boolean; channels: Channel[] }) =>
    setSubscriptionEdits((edits) => ({ ...edits, [publication]: next }));

  const toggleSubscriptionChannel = (publication: string, channel: Channel, on: boolean) => {
    const current = subscriptions[publication] ?? { subscribed: false, channels: [] };
    const list = on ? [...current.channels, channel] : current.channels.filter((c) => c !== channel);
    setSubscription(publication, { ...current, channels: list });
  };

  return (
    <form onSubmit={submit} data-testid="permissions-form">
      <fieldset disabled={disabled}>
        <legend>Consents: what {relationship.vendor.name} may use your data for</legend>
        <div className="checks">
          {PURPOSES.map((purpose) => (
            <label key={purpose}>
              <input
                type="checkbox"
                name={`consent-${purpose}`}
                checked={consents[purpose] ?? false}
                onChange={(e) => setConsentEdits({ ...consentEdits, [purpose]: e.target.checked })}
              />{' '}
              {purposeLabel(purpose)}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Channels it may reach you on</legend>
        <div className="checks">
          {CHANNELS.map((channel) => (
            <label key={channel}>
              <input
                type="checkbox"
                name={`channel-${channel}`}
                checked={channels[channel] ?? false}
                onChange={(e) => setChannelEdits({ ...channelEdits, [channel]: e.target.checked })}
              />{' '}
              {CHANNEL_LABELS[channel]}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Subscriptions</legend>
        {relationship.vendor.publications.length === 0 ? (
          <p className="muted">{relationship.vendor.name} offers no publications.</p>
        ) : (
          relationship.vendor.publications.map((p, index) => {
            const s = subscriptions[p.id] ?? { subscribed: false, channels: [] };
            return (
              <div
                key={p.id}
                className="subscription"
                role="group"
                aria-labelledby={`${id}-publication-${index}`}
              >
                <label id={`${id}-publication-${index}`}>
                  <input
                    type="checkbox"
                    name={`subscribe-${p.id}`}
                    checked={s.subscribed}
                    onChange={(e) => setSubscription(p.id, { ...s, subscribed: e.target.checked })}
                  />{' '}
                  {p.name} <span className="muted">({p.kind})</span>
                </label>
                <span className="checks inline">
                  {p.channels.map((channel) => (
                    <label key={channel}>
                      <input
                        type="checkbox"
                        name={`subscribe-${p.id}-${channel}`}
                        checked={s.channels.includes(channel)}
                        disabled={!s.subscribed}
                        onChange={(e) => toggleSubscriptionChannel(p.id, channel, e.target.checked)}
                      />{' '}
                      by {CHANNEL_LABELS[channel] ?? channel}
                    </label>
                  ))}
                </span>
              </div>
            );
          })
        )}
      </fieldset>
      <button type="submit" disabled={busy || disabled} data-testid="save-permissions">
        {busy ? 'Saving…' : 'Save permissions'}
      </button>
      {note ? <p role="status">{note}</p> : null}
      <ErrorMessage message={error} />
      {change ? (
        <ChangeStatus
          change={change}
          onRetry={() => void tracker.retry()}
          retrying={tracker.retrying}
          testId="permissions-change"
        />
      ) : null}
    </form>
  );
}
