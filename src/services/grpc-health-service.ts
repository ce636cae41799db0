// The standard gRPC health protocol (grpc.health.v1), so kubelet gRPC probes, grpc_health_probe
// and the orchestrator's node checks all ask the same question. "" is the whole server.
import type { ServiceImpl } from '@connectrpc/connect';
import { Code, ConnectError } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as Status } from './gen/grpc/health/v1/health_pb.js';

export interface HealthState {
  /** Fully qualified names of the services this server hosts. */
  services: readonly string[];
  /** Whether the server can do its work right now (backend reachable, metadata open…). */
  ready(): Promise<boolean>;
}

export function healthServiceImpl(state: HealthState): ServiceImpl<typeof Health> {
  const status = async (service: string): Promise<Status> => {
    if (service !== '' && !state.services.includes(service)) throw new ConnectError(`unknown service ${service}`, Code.NotFound);
    return (await state.ready()) ? Status.SERVING : Status.NOT_SERVING;
  };
  return {
    check: async (req) => ({ status: await status(req.service) }),
    async *watch(req, ctx) {
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        // The protocol: Watch reports SERVICE_UNKNOWN (and keeps watching) instead of failing.
        const now = await status(req.service).catch(() => Status.SERVICE_UNKNOWN);
        if (now !== last) yield { status: now };
        last = now;
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
  };
}
