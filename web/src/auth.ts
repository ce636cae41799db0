// The bearer token and the "signed out" signal. The token comes from the URL fragment
// (`#token=…`, which never reaches server logs) or the login form, and lives in localStorage.
// Every API call sends it as `Authorization: Bearer`; POST /api/v1/session also turns it into an
// HttpOnly cookie so plain download links (GET) work. Any 401 flips the app to the login screen.
// A login link opened in a tab already showing the app changes only the fragment (no reload):
// onTokenLink notices it.

const KEY = 'dcs.token';

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

let token: string | null = storage()?.getItem(KEY) ?? null;

export function getToken(): string | null {
  return token;
}

export function setToken(value: string | null): void {
  token = value;
  if (value === null) storage()?.removeItem(KEY);
  else storage()?.setItem(KEY, value);
}

export function authHeaders(): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Takes `token=…` out of the URL fragment (keeping any other fragment), storing it. */
export function takeTokenFromFragment(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const params = new URLSearchParams(hash);
  const found = params.get('token');
  if (found === null) return null;
  params.delete('token');
  const rest = params.toString();
  const url = window.location.pathname + window.location.search + (rest ? `#${rest}` : '');
  window.history.replaceState(window.history.state, '', url);
  if (found) setToken(found);
  return found || null;
}

const fragmentHasToken = (): boolean => new URLSearchParams(window.location.hash.replace(/^#/, '')).has('token');

/** Calls `listener` when the fragment gains `token=…` without a page load (the caller takes it). */
export function onTokenLink(listener: () => void): () => void {
  const check = (): void => {
    if (fragmentHasToken()) listener();
  };
  window.addEventListener('hashchange', check);
  return () => window.removeEventListener('hashchange', check);
}

type Listener = (message: string) => void;
const listeners = new Set<Listener>();

export function onUnauthorized(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function reportUnauthorized(message: string): void {
  for (const l of listeners) l(message);
}
