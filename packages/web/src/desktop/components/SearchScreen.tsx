import { useState, type FormEvent } from 'react';
import { describeError } from '../api';
import { useDesktop } from '../desktop';
import { personName } from '../format';
import { customerHref } from '../route';
import type { Individual } from '../types';
import { ErrorMessage } from './Messages';

/**
 * Finds customers through TMF632 (`GET /tmf-api/party/v4/individual?familyName=…&givenName=…`, exact
 * matches as the CRM's TMF filters do), or opens one by its party id; each result leads to its Customer 360.
 */
export function SearchScreen() {
  const { api } = useDesktop();
  const [familyName, setFamilyName] = useState('');
  const [givenName, setGivenName] = useState('');
  const [partyId, setPartyId] = useState('');
  const [results, setResults] = useState<Individual[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const search = async (event: FormEvent) => {
    event.preventDefault();
    if (!familyName.trim() && !givenName.trim()) {
      setError('Give a family name or a given name.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setResults(
        await api.searchIndividuals({
          ...(familyName.trim() ? { familyName: familyName.trim() } : {}),
          ...(givenName.trim() ? { givenName: givenName.trim() } : {}),
        }),
      );
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  const open = (event: FormEvent) => {
    event.preventDefault();
    if (partyId.trim()) window.location.hash = customerHref(partyId.trim());
  };

  return (
    <>
      <h1>Search customers</h1>
      <div className="cards two">
        <form onSubmit={(e) => void search(e)} data-testid="search-form" aria-labelledby="by-name">
          <h2 id="by-name">By name</h2>
          <div className="field">
            <label htmlFor="family-name">Family name</label>
            <input id="family-name" value={familyName} onChange={(e) => setFamilyName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="given-name">Given name</label>
            <input id="given-name" value={givenName} onChange={(e) => setGivenName(e.target.value)} />
          </div>
          <p className="help">Exact names, as written on the record (TMF632 attribute filters).</p>
          <button type="submit" disabled={busy} data-testid="search-submit">
            Search
          </button>
        </form>
        <form onSubmit={open} aria-labelledby="by-id">
          <h2 id="by-id">By party or customer id</h2>
          <div className="field">
            <label htmlFor="party-id">Id</label>
            <input id="party-id" value={partyId} onChange={(e) => setPartyId(e.target.value)} />
          </div>
          <button type="submit">Open Customer 360</button>
        </form>
      </div>
      <ErrorMessage message={error} testId="search-error" />
      {results && (
        <section aria-labelledby="results-heading">
          <h2 id="results-heading" aria-live="polite" data-testid="search-count">
            {results.length === 0 ? 'No one found' : `${results.length} found`}
          </h2>
          {results.length > 0 && (
            <table data-testid="search-results">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Contact</th>
                  <th scope="col">Id</th>
                </tr>
              </thead>
              <tbody>
                {results.map((p) => (
                  <tr key={p.id} data-testid={`result-${p.id}`}>
                    <td>
                      <a href={customerHref(p.id)} data-testid="result-link">
                        {personName(p)}
                      </a>
                    </td>
                    <td>{p.status ?? ''}</td>
                    <td>
                      {(p.contactMedium ?? [])
                        .map((m) =>
                          String(m.characteristic?.emailAddress ?? m.characteristic?.phoneNumber ?? ''),
                        )
                        .filter(Boolean)
                        .join(', ')}
                    </td>
                    <td className="url">{p.id}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
