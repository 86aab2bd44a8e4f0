import { useState, type FormEvent } from 'react';

/**
 * The sign-in screen: a staff API key (admin, agent or read-only) of the CRM's tenant. Kept in this tab's
 * sessionStorage only and sent as `Authorization: Bearer`; the CRM checks it on the first call.
 */
export function SignIn({ onSignIn }: { onSignIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim()) onSignIn(key.trim());
  };
  return (
    <main className="page narrow">
      <h1>Parley agent desktop</h1>
      <form onSubmit={submit} data-testid="sign-in" aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <div className="field">
          <label htmlFor="api-key">Staff API key</label>
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            required
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-describedby="api-key-help"
          />
          <p className="help" id="api-key-help">
            The key of your CRM tenant (admin, agent or read-only), as <code>parley crm serve</code> or{' '}
            <code>parley up</code> printed it. It stays in this tab only.
          </p>
        </div>
        <button type="submit" data-testid="sign-in-submit">
          Sign in
        </button>
      </form>
    </main>
  );
}
