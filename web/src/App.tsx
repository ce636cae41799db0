// The shell: boot (token from the fragment → session cookie → GET /api/v1/info), the login
// screen on any 401, the navigation, the offline banner and the routes.
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { closeSession, getInfo, openSession, type Info } from './api.ts';
import { getToken, onUnauthorized, setToken, takeTokenFromFragment } from './auth.ts';
import { ErrorLine, Spinner, useOnline } from './components/common.tsx';
import { InfoContext } from './info.ts';
import { Login } from './pages/Login.tsx';
import { FilesPage } from './pages/FilesPage.tsx';
import { FilePage } from './pages/FilePage.tsx';
import { UploadPage } from './pages/UploadPage.tsx';
import { Link, useLocation } from './router.tsx';

// The dashboard pulls in the chart library: load it only when it is opened.
const DashboardPage = lazy(() => import('./pages/DashboardPage.tsx'));

type Boot =
  | { kind: 'loading' }
  | { kind: 'ready'; info: Info }
  | { kind: 'login'; message: string }
  | { kind: 'error'; error: unknown };

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
          if (err instanceof Error && 'status' in err && err.status === 401) {
            setToken(null);
            setBoot({ kind: 'login', message: fromLink ? 'The token in the link was not accepted.' : 'The saved token is no longer accepted.' });
            return;
          }
          throw err;
        }
      }
      const info = await getInfo();
      setBoot({ kind: 'ready', info });
    } catch (err) {
      if (err instanceof Error && 'status' in err && err.status === 401) return; // the 401 listener shows the login
      setBoot({ kind: 'error', error: err });
    }
  }, []);

  useEffect(() => {
    void start();
  }, [start]);

  useEffect(
    () =>
      onUnauthorized((message) => {
        setToken(null);
        setBoot({ kind: 'login', message });
      }),
    [],
  );

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
        message={boot.message}
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
      <Shell info={boot.info} onSignOut={() => void signOut(start)} />
    </InfoContext.Provider>
  );
}

async function signOut(restart: () => Promise<void>): Promise<void> {
  try {
    await closeSession();
  } catch {
    // the cookie expires anyway
  }
  setToken(null);
  await restart();
}

const NAV = [
  { to: '/', label: 'Upload', match: (p: string) => p === '/' },
  { to: '/files', label: 'Files', match: (p: string) => p === '/files' || p === '/file' },
  { to: '/dashboard', label: 'Dashboard', match: (p: string) => p === '/dashboard' },
];

function Shell({ info, onSignOut }: { info: Info; onSignOut: () => void }) {
  const { path, params } = useLocation();
  const online = useOnline();
  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar__inner">
          <Link to="/" className="brand" aria-label="dcs home">
            <img src="/favicon.svg" alt="" width={22} height={22} />
            <span>dcs</span>
          </Link>
          <nav aria-label="Main" className="nav">
            {NAV.map((n) => (
              <Link key={n.to} to={n.to} className={`nav__link${n.match(path) ? ' nav__link--active' : ''}`} aria-current={n.match(path) ? 'page' : undefined}>
                {n.label}
              </Link>
            ))}
          </nav>
          <div className="topbar__right">
            <span className="muted small hide-narrow" title={`dcs ${info.version}${info.encrypted ? ', encrypted repository' : ''}`}>
              v{info.version}
              {info.encrypted ? ' · encrypted' : ''}
            </span>
            {info.auth ? (
              <button type="button" className="btn btn--ghost btn--small" onClick={onSignOut} data-testid="sign-out">
                Sign out
              </button>
            ) : (
              <span className="badge badge--degraded" title="The server runs with --insecure-open: no token needed">
                open
              </span>
            )}
          </div>
        </div>
      </header>
      {!online ? (
        <div className="banner banner--warn" role="status" data-testid="offline-banner">
          You are offline. Uploads pause and resume by themselves when the connection returns.
        </div>
      ) : null}
      <main className="main">
        <Route path={path} params={params} />
      </main>
    </div>
  );
}

function Route({ path, params }: { path: string; params: URLSearchParams }) {
  if (path === '/' || path === '/upload') return <UploadPage />;
  if (path === '/files') return <FilesPage prefix={params.get('prefix') ?? ''} q={params.get('q') ?? ''} />;
  if (path === '/file') {
    const name = params.get('name');
    const v = Number(params.get('version'));
    if (name) return <FilePage key={name} name={name} version={Number.isInteger(v) && v > 0 ? v : undefined} />;
  }
  if (path === '/dashboard') {
    return (
      <Suspense
        fallback={
          <div className="center-block">
            <Spinner label="Loading the dashboard" />
          </div>
        }
      >
        <DashboardPage />
      </Suspense>
    );
  }
  return (
    <section className="panel">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/files">Browse files</Link>
      </p>
    </section>
  );
}
