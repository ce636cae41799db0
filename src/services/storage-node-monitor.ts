// Health checks of storage nodes with the standard gRPC health protocol. The orchestrator polls
// every node; placement ranks nodes that stopped answering last (writes skip them, reads try them
// last), and they rejoin as soon as they answer again. Failed operations do not wait for the next
// poll: they fall through to the next backend in the ranking anyway.
import type { Placement } from '../storage/placement.ts';

export interface StorageNodeMonitorOptions {
  intervalMs?: number;
  timeoutMs?: number;
  onChange?: (node: string, up: boolean) => void;
}

/** A backend that answers health checks (a storage node, through whatever wrappers it has). */
interface CheckedNode {
  name: string;
  checkHealth(timeoutMs: number): Promise<boolean>;
}

export class StorageNodeMonitor {
  readonly #nodes: CheckedNode[];
  readonly #up = new Map<string, boolean>();
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #options: Required<Omit<StorageNodeMonitorOptions, 'onChange'>> & Pick<StorageNodeMonitorOptions, 'onChange'>;
  #running: Promise<void> | undefined;

  constructor(placement: Placement, options: StorageNodeMonitorOptions = {}) {
    this.#options = { intervalMs: options.intervalMs ?? 2000, timeoutMs: options.timeoutMs ?? 1500, ...(options.onChange ? { onChange: options.onChange } : {}) };
    // Storage nodes offer checkHealth (RemoteBlobStore); every wrapper passes it through.
    this.#nodes = placement.backends.flatMap(({ name, store }) => (store.checkHealth ? [{ name, checkHealth: store.checkHealth.bind(store) }] : []));
    if (this.#nodes.length === 0) return;
    placement.addAvailability((name) => this.#up.get(name) ?? true);
    this.#timer = setInterval(() => void this.checkNow(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Nodes and whether their last health check succeeded. */
  get status(): ReadonlyMap<string, boolean> {
    return this.#up;
  }

  /** Check every node now (also run on the interval); overlapping calls share one round. */
  checkNow(): Promise<void> {
    this.#running ??= (async () => {
      await Promise.all(
        this.#nodes.map(async (n) => {
          const up = await n.checkHealth(this.#options.timeoutMs);
          const before = this.#up.get(n.name);
          this.#up.set(n.name, up);
          if (before !== up && (before !== undefined || !up)) this.#options.onChange?.(n.name, up);
        }),
      );
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
