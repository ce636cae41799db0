// Shown when the server answers 401: asks for the token and exchanges it for a session cookie.
import { useState, type FormEvent } from 'react';
import { ApiError, openSession } from '../api.ts';
import { ErrorLine } from '../components/common.tsx';

export function Login({ message, onSignedIn }: { message: string; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return;
    setBusy(true);
    setError(undefined);
    try {
      await openSession(t);
      onSignedIn(t);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? new ApiError(401, err.code, `${err.message} — check the token and try again`) : err);
      setBusy(false);
    }
  };
  return (
    <div className="center-screen">
      <form className="panel login" onSubmit={(e) => void submit(e)} data-testid="login" aria-labelledby="login-title">
        <div className="login__brand">
          <img src="/favicon.svg" alt="" width={36} height={36} />
          <h1 id="login-title">Sign in to dcs</h1>
        </div>
        <p>
          This server needs an access token: the one printed by <code>npm start</code>, or the value set in <code>DCS_TOKEN</code> when the
          server was started.
        </p>
        {message ? (
          <p className="login__reason" role="status" data-testid="login-reason">
            {message}
          </p>
        ) : null}
        <label className="field">
          <span>Access token</span>
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
            data-testid="token-input"
          />
        </label>
        <ErrorLine error={error} />
        <button type="submit" className="btn btn--primary btn--block" disabled={busy || !token.trim()} data-testid="login-submit">
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="muted small">
          Tip: open the link <code>http://HOST:PORT/#token=…</code> to sign in directly. The token stays in this browser (localStorage) until you sign
          out.
        </p>
      </form>
    </div>
  );
}
