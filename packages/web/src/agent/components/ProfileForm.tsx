import { useId, useState, type FormEvent } from 'react';
import { describeError, type AgentApi } from '../api';
import { fieldLabel } from '../labels';
import type { ChangeTracker } from '../useChangeTracker';
import type { PostalAddress, Profile } from '../types';
import { ChangeStatus } from './ChangeStatus';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  profile: Profile;
  tracker: ChangeTracker;
  onSaved: () => void;
}

const NAMES = ['givenName', 'familyName', 'email', 'phone'] as const;
const ADDRESS = ['street1', 'street2', 'city', 'postCode', 'stateOrProvince', 'country'] as const;
type Values = Record<(typeof NAMES)[number] | (typeof ADDRESS)[number], string>;

const ADDRESS_LABELS: Record<(typeof ADDRESS)[number], string> = {
  street1: 'Street',
  street2: 'Street, second line (optional)',
  city: 'City',
  postCode: 'Post code',
  stateOrProvince: 'State or province (optional)',
  country: 'Country (two letters, e.g. FR)',
};

function valuesOf(profile: Profile): Values {
  const a = profile.postalAddress;
  return {
    givenName: profile.givenName ?? '',
    familyName: profile.familyName ?? '',
    email: profile.email ?? '',
    phone: profile.phone ?? '',
    street1: a?.street1 ?? '',
    street2: a?.street2 ?? '',
    city: a?.city ?? '',
    postCode: a?.postCode ?? '',
    stateOrProvince: a?.stateOrProvince ?? '',
    country: a?.country ?? '',
  };
}

function addressOf(v: Values): PostalAddress | undefined {
  const t = (s: string) => s.trim();
  if (ADDRESS.every((k) => t(v[k]) === '')) return undefined;
  return {
    street1: t(v.street1),
    ...(t(v.street2) ? { street2: t(v.street2) } : {}),
    city: t(v.city),
    postCode: t(v.postCode),
    ...(t(v.stateOrProvince) ? { stateOrProvince: t(v.stateOrProvince) } : {}),
    country: t(v.country).toUpperCase(),
  };
}

const sameAddress = (a: PostalAddress | undefined, b: PostalAddress | undefined) =>
  ADDRESS.every((k) => (a?.[k] ?? '') === (b?.[k] ?? ''));

/**
 * Her details, edited once and sent to every vendor that holds them: only the fields she changed go out, and
 * the Change below shows, vendor by vendor, which ones acknowledged it.
 */
export function ProfileForm({ api, profile, tracker, onSaved }: Props) {
  const id = useId();
  const [values, setValues] = useState<Values>(() => valuesOf(profile));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [changeId, setChangeId] = useState<string | null>(null);
  const change = changeId ? tracker.changes[changeId] : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setNote(null);
    const patch: Profile = {};
    const cleared: string[] = [];
    for (const name of NAMES) {
      const value = values[name].trim();
      if (value && value !== (profile[name] ?? '')) patch[name] = value;
      if (!value && profile[name]) cleared.push(fieldLabel(name));
    }
    const address = addressOf(values);
    if (address && !sameAddress(address, profile.postalAddress)) patch.postalAddress = address;
    if (!address && profile.postalAddress) cleared.push(fieldLabel('postalAddress'));
    const clearedNote = cleared.length
      ? ` Emptied fields are not sent (vendors keep what they have): ${cleared.join(', ')}.`
      : '';
    if (Object.keys(patch).length === 0) {
      setNote(`Nothing changed.${clearedNote}`);
      return;
    }
    setBusy(true);
    try {
      const answer = await api.updateProfile(patch);
      tracker.track(answer);
      setChangeId(answer.id);
      if (clearedNote) setNote(clearedNote.trim());
      onSaved();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const input = (name: keyof Values, label: string, type = 'text', autoComplete?: string) => (
    <div className="field" key={name}>
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        name={name}
        type={type}
        autoComplete={autoComplete}
        value={values[name]}
        onChange={(e) =>
          setValues({ ...values, [name]: name === 'country' ? e.target.value.toUpperCase() : e.target.value })
        }
        {...(name === 'country' ? { maxLength: 2, size: 4 } : {})}
      />
    </div>
  );

  return (
    <form onSubmit={submit} data-testid="profile-form">
      <fieldset>
        <legend>Name and contact</legend>
        {input('givenName', 'Given name', 'text', 'given-name')}
        {input('familyName', 'Family name', 'text', 'family-name')}
        {input('email', 'Email', 'email', 'email')}
        {input('phone', 'Phone', 'tel', 'tel')}
      </fieldset>
      <fieldset>
        <legend>Postal address</legend>
        {ADDRESS.map((name) => input(name, ADDRESS_LABELS[name]))}
      </fieldset>
      <button type="submit" disabled={busy} data-testid="save-profile">
        {busy ? 'Saving…' : 'Save'}
      </button>
      {note ? <p role="status">{note}</p> : null}
      <ErrorMessage message={error} testId="profile-error" />
      {change ? (
        <ChangeStatus
          change={change}
          onRetry={() => void tracker.retry()}
          retrying={tracker.retrying}
          testId="profile-change"
        />
      ) : null}
    </form>
  );
}
