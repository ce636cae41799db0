// The live share links of one file (GET /api/v1/shares?name=), loaded with the page and again
// after a link is made; Revoke drops a link on the server and from the list.
import { useCallback, useState } from 'react';
import { ApiError, listShares, revokeShare, type ShareLink } from '../../api.ts';
import { useLatestLoad } from '../../use-latest-load.ts';

export interface ShareLinks {
  links: ShareLink[];
  loading: boolean;
  error: unknown;
  reload(): Promise<void>;
  revoke(ref: string): Promise<void>;
}

export function useShareLinks(name: string): ShareLinks {
  const [links, setLinks] = useState<ShareLink[]>([]);
  const load = useCallback(
    async (signal: AbortSignal): Promise<void> => {
      const r = await listShares(name, signal);
      // The server filters by name; a link to another file must still never show here.
      if (!signal.aborted) setLinks(r.links.filter((l) => l.name === name));
    },
    [name],
  );
  const { loading, error, reload } = useLatestLoad(load);

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
