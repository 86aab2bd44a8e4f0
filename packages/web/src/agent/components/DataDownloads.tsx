import { useState } from 'react';
import { describeError, type AgentApi } from '../api';
import type { Relationship } from '../types';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  api: AgentApi;
  relationship: Relationship;
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'vendor'
  );
}

/** Saves a Blob as a file: a temporary object URL behind a link with `download`, clicked once. */
function save(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Her own data back from the vendor, fetched with the bearer token (a plain link could not carry it). */
export function DataDownloads({ api, relationship }: Props) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const base = slug(relationship.vendor.name);
  if (relationship.status !== 'active') return null;

  async function download(what: 'json' | 'usage') {
    setBusy(what);
    setError(null);
    try {
      const file =
        what === 'json'
          ? await api.data(relationship.id, 'json')
          : await api.data(relationship.id, 'csv', 'usage');
      save(file.blob, what === 'json' ? `${base}-my-data.json` : `${base}-usage.csv`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="downloads">
      <p>Download what {relationship.vendor.name} holds about you:</p>
      <div className="buttons">
        <button
          type="button"
          className="link"
          disabled={busy !== null}
          onClick={() => void download('json')}
          data-testid="download-json"
        >
          {busy === 'json' ? 'Downloading…' : 'Download my data (JSON)'}
        </button>
        <button
          type="button"
          className="link"
          disabled={busy !== null}
          onClick={() => void download('usage')}
          data-testid="download-usage-csv"
        >
          {busy === 'usage' ? 'Downloading…' : 'Download my usage records (CSV)'}
        </button>
      </div>
      <ErrorMessage message={error} />
    </div>
  );
}
