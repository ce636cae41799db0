// Writes one chunk envelope to `replicas` distinct backends, best-ranked first. A backend that
// fails is replaced by the next one in rendezvous order, so one dead or full disk does not fail
// the write while enough others remain; if too few accept it, the write fails with every reason.
import type { ChunkId } from '../core/chunk-id.ts';
import { errorMessage, InsufficientBackendsError } from '../core/errors.ts';
import { chunkKey } from '../storage/blob-store.ts';
import type { Backend } from '../storage/placement.ts';

export interface CopiesWritten {
  /** The backends that hold the envelope durably. */
  backends: string[];
  /**
   * Every put succeeded. A failed put may have timed out with its backend call still running (and
   * still reading `envelope`), so only a clean write lets the caller free the envelope at once.
   */
  clean: boolean;
}

/**
 * Put `envelope` on `want` backends taken in order from `candidates`; at least `minimum` must
 * accept it (degraded writes: fewer than `want` copies, recorded, for repair to complete later).
 */
export async function writeCopies(id: ChunkId, envelope: Uint8Array, candidates: readonly Backend[], want: number, minimum = want): Promise<CopiesWritten> {
  const key = chunkKey(id);
  const written: string[] = [];
  const failures: string[] = [];
  let cursor = 0;
  const lane = async (): Promise<void> => {
    // Each lane ends after one success, so `want` lanes place `want` copies.
    while (cursor < candidates.length) {
      const backend = candidates[cursor++]!;
      try {
        await backend.store.put(key, envelope);
        written.push(backend.name);
        return;
      } catch (err) {
        failures.push(`${backend.name}: ${errorMessage(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(want, candidates.length) }, lane));
  if (written.length < Math.min(minimum, want)) {
    const detail = failures.length > 0 ? failures.join('; ') : `only ${candidates.length} backend(s) available`;
    if (want === 1 && failures.length === 1) throw new InsufficientBackendsError(`cannot store chunk ${id.slice(0, 12)}…: ${detail}`);
    throw new InsufficientBackendsError(
      `cannot store chunk ${id.slice(0, 12)}… on ${want} backends (stored on ${written.length}): ${detail}`,
    );
  }
  return { backends: written, clean: failures.length === 0 };
}
