// Prometheus metrics for one dcs process: Node's defaults plus RPCs by method and status, and
// their latency. Served at /metrics on the service port.
import type { Interceptor } from '@connectrpc/connect';
import { ConnectError, Code } from '@connectrpc/connect';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  interceptor: Interceptor;
  /** A connection the listener closed or refused to protect itself (its onDrop). */
  connectionDropped(reason: string): void;
  /** A data-plane request (/data/v1/…) answered: its route, method, status and credential. */
  dataRequest(route: string, method: string, status: number, auth: 'token' | 'none'): void;
}

export function createMetrics(role: string, storageNodes: () => ReadonlyMap<string, boolean> = () => new Map(), openConnections: () => number = () => 0): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry, prefix: 'dcs_process_' });
  registry.registerMetric(new Gauge({
    name: 'dcs_storage_node_up',
    help: 'Whether a storage node answered its last gRPC health check (orchestrators)',
    labelNames: ['node'],
    registers: [],
    collect() {
      for (const [node, up] of storageNodes()) this.set({ node }, up ? 1 : 0);
    },
  }));
  registry.registerMetric(new Gauge({
    name: 'dcs_connections_open',
    help: 'Connections the service port holds (handshaking, idle and busy)',
    registers: [],
    collect() {
      this.set(openConnections());
    },
  }));
  const dropped = new Counter({
    name: 'dcs_connections_dropped_total',
    help: 'Connections the listener closed itself: deadline (no TLS handshake or protocol in time), shed (idle, closed at a limit for a new one), refused (at a limit, none idle)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const calls = new Counter({ name: 'dcs_rpc_total', help: 'RPCs handled, by method and status code', labelNames: ['method', 'code'], registers: [registry] });
  const seconds = new Histogram({
    name: 'dcs_rpc_duration_seconds',
    help: 'RPC handling time (to the response head for streams)',
    labelNames: ['method'],
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60],
    registers: [registry],
  });
  const interceptor: Interceptor = (next) => async (req) => {
    const method = `${req.service.typeName}/${req.method.name}`;
    const end = seconds.startTimer({ method });
    try {
      const res = await next(req);
      calls.inc({ method, code: 'ok' });
      return res;
    } catch (err) {
      calls.inc({ method, code: Code[ConnectError.from(err).code] ?? 'unknown' });
      throw err;
    } finally {
      end();
    }
  };
  // Storage nodes: route "objects" and "reads" with auth "none" are the clients' direct reads (tickets).
  const data = new Counter({
    name: 'dcs_data_requests_total',
    help: 'Data-plane requests (/data/v1/...) by route, method, status and credential (token: the bearer token; none: read tickets or an open node)',
    labelNames: ['route', 'method', 'status', 'auth'],
    registers: [registry],
  });
  return {
    registry,
    interceptor,
    connectionDropped: (reason) => dropped.inc({ reason }),
    dataRequest: (route, method, status, auth) => data.inc({ route, method, status: String(status), auth }),
  };
}
