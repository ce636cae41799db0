// Which page a path shows (the routes are listed in main.tsx). The dashboard pulls in the chart
// library, so its code is fetched only when it is opened (lazy-page.tsx).
import { lazyPage } from './lazy-page.tsx';
import { FilePage } from './pages/FilePage.tsx';
import { FilesPage } from './pages/FilesPage.tsx';
import { S3Page } from './pages/S3Page.tsx';
import { UploadPage } from './pages/UploadPage.tsx';
import { Link } from './router.tsx';

const DashboardPage = lazyPage(() => import('./pages/DashboardPage.tsx'), 'Loading the dashboard');

export function PageForPath({ path, params }: { path: string; params: URLSearchParams }) {
  if (path === '/' || path === '/upload') return <UploadPage />;
  if (path === '/files') return <FilesPage prefix={params.get('prefix') ?? ''} q={params.get('q') ?? ''} />;
  if (path === '/file') {
    const name = params.get('name');
    const v = Number(params.get('version'));
    if (name) return <FilePage key={name} name={name} version={Number.isInteger(v) && v > 0 ? v : undefined} />;
  }
  if (path === '/dashboard') return <DashboardPage />;
  if (path === '/s3') return <S3Page />;
  return (
    <section className="panel">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/files">Browse files</Link>
      </p>
    </section>
  );
}
