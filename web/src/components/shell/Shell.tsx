// The frame around every page: the top bar (brand, navigation, version, Sign out), the offline and
// newer-build banners, and the page for the current path inside an error boundary, so a page that
// fails (or whose code cannot be fetched) never takes the navigation with it.
import type { Info } from '../../api.ts';
import { PageForPath } from '../../routes.tsx';
import { Link, useLocation } from '../../router.tsx';
import { useOnline } from '../common.tsx';
import { NewerBuildBanner } from './NewerBuildBanner.tsx';
import { PageBoundary } from './PageBoundary.tsx';

const NAV = [
  { to: '/', label: 'Upload', match: (p: string) => p === '/' },
  { to: '/files', label: 'Files', match: (p: string) => p === '/files' || p === '/file' },
  { to: '/dashboard', label: 'Dashboard', match: (p: string) => p === '/dashboard' },
  { to: '/s3', label: 'S3', match: (p: string) => p === '/s3' },
];

export function Shell({ info, onSignOut }: { info: Info; onSignOut: () => void }) {
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
      <NewerBuildBanner />
      {!online ? (
        <div className="banner banner--warn" role="status" data-testid="offline-banner">
          You are offline. Uploads pause and resume by themselves when the connection returns.
        </div>
      ) : null}
      <main className="main">
        <PageBoundary key={path}>
          <PageForPath path={path} params={params} />
        </PageBoundary>
      </main>
    </div>
  );
}
