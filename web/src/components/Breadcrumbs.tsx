// The folder path as links: "All files / logs / 2024". The file browser marks the folder it shows
// as the current page; the file page links every folder above the file. A long folder name is cut
// with an ellipsis (full name in the tooltip), so the crumbs stay on one or two lines.
import { filesHref, Link } from '../router.tsx';

export function Breadcrumbs({ prefix, lastIsCurrent = false, testId }: { prefix: string; lastIsCurrent?: boolean; testId?: string }) {
  const crumbs = breadcrumbs(prefix);
  return (
    <nav aria-label="Breadcrumbs" className="crumbs" data-testid={testId}>
      <ol>
        {crumbs.map((c, i) => (
          <li key={c.prefix}>
            {lastIsCurrent && i === crumbs.length - 1 ? (
              <span aria-current="page" title={c.label}>
                {c.label}
              </span>
            ) : (
              <Link to={filesHref(c.prefix)} title={c.label}>
                {c.label}
              </Link>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

function breadcrumbs(prefix: string): { label: string; prefix: string }[] {
  const out = [{ label: 'All files', prefix: '' }];
  let acc = '';
  for (const part of prefix.split('/')) {
    if (!part) continue;
    acc += `${part}/`;
    out.push({ label: part, prefix: acc });
  }
  // A prefix that does not end with "/" (typed by hand) still gets a last crumb.
  if (prefix && !prefix.endsWith('/')) out[out.length - 1]!.prefix = prefix;
  return out;
}
