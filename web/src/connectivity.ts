// Whether the dcs server can be reached. navigator.onLine says whether the machine has a network,
// which is not the question for a server on this machine or the LAN: on a machine without any
// network (air-gapped, or a network namespace of its own) Chromium reports offline for good while
// 127.0.0.1 answers, and the UI said "You are offline" and held uploads back. So while the browser
// says offline, the server's /healthz is asked every 2 s, and its answering counts as online.
type Listener = (online: boolean) => void;

const PROBE_MS = 2000;
let online = navigator.onLine;
const listeners = new Set<Listener>();
let timer: ReturnType<typeof setInterval> | undefined;

function set(value: boolean): void {
  if (value === online) return;
  online = value;
  for (const l of listeners) l(value);
}

async function probe(): Promise<void> {
  try {
    set((await fetch('/healthz', { cache: 'no-store' })).ok);
  } catch {
    set(false);
  }
}

function watch(): void {
  clearInterval(timer);
  timer = undefined;
  if (navigator.onLine) return;
  void probe();
  timer = setInterval(() => void probe(), PROBE_MS);
}

window.addEventListener('online', () => {
  clearInterval(timer);
  timer = undefined;
  set(true);
});
window.addEventListener('offline', () => {
  set(false);
  watch();
});
watch();

/**
 * A request got no answer: where the browser cannot tell (it says offline already), ask the
 * server now instead of at the next probe.
 */
export function recheckConnectivity(): void {
  if (!navigator.onLine) void probe();
}

/** The server can be reached (or the browser has a network and nothing says otherwise). */
export function isOnline(): boolean {
  return online;
}

/** Told of every change; returns the unsubscribe. */
export function onConnectivity(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
