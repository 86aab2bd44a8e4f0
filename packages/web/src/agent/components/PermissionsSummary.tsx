import { CHANNEL_LABELS, POLICY_LABELS, purposeLabel } from '../labels';
import type { Relationship } from '../types';

/** Her permissions at this vendor as they stand: consents, channels, global policies, subscriptions. */
export function PermissionsSummary({ relationship }: { relationship: Relationship }) {
  const { consents, channels, policies, subscriptions } = relationship.permissions;
  const names = new Map(relationship.vendor.publications.map((p) => [p.id, p.name]));
  const list = (items: string[]) => (items.length ? items.join(', ') : 'none');
  return (
    <dl className="permissions" data-testid="permissions-summary">
      <dt>Consents given</dt>
      <dd>{list(consents.filter((c) => c.granted).map((c) => purposeLabel(c.purpose)))}</dd>
      <dt>Consents withdrawn</dt>
      <dd>{list(consents.filter((c) => !c.granted).map((c) => purposeLabel(c.purpose)))}</dd>
      <dt>Channels allowed</dt>
      <dd>{list(channels.filter((c) => c.allowed).map((c) => CHANNEL_LABELS[c.channel] ?? c.channel))}</dd>
      <dt>Global policies applied</dt>
      <dd>{list(policies.map((p) => POLICY_LABELS[p] ?? p))}</dd>
      <dt>Subscriptions</dt>
      <dd>
        {subscriptions.filter((s) => s.subscribed).length === 0 ? (
          'none'
        ) : (
          <ul data-testid="subscriptions">
            {subscriptions
              .filter((s) => s.subscribed)
              .map((s) => (
                <li key={s.publication}>
                  {names.get(s.publication) ?? s.publication}
                  {s.channels.length
                    ? ` by ${s.channels.map((c) => CHANNEL_LABELS[c] ?? c).join(', ')}`
                    : ' (no channel chosen)'}
                </li>
              ))}
          </ul>
        )}
      </dd>
    </dl>
  );
}
