// A page whose code is fetched on first use (React.lazy), with its spinner, that fetches again
// after a failure. React keeps a lazy component's failed load for good, so a page whose chunk
// could not be fetched once would fail forever; here the next mount after a failure (the Retry
// of PageBoundary.tsx, or coming back to the page) starts with a fresh lazy component. Current
// browsers fetch a module again after a failed import(), so a retry really asks the server again;
// some builds keep the failure in their module map, and there a retry that fails the same way
// reloads the page once (the only way to clear that map).
import { createElement, lazy, Suspense, useState, type ComponentType, type LazyExoticComponent } from 'react';
import { Spinner } from './components/common.tsx';

/** What a failed import() of a chunk throws (Chromium, Firefox and Safari say it differently). */
export function isChunkLoadError(err: unknown): boolean {
  return err instanceof Error && /dynamically imported module|importing a module script failed|error loading dynamically imported module/i.test(err.message);
}

/** A reload this recent already tried: failing again means the server, not the browser. */
const RELOAD_KEY = 'dcs-chunk-reload-at';
const RELOAD_WINDOW_MS = 30_000;

function reloadOnce(): boolean {
  const last = Number(sessionStorage.getItem(RELOAD_KEY) ?? 0);
  if (Date.now() - last < RELOAD_WINDOW_MS) return false;
  sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
  location.reload();
  return true;
}

/** Whether the chunk a failed import() names answers now (its URL is in the error's message). */
async function serverHasChunk(err: unknown): Promise<boolean> {
  const url = err instanceof Error ? /https?:\/\/\S+?\.js\b/.exec(err.message)?.[0] : undefined;
  if (url === undefined) return false;
  try {
    return (await fetch(url, { method: 'HEAD', cache: 'no-store' })).ok;
  } catch {
    return false;
  }
}

export function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>, loadingLabel: string): ComponentType<P> {
  let failed = false;
  const fresh = (retry: boolean): LazyExoticComponent<ComponentType<P>> =>
    lazy(() =>
      load().catch((err: unknown) => {
        failed = true;
        if (!retry || !isChunkLoadError(err)) throw err;
        // The same failure again: the server may still be away, or the browser may be answering
        // from its memory of the first failure. Only the second needs (and gets) a reload.
        return serverHasChunk(err).then((up) => {
          if (up && reloadOnce()) return new Promise<never>(() => {});
          throw err;
        });
      }),
    );
  let current = fresh(false);
  // The Suspense is inside this component so that it mounts once per visit: a failed load throws
  // to the error boundary above, and only a new mount (not React's re-render) loads again.
  return function LazyPage(props: P) {
    const [Page] = useState(() => {
      if (failed) {
        failed = false;
        current = fresh(true);
      }
      return current;
    });
    return (
      <Suspense
        fallback={
          <div className="center-block">
            <Spinner label={loadingLabel} />
          </div>
        }
      >
        {createElement(Page, props)}
      </Suspense>
    );
  };
}
