// A storage node as `dcs serve --role storage` runs it (StorageService, the data plane, health),
// in this process, over a fresh `<root>/data` directory.
import { join } from 'node:path';
import { pino } from 'pino';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import type { TlsFiles } from '../../src/services/listener.ts';
import { tempDir } from './cli.ts';

export const NODE_TOKEN = 'node-secret';

export interface TestStorageNode {
  node: RunningNode;
  /** The temp directory; the node stores its objects in `<root>/data`. */
  root: string;
  cleanup(): Promise<void>;
}

export async function storageNode(options: { tls?: TlsFiles; token?: string; open?: boolean } = {}): Promise<TestStorageNode> {
  const { dir, cleanup } = await tempDir('dcs-node-');
  const node = await startNode({
    role: 'storage',
    host: '127.0.0.1',
    port: 0,
    name: 'node0',
    dataDir: join(dir, 'data'),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.open ? { open: true } : { token: options.token ?? NODE_TOKEN }),
    log: pino({ level: 'silent' }),
  });
  return {
    node,
    root: dir,
    cleanup: async () => {
      await node.close(1000);
      await cleanup();
    },
  };
}
