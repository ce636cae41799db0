// Notices that the server now serves another build of the UI than the one this tab runs (dcs was
// upgraded, or rebuilt, while the tab stayed open). Vite names every asset after a hash of its
// content, so the script and stylesheet URLs in index.html identify a build: the tab reads them
// from its own document once at start, and compares them with a fresh GET /index.html
//  - when a page's code fails to load (the old chunks may be gone: see PageBoundary.tsx),
//  - when the tab comes back into view (at most once a minute), and every 10 minutes while open.
// Then the shell offers a reload (NewerBuildBanner.tsx). Never compared: the builds' age — any
// different build counts, since the server's is the one to use.
import { useSyncExternalStore } from 'react';

const ASSETS = 'script[type="module"][src], link[rel="stylesheet"][href]';
const MIN_GAP_MS = 60_000;
const EVERY_MS = 10 * 60_000;

/** The build a document links: its module scripts and stylesheets, sorted ('' when none). */
export function buildIdOf(doc: ParentNode): string {
  const urls = [...doc.querySelectorAll(ASSETS)].map((el) => el.getAttribute('src') ?? el.getAttribute('href') ?? '');
  return [...new Set(urls)].sort().join(' ');
}

// Read before any page is loaded lazily: loading one adds the chunk's stylesheet links to <head>.
const running = buildIdOf(document);

let newer = false;
let lastCheck = Date.now();
let inflight: Promise<boolean> | undefined;
const listeners = new Set<() => void>();

/** Asks the server which build it serves; true (and the banner shows) when it is not this tab's. */
export function checkForNewerBuild(): Promise<boolean> {
  if (newer) return Promise.resolve(true);
  inflight ??= (async () => {
    try {
      const res = await fetch('/index.html', { cache: 'no-store', credentials: 'same-origin' });
      if (!res.ok) return false;
      const served = buildIdOf(new DOMParser().parseFromString(await res.text(), 'text/html'));
      if (served !== '' && running !== '' && served !== running) {
        newer = true;
        for (const l of listeners) l();
      }
      return newer;
    } catch {
      return false; // the server is unreachable: nothing to compare now
    } finally {
      lastCheck = Date.now();
      inflight = undefined;
    }
  })();
  return inflight;
}

function checkIfDue(): void {
  if (document.visibilityState === 'visible' && Date.now() - lastCheck >= MIN_GAP_MS) void checkForNewerBuild();
}

let watching = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** Checks when the tab comes back into view and every few minutes, until the returned stop(). */
export function watchForNewerBuild(): () => void {
  if (watching++ === 0) {
    window.addEventListener('focus', checkIfDue);
    document.addEventListener('visibilitychange', checkIfDue);
    timer = setInterval(checkIfDue, EVERY_MS);
  }
  return () => {
    if (--watching > 0) return;
    window.removeEventListener('focus', checkIfDue);
    document.removeEventListener('visibilitychange', checkIfDue);
    clearInterval(timer);
  };
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether the server serves another build than this tab's (once true, it stays true). */
export function useNewerBuild(): boolean {
  return useSyncExternalStore(subscribe, () => newer);
}
