// The link that downloads the ticked rows as one ZIP: files by name, folders by prefix, entry
// names relative to the folder being viewed (`base`). A selection travels in the URL, and servers
// and proxies refuse URLs much beyond 8 KB, so a longer one is not offered.
import { archiveUrl } from './api.ts';
import type { Movable } from './move-names.ts';

export const MAX_ARCHIVE_URL = 8000;

/** The archive link, or undefined when the selection does not fit in one URL. */
export function archiveLink(items: readonly Movable[], base: string): string | undefined {
  const url = archiveUrl({
    name: items.filter((i) => i.kind === 'file').map((i) => i.name),
    prefix: items.filter((i) => i.kind === 'folder').map((i) => i.name),
    ...(base.endsWith('/') ? { base } : {}),
  });
  return url.length <= MAX_ARCHIVE_URL ? url : undefined;
}
