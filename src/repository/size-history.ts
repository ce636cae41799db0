// Records the repository's size history (the dashboard's chart, the sizes at /metrics): one sample
// at start, then one after writes, at most every `minIntervalMs` (stats() aggregates the whole
// repository, so it is not run per request). Servers turn it on; CLI commands do not. Samples live in metadata, so the history survives restarts and is shared by
// orchestrators on one PostgreSQL.
import type { MetadataStore } from '../metadata/metadata-store.ts';

export interface StatsSampler {
  /** Something changed: take a sample soon. */
  changed(): void;
  close(): Promise<void>;
}

export function startStatsSampler(metadata: MetadataStore, options: { minIntervalMs?: number; warn: (m: string) => void }): StatsSampler {
  const minInterval = options.minIntervalMs ?? 5000;
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let closed = false;

  const sample = (): void => {
    timer = undefined;
    if (closed) return;
    last = Date.now();
    running = running.then(async () => {
      try {
        const s = await metadata.stats();
        await metadata.recordStatsSample({
          at: Date.now(),
          files: s.files,
          logicalBytes: s.logicalBytes,
          uniqueBytes: s.uniqueBytes,
          storedBytes: s.storedBytes,
          physicalBytes: s.physicalBytes,
        });
      } catch (err) {
        if (!closed) options.warn(`could not record a stats sample: ${String(err)}`);
      }
    });
  };

  sample();
  return {
    changed() {
      if (timer || closed) return;
      // A short delay gathers a burst of uploads into one sample.
      timer = setTimeout(sample, Math.max(250, last + minInterval - Date.now()));
      timer.unref();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
