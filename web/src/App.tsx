// The app's boot: token from the fragment (on load, and when a login link is opened in this tab)
// → session cookie → GET /api/v1/info; the login screen on any 401, saying why; then the shell.
import { useCallback, useEffect, useState } from 'react';
import { closeSession, getInfo, openSession, type Info } from './api.ts';
import { getToken, onTokenLink, onUnauthorized, setToken, takeTokenFromFragment } from './auth.ts';
import { ErrorLine, Spinner } from './components/common.tsx';
import type { LoginReason } from './components/login/LoginReason.tsx';
import { Shell } from './components/shell/Shell.tsx';
import { InfoContext } from './info.ts';
import { Login } from './pages/Login.tsx';

type Boot =
  | { kind: 'loading' }
  | { kind: 'ready'; info: Info }
  | { kind: 'login'; reason: LoginReason }
  | { kind: 'error'; error: unknown };

const isUnauthorized = (err: unknown): boolean => err instanceof Error && 'status' in err && err.status === 401;

export function App() {
  const [boot, setBoot] = useState<Boot>({ kind: 'loading' });

  const start = useCallback(async (): Promise<void> => {
    setBoot({ kind: 'loading' });
    const fromLink = takeTokenFromFragment();
    const token = getToken();
    try {
      if (token) {
        // Refreshes the HttpOnly cookie that download links rely on.
        try {
          await openSession(token);
        } catch (err) {
          if (isUnauthorized(err)) {
            setToken(null);
            setBoot({ kind: 'login', reason: fromLink ? 'link-rejected' : 'saved-rejected' });
            return;
          }
          throw err;
        }
      }
      const info = await getInfo();
      setBoot({ kind: 'ready', info });
    } catch (err) {
      if (isUnauthorized(err)) return; // the 401 listener shows the login
      setBoot({ kind: 'error', error: err });
    }
  }, []);

  useEffect(() => {
    void start();
  }, [start]);

  // A login link opened in this tab changes only the fragment: sign in with its token.
  useEffect(() => onTokenLink(() => void start()), [start]);

  useEffect(
    () =>
      onUnauthorized(() => {
        // No token sent: a first visit. A token sent and refused: the server's token changed.
        const hadToken = getToken() !== null;
        setToken(null);
        setBoot({ kind: 'login', reason: hadToken ? 'saved-rejected' : 'first-visit' });
      }),
    [],
  );

  const signOut = useCallback(async (): Promise<void> => {
    try {
      await closeSession();
    } catch {
      // the cookie expires anyway
    }
    setToken(null);
    setBoot({ kind: 'login', reason: 'signed-out' });
  }, []);

  if (boot.kind === 'loading') {
    return (
      <div className="center-screen">
        <Spinner label="Connecting" />
      </div>
    );
  }
  if (boot.kind === 'login') {
    return (
      <Login
        reason={boot.reason}
        onSignedIn={(token) => {
          setToken(token);
          void start();
        }}
      />
    );
  }
  if (boot.kind === 'error') {
    return (
      <div className="center-screen">
        <div className="panel boot-error">
          <h1>Cannot reach the dcs server</h1>
          <ErrorLine error={boot.error} onRetry={() => void start()} />
        </div>
      </div>
    );
  }
  return (
    <InfoContext.Provider value={boot.info}>
      <Shell info={boot.info} onSignOut={() => void signOut()} />
    </InfoContext.Provider>
  );
}
