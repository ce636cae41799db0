// The live share links of one file (GET /api/v1/shares?name=), loaded with the page and again
// after a link is made; Revoke drops a link on the server and from the list.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, listShares, revokeShare, type ShareLink } from '../../api.ts';

export interface ShareLinks {
  links: ShareLink[];
  loading: boolean;
  error: unknown;
  reload(): Promise<void>;
  revoke(ref: string): Promise<void>;
}

export function useShareLinks(name: string): ShareLinks {
  const [links, setLinks] = useState<ShareLink[]>([]);
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
      const r = await listShares(name, ac.signal);
      // The server filters by name; a link to another file must still never show here.
      if (!ac.signal.aborted) setLinks(r.links.filter((l) => l.name === name));
    } catch (err) {
      if (!ac.signal.aborted) setError(err);
    } finally {
      if (!ac.signal.aborted) setLoading(false);
    }
  }, [name]);

  useEffect(() => {
    void reload();
    return () => abortRef.current?.abort();
  }, [reload]);

  const revoke = async (ref: string): Promise<void> => {
    try {
      await revokeShare(ref);
    } catch (err) {
      // 404: expired or revoked elsewhere in the meantime, which is what Revoke wanted.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    setLinks((l) => l.filter((x) => x.ref !== ref));
  };

  return { links, loading, error, reload, revoke };
}
