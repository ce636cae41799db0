// The login screen (on any 401): why it shows, where the token comes from, and the token form,
// which exchanges the token for a session cookie. Failures are said in words, in full.
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage, openSession } from '../api.ts';
import { ErrorLine } from '../components/common.tsx';
import { LoginHelp } from '../components/login/LoginHelp.tsx';
import { LoginReasonLine, type LoginReason } from '../components/login/LoginReason.tsx';

/** A failed sign-in as a sentence that says what to do (never the server's error code). */
function signInFailure(err: unknown): Error {
  if (err instanceof ApiError && err.status === 401) return new Error('That token is not accepted by this server. Check that you pasted all of it, then try again.');
  if (err instanceof ApiError && err.status === 0) return new Error('The dcs server did not answer. Check that it is running, then try again.');
  return new Error(`Signing in did not work (${errorMessage(err)}). Try again in a moment.`);
}

export function Login({ reason, onSignedIn }: { reason: LoginReason; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
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
      setError(signInFailure(err));
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
        <LoginReasonLine reason={reason} />
        <LoginHelp />
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
        <ErrorLine error={error} wrap />
        <button type="submit" className="btn btn--primary btn--block" disabled={busy || !token.trim()} data-testid="login-submit">
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="muted small">The token stays in this browser (localStorage) until you sign out.</p>
      </form>
    </div>
  );
}
