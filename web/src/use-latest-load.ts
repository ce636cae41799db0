// A load that runs when the component mounts and again whenever `load` changes (its inputs did),
// cancelling the one before: only the newest request may set state, and leaving the page aborts it.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface LatestLoad {
  loading: boolean;
  error: unknown;
  setError(error: unknown): void;
  reload(): Promise<void>;
}

/** `load` sets its own state; it must check `signal.aborted` after each await before doing so. */
export function useLatestLoad(load: (signal: AbortSignal) => Promise<void>): LatestLoad {
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const abortRef = useRef<AbortController | undefined>(undefined);

  const reload = useCallback(async (): Promise<void> => {
    abortRef.current?.abort();
    const ac = new AbortController();
    abortRef.current = ac;
    setLoading(true);
    setError(undefined);
    try {
      await load(ac.signal);
    } catch (err) {
      if (!ac.signal.aborted) setError(err);
    } finally {
      if (!ac.signal.aborted) setLoading(false);
    }
  }, [load]);

  useEffect(() => {
    void reload();
    return () => abortRef.current?.abort();
  }, [reload]);

  return { loading, error, setError, reload };
}
