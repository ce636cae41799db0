// A page whose code is fetched on first use (React.lazy), with its spinner, that fetches again
// after a failure. React keeps a lazy component's failed load for good, so a page whose chunk
// could not be fetched once would fail forever; here the next mount after a failure (the Retry
// of PageBoundary.tsx, or coming back to the page) starts with a fresh lazy component. Browsers
// fetch a module again after a failed import(), so a retry really asks the server again.
import { createElement, lazy, Suspense, useState, type ComponentType, type LazyExoticComponent } from 'react';
import { Spinner } from './components/common.tsx';

/** What a failed import() of a chunk throws (Chromium, Firefox and Safari say it differently). */
export function isChunkLoadError(err: unknown): boolean {
  return err instanceof Error && /dynamically imported module|importing a module script failed|error loading dynamically imported module/i.test(err.message);
}

export function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>, loadingLabel: string): ComponentType<P> {
  let failed = false;
  const fresh = (): LazyExoticComponent<ComponentType<P>> =>
    lazy(() =>
      load().catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    );
  let current = fresh();
  // The Suspense is inside this component so that it mounts once per visit: a failed load throws
  // to the error boundary above, and only a new mount (not React's re-render) loads again.
  return function LazyPage(props: P) {
    const [Page] = useState(() => {
      if (failed) {
        failed = false;
        current = fresh();
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
