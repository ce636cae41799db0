// Whether each backend answers right now, for the dashboard: a HEAD of the repository marker
// every backend holds, with a short timeout, cached briefly so a busy dashboard does not turn
// into load on the backends. A local disk that vanished shows as down just like a dead node.
import { errorMessage } from '../core/errors.ts';
import type { Placement } from '../storage/placement.ts';
import type { BackendState } from './repository.ts';
import { REPO_MARKER_KEY } from './stores.ts';

export function backendProbe(placement: Placement, options: { timeoutMs?: number; cacheMs?: number } = {}): () => Promise<Map<string, BackendState>> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const cacheMs = options.cacheMs ?? 5000;
  let cached: { at: number; states: Promise<Map<string, BackendState>> } | undefined;
  const probe = async (): Promise<Map<string, BackendState>> => {
    const results = await Promise.all(
      placement.backends.map(async (b): Promise<[string, BackendState]> => {
        if (!placement.isUp(b.name)) return [b.name, { up: false, error: 'not answering (health checks or circuit breaker)' }];
        try {
          const marker = await b.store.head(REPO_MARKER_KEY, { signal: AbortSignal.timeout(timeoutMs) });
          return [b.name, marker ? { up: true } : { up: false, error: 'repository marker missing (wrong location, or the disk was replaced)' }];
        } catch (err) {
          return [b.name, { up: false, error: errorMessage(err).split('\n', 1)[0]! }];
        }
      }),
    );
    return new Map(results);
  };
  return () => {
    if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), states: probe() };
    return cached.states;
  };
}
