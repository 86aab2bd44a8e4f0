import { useId, useState, type FormEvent } from 'react';
import { describeError, type AgentApi } from '../api';
import { intentAnchor, shortDid } from '../labels';
import { INTENT_TERMS, type Intent, type NewIntent } from '../types';
import { ErrorMessage } from './ErrorMessage';

/** A vendor she could push to: one she has a relationship with, or one that answered an earlier intent. */
export interface KnownVendor {
  url: string;
  name: string;
  why: string;
}

interface Props {
  api: AgentApi;
  knownVendors: KnownVendor[];
  onCreated: (intent: Intent) => void;
}

const TOKEN = /^[A-Za-z0-9_.:-]{1,100}$/;
const MAX_DAYS = 90;

class FormError extends Error {}

/** "a, b, a ,," → ["a", "b"]; each checked against the agent's pattern, the field named when one is not. */
function tokens(text: string, field: string): string[] {
  const list = [...new Set(text.split(',').map((t) => t.trim()))].filter((t) => t !== '');
  const bad = list.find((t) => !TOKEN.test(t));
  if (bad !== undefined) {
    throw new FormError(
      `${field}: “${bad}” may hold only letters, digits and . _ : - (no spaces; separate them with commas).`,
    );
  }
  if (list.length > 20) throw new FormError(`${field}: at most 20.`);
  return list;
}

function money(text: string, field: string): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new FormError(`${field}: expected an amount of 0 or more.`);
  return value;
}

