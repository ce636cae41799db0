// Chunker and compressor roles: stateless services that do the CPU-heavy stages for orchestrators.
import type { ConnectRouter } from '@connectrpc/connect';

export interface ExtraMount {
  services: string[];
  routes: (router: ConnectRouter) => void;
  ready: () => Promise<boolean>;
  close: () => Promise<void>;
}

export async function extraRoles(role: string): Promise<ExtraMount[]> {
  void role;
  return [];
}