/** Vendor URLs typed one a line (or separated by spaces or commas), each an http(s) URL. */
function vendorUrls(text: string): string[] {
  const list = text.split(/[\s,]+/).filter((u) => u !== '');
  for (const url of list) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new FormError(`More vendors, by URL: “${url}” is not a URL.`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new FormError(`More vendors, by URL: “${url}” is not an http(s) URL.`);
  }
  return list;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What happened right after the intentcast: its one-off identity and how each vendor pushed to took it. */
function summary(intent: Intent): string {
  const count = (status: string) => intent.pushes.filter((p) => p.status === status).length;
  const outcomes = [
    [count('answered'), 'answered'],
    [count('pending'), 'deciding (their answers will appear below)'],
    [count('failed'), 'failed'],
  ] as const;
  const pushed =
    intent.pushes.length === 0
      ? 'Not pushed to any vendor: vendors that follow your feed can answer it.'
      : `Pushed to ${plural(intent.pushes.length, 'vendor')}: ` +
        outcomes
          .filter(([n]) => n > 0)
          .map(([n, what]) => `${n} ${what}`)
          .join(', ') +
        '.';
  return `Intentcast with the one-off identity ${shortDid(intent.did)}. ${pushed}`;
}

/**
 * "I want…": what she wants, her price and where (never an address), how long it stands, the terms she will
 * talk under, and the vendors she chooses to push it to. Nobody learns who she is from it.
 */
export function IntentForm({ api, knownVendors, onCreated }: Props) {
  const id = useId();
  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [brands, setBrands] = useState('');
  const [min, setMin] = useState('');
  const [max, setMax] = useState('');
  const [currency, setCurrency] = useState('EUR');
  const [country, setCountry] = useState('');
  const [region, setRegion] = useState('');
  const [days, setDays] = useState('14');
  const [terms, setTerms] = useState<string[]>(INTENT_TERMS.map((t) => t.code));
  const [chosen, setChosen] = useState<string[]>([]);
  const [others, setOthers] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<Intent | null>(null);

  /** A blank form after an intentcast: the vendors answered are in the checklist now. */
  function reset() {
    setCategory('');
    setDescription('');
    setTags('');
    setBrands('');
    setMin('');
    setMax('');
    setCurrency('EUR');
    setCountry('');
    setRegion('');
    setDays('14');
    setTerms(INTENT_TERMS.map((t) => t.code));
    setChosen([]);
    setOthers('');
  }

  function build(): NewIntent {
    const what = {
      category: category.trim(),
      description: description.trim(),
      tags: tokens(tags, 'Tags'),
    };
    if (!TOKEN.test(what.category)) {
      throw new FormError(
        'Category: one word of letters, digits and . _ : - (for example “bicycles”), at most 100.',
      );
    }
    if (what.description === '') throw new FormError('What you want: say it in a few words.');
    const brandList = tokens(brands, 'Brands');
    const low = money(min, 'Lowest price');
    const high = money(max, 'Highest price');
    if (high === undefined) throw new FormError('Highest price: how much will you pay at most?');
    if (low !== undefined && low > high) throw new FormError('Lowest price: more than the highest price.');
    const code = currency.trim().toUpperCase();
    if (!/^[A-Z]{3}$/.test(code)) throw new FormError('Currency: a three-letter code such as EUR.');
    const place = country.trim().toUpperCase();
    if (place !== '' && !/^[A-Z]{2}$/.test(place))
      throw new FormError('Country: a two-letter code such as NL.');
    if (place === '' && region.trim() !== '') throw new FormError('Country: needed when you name a region.');
    const n = Number(days);
    if (!Number.isInteger(n) || n < 1 || n > MAX_DAYS)
      throw new FormError(`Valid for: a whole number of days from 1 to ${MAX_DAYS}.`);
    if (terms.length === 0) throw new FormError('Terms: choose at least one.');
    const vendors = [...new Set([...chosen, ...vendorUrls(others)])];
    return {
      intent: { ...what, ...(brandList.length > 0 ? { brands: brandList } : {}) },
      price: { ...(low !== undefined ? { min: low } : {}), max: high, currency: code },
      ...(place !== ''
        ? { location: { country: place, ...(region.trim() ? { region: region.trim() } : {}) } }
        : {}),
      validUntil: new Date(Date.now() + n * 86_400_000).toISOString(),
      // In the form's order, which is her order of preference.
      terms: INTENT_TERMS.map((t) => t.code).filter((c) => terms.includes(c)),
      ...(vendors.length > 0 ? { vendors } : {}),
    };
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setCreated(null);
    let input: NewIntent;
    try {
      input = build();
    } catch (e) {
      setError(e instanceof FormError ? e.message : describeError(e));
      return;
    }
    setBusy(true);
    try {
      const intent = await api.createIntent(input);
      setCreated(intent);
      reset();
      onCreated(intent);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (list: string[], value: string, on: boolean) =>
    on ? [...list.filter((v) => v !== value), value] : list.filter((v) => v !== value);

  return (
    <form onSubmit={submit} data-testid="intent-form" noValidate>
      <p className="help">
        Vendors see what you want, your price, where (roughly) and your terms, signed with an identity made
        for this intent alone. They do not learn who you are unless you take an offer.
      </p>
      <fieldset>
        <legend>What</legend>
        <div className="field">
          <label htmlFor={`${id}-category`}>Category</label>
          <input
            id={`${id}-category`}
            name="category"
            required
            placeholder="bicycles"
            value={category}
            onChange={(e) => setCategory(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-description`}>What you want</label>
          <textarea
            id={`${id}-description`}
            name="description"
            required
            maxLength={1000}
            rows={2}
            placeholder="An e-bike for commuting, belt drive"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-tags`}>Tags</label>
          <input
            id={`${id}-tags`}
            name="tags"
            placeholder="e-bike, commuter"
            value={tags}
            onChange={(e) => setTags(e.target.value)}
            aria-describedby={`${id}-tags-help`}
          />
          <p id={`${id}-tags-help`} className="help">
            Separated by commas.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-brands`}>Brands (optional)</label>
          <input
            id={`${id}-brands`}
            name="brands"
            placeholder="Gazelle, Cortina"
            value={brands}
            onChange={(e) => setBrands(e.target.value)}
          />
        </div>
      </fieldset>
      <fieldset>
        <legend>Price</legend>
        <div className="row">
          <div className="field">
            <label htmlFor={`${id}-min`}>Lowest price</label>
            <input
              id={`${id}-min`}
              name="min"
              type="number"
              min={0}
              step="any"
              inputMode="decimal"
              value={min}
              onChange={(e) => setMin(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-max`}>Highest price</label>
            <input
              id={`${id}-max`}
              name="max"
              type="number"
              min={0}
              step="any"
              inputMode="decimal"
              required
              value={max}
              onChange={(e) => setMax(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-currency`}>Currency</label>
            <input
              id={`${id}-currency`}
              name="currency"
              required
              maxLength={3}
              autoComplete="off"
              value={currency}
              onChange={(e) => setCurrency(e.target.value.toUpperCase())}
            />
          </div>
        </div>
      </fieldset>
      <fieldset>
        <legend>Where and how long</legend>
        <div className="row">
          <div className="field">
            <label htmlFor={`${id}-country`}>Country (two letters)</label>
            <input
              id={`${id}-country`}
              name="country"
              maxLength={2}
              autoComplete="off"
              placeholder="NL"
              value={country}
              onChange={(e) => setCountry(e.target.value.toUpperCase())}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-region`}>Region (optional)</label>
            <input
              id={`${id}-region`}
              name="region"
              maxLength={100}
              autoComplete="off"
              placeholder="Utrecht"
              value={region}
              onChange={(e) => setRegion(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-days`}>Valid for (days)</label>
            <input
              id={`${id}-days`}
              name="days"
              type="number"
              min={1}
              max={MAX_DAYS}
              step={1}
              required
              value={days}
              onChange={(e) => setDays(e.target.value)}
            />
          </div>
        </div>
        <p className="help">Never an address: a country, and a region if you like.</p>
      </fieldset>
      <fieldset>
        <legend>Your terms, in your order</legend>
        {INTENT_TERMS.map((t) => (
          <label key={t.code} className="check">
            <input
              type="checkbox"
              checked={terms.includes(t.code)}
              onChange={(e) => setTerms((list) => toggle(list, t.code, e.target.checked))}
              data-testid={`intent-terms-${t.code}`}
            />{' '}
            <strong>{t.code}</strong> {t.title}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Vendors to push it to (optional)</legend>
        {knownVendors.length > 0 ? (
          <div data-testid="intent-known-vendors">
            {knownVendors.map((v) => (
              <label key={v.url} className="check">
                <input
                  type="checkbox"
                  checked={chosen.includes(v.url)}
                  onChange={(e) => setChosen((list) => toggle(list, v.url, e.target.checked))}
                />{' '}
                {v.name} <span className="muted">({v.why})</span>
                <span className="url known-url">{v.url}</span>
              </label>
            ))}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={`${id}-vendors`}>More vendors, by URL</label>
          <textarea
            id={`${id}-vendors`}
            name="vendors"
            rows={3}
            placeholder="https://crm.example/parley/v1/vendors/…"
            value={others}
            onChange={(e) => setOthers(e.target.value)}
            aria-describedby={`${id}-vendors-help`}
          />
          <p id={`${id}-vendors-help`} className="help">
            One a line. Each gets the intent signed with its one-off identity, not the one you use with it.
            Vendors that follow your feed can answer too.
          </p>
        </div>
      </fieldset>
      <button type="submit" disabled={busy} data-testid="send-intent">
        {busy ? 'Sending…' : 'Intentcast'}
      </button>
      <ErrorMessage message={error} testId="intent-error" />
      {created ? (
        <p role="status" data-testid="intent-created" data-intent-id={created.id}>
          {summary(created)} <a href={`#${intentAnchor(created.id)}`}>See its answers</a>.
        </p>
      ) : null}
    </form>
  );
}
