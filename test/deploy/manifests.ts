// Checks of rendered Kubernetes manifests: each object against the Kubernetes OpenAPI schemas
// (compiled to Ajv validators by the kubernetes-models package), and cross-references between
// objects that no schema can see. Every check returns a list of problems; empty means fine.
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';

export interface Labels {
  [key: string]: string;
}
export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
}
export interface Container {
  name: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
}
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels; annotations?: Labels };
  spec?: {
    replicas?: number;
    serviceName?: string;
    clusterIP?: string;
    selector?: Labels & { matchLabels?: Labels };
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    template?: { metadata: { labels?: Labels }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
    scaleTargetRef?: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
  };
  data?: Record<string, string>;
}

/** Parses `helm template` output (or any multi-document YAML); YAML errors and warnings throw. */
export function parseManifests(text: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0 || doc.warnings.length > 0) {
      throw new Error(`invalid YAML in rendered manifests: ${[...doc.errors, ...doc.warnings].map((e) => e.message).join('; ')}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue; // an empty document (a template that rendered nothing)
    out.push(value as Manifest);
  }
  return out;
}

type Validator = (doc: unknown) => void;
const VALIDATORS: Record<string, Validator> = {
  'apps/v1/Deployment': (d) => new Deployment(d as ConstructorParameters<typeof Deployment>[0]).validate(),
  'apps/v1/StatefulSet': (d) => new StatefulSet(d as ConstructorParameters<typeof StatefulSet>[0]).validate(),
  'v1/Service': (d) => new Service(d as ConstructorParameters<typeof Service>[0]).validate(),
  'v1/ConfigMap': (d) => new ConfigMap(d as ConstructorParameters<typeof ConfigMap>[0]).validate(),
  'v1/Secret': (d) => new Secret(d as ConstructorParameters<typeof Secret>[0]).validate(),
  'autoscaling/v2/HorizontalPodAutoscaler': (d) =>
    new HorizontalPodAutoscaler(d as ConstructorParameters<typeof HorizontalPodAutoscaler>[0]).validate(),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d as ConstructorParameters<typeof PodDisruptionBudget>[0]).validate(),
};

/** Schema problems: an unknown apiVersion/kind is a problem too (add its validator here first). */
export function schemaProblems(docs: Manifest[]): string[] {
  const problems: string[] = [];
  for (const doc of docs) {
    const id = `${doc.kind}/${doc.metadata?.name}`;
    const validate = VALIDATORS[`${doc.apiVersion}/${doc.kind}`];
    if (!validate) {
      problems.push(`${id}: no schema validator for ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    try {
      validate(doc);
    } catch (err) {
      problems.push(`${id}: ${(err as Error).message}`);
    }
    // DNS-1123 names (the schemas do not check them; the API server does).
    const name = doc.metadata?.name ?? '';
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) problems.push(`${id}: invalid object name`);
  }
  return problems;
}

const matches = (selector: Labels | undefined, labels: Labels | undefined): boolean =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const workloads = (docs: Manifest[]): Manifest[] => docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
const byKind = (docs: Manifest[], kind: string): Manifest[] => docs.filter((d) => d.kind === kind);

function portExists(container: Container, port: number | string): boolean {
  return (container.ports ?? []).some((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
}

function containerPort(container: Container, port: number | string): number | undefined {
  return (container.ports ?? []).find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port))?.containerPort;
}

function argValue(args: string[] | undefined, flag: string): string | undefined {
  const i = (args ?? []).indexOf(flag);
  return i >= 0 ? args?.[i + 1] : undefined;
}

export interface DcsConfig {
  version?: number;
  metadata?: string;
  backends?: { name: string; url: string }[];
  redundancy?: { replicate?: number };
  services?: { chunker?: string; compressor?: string };
}

export interface ReferenceOptions {
  namespace: string;
  clusterDomain: string;
  /** Secrets the values say exist already (not rendered by the chart). */
  externalSecrets: string[];
}

/** Cross-references between rendered objects. */
export function referenceProblems(docs: Manifest[], options: ReferenceOptions): string[] {
  const problems: string[] = [];
  const pods = workloads(docs);
  const secrets = new Map(byKind(docs, 'Secret').map((s) => [s.metadata.name, s]));
  const configMaps = new Map(byKind(docs, 'ConfigMap').map((c) => [c.metadata.name, c]));
  const services = byKind(docs, 'Service');

  for (const w of pods) {
    const id = `${w.kind}/${w.metadata.name}`;
    const template = w.spec?.template;
    if (!template) {
      problems.push(`${id}: no pod template`);
      continue;
    }
    if (!matches(w.spec?.selector?.matchLabels, template.metadata.labels)) problems.push(`${id}: selector does not match its pod template's labels`);
    const podSpec = template.spec;
    if (podSpec.securityContext?.runAsNonRoot !== true) problems.push(`${id}: pod does not set runAsNonRoot`);
    const volumes = new Set([...(podSpec.volumes ?? []).map((v) => v.name), ...(w.spec?.volumeClaimTemplates ?? []).map((v) => v.metadata.name)]);
    for (const v of podSpec.volumes ?? []) {
      if (v.configMap && !configMaps.has(v.configMap.name)) problems.push(`${id}: volume ${v.name} uses ConfigMap ${v.configMap.name}, which is not rendered`);
      if (v.secret && !secrets.has(v.secret.secretName) && !options.externalSecrets.includes(v.secret.secretName)) {
        problems.push(`${id}: volume ${v.name} uses Secret ${v.secret.secretName}, which is neither rendered nor declared as existing`);
      }
    }
    for (const c of podSpec.containers) {
      const cid = `${id} container ${c.name}`;
      for (const [kind, probe] of [
        ['liveness', c.livenessProbe],
        ['readiness', c.readinessProbe],
      ] as const) {
        if (!probe) {
          problems.push(`${cid}: no ${kind} probe`);
          continue;
        }
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
        if (port === undefined) problems.push(`${cid}: ${kind} probe has neither httpGet nor tcpSocket`);
        else if (!portExists(c, port)) problems.push(`${cid}: ${kind} probe port ${port} is not a container port`);
        const wantPath = kind === 'liveness' ? '/healthz' : '/readyz';
        if (probe.httpGet && probe.httpGet.path !== wantPath) problems.push(`${cid}: ${kind} probe path ${probe.httpGet.path}, expected ${wantPath}`);
      }
      if (!c.resources?.requests?.cpu || !c.resources.requests.memory || !c.resources.limits?.cpu || !c.resources.limits.memory) {
        problems.push(`${cid}: resource requests and limits (cpu and memory) are not all set`);
      }
      if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${cid}: root filesystem is not read-only`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${cid}: privilege escalation is not disabled`);
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${cid}: mounts undeclared volume ${m.name}`);
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        const s = secrets.get(ref.name);
        if (s) {
          if (!(ref.key in (s.data ?? {}))) problems.push(`${cid}: env ${e.name} reads key ${ref.key}, which Secret ${ref.name} does not have`);
        } else if (!options.externalSecrets.includes(ref.name)) {
          problems.push(`${cid}: env ${e.name} reads Secret ${ref.name}, which is neither rendered nor declared as existing`);
        }
      }
      // The CLI contract: serve --role ROLE --listen HOST:PORT on the container port.
      const role = template.metadata.labels?.['app.kubernetes.io/component'];
      if (c.args?.[0] !== 'serve' || argValue(c.args, '--role') !== role) problems.push(`${cid}: args do not start with serve --role ${role}`);
      const listen = argValue(c.args, '--listen');
      const listenPort = Number(listen?.split(':').pop());
      if (!listen?.startsWith('0.0.0.0:') || !portExists(c, listenPort)) problems.push(`${cid}: --listen ${listen} is not 0.0.0.0 on a container port`);
      const data = argValue(c.args, '--data');
      if (role === 'storage' && !(c.volumeMounts ?? []).some((m) => m.mountPath === data && (w.spec?.volumeClaimTemplates ?? []).some((t) => t.metadata.name === m.name))) {
        problems.push(`${cid}: --data ${data} is not a mounted volume claim`);
      }
      const repo = argValue(c.args, '--repo');
      if (role === 'orchestrator') {
        const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === repo);
        const volume = (podSpec.volumes ?? []).find((v) => v.name === mount?.name);
        const cm = volume?.configMap ? configMaps.get(volume.configMap.name) : undefined;
        if (!cm?.data?.['dcs.yaml']) problems.push(`${cid}: --repo ${repo} does not hold a dcs.yaml from a rendered ConfigMap`);
      }
    }
  }

  // Services select pods, and their target ports exist there.
  for (const s of services) {
    const id = `Service/${s.metadata.name}`;
    const selected = pods.filter((w) => matches(s.spec?.selector, w.spec?.template?.metadata.labels));
    if (selected.length === 0) {
      problems.push(`${id}: selector matches no pod template`);
      continue;
    }
    for (const p of s.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      for (const w of selected) {
        if (!w.spec?.template?.spec.containers.some((c) => portExists(c, target))) {
          problems.push(`${id}: targetPort ${target} is not a container port of ${w.kind}/${w.metadata.name}`);
        }
      }
    }
  }

  // Disruption budgets select pods.
  for (const pdb of byKind(docs, 'PodDisruptionBudget')) {
    if (!pods.some((w) => matches(pdb.spec?.selector?.matchLabels, w.spec?.template?.metadata.labels))) {
      problems.push(`PodDisruptionBudget/${pdb.metadata.name}: selector matches no pod template`);
    }
  }

  // Autoscalers target a Deployment of this release that does not pin its replica count.
  for (const hpa of byKind(docs, 'HorizontalPodAutoscaler')) {
    const ref = hpa.spec?.scaleTargetRef;
    const target = docs.find((d) => d.kind === ref?.kind && d.metadata.name === ref?.name && d.apiVersion === ref?.apiVersion);
    if (!target) problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: target ${ref?.kind}/${ref?.name} is not rendered`);
    else if (target.spec?.replicas !== undefined) problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: target also sets spec.replicas`);
    if ((hpa.spec?.minReplicas ?? 1) > (hpa.spec?.maxReplicas ?? 0)) problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: minReplicas > maxReplicas`);
  }

  // StatefulSets are governed by a headless Service that selects their pods.
  for (const sts of byKind(docs, 'StatefulSet')) {
    const svc = services.find((s) => s.metadata.name === sts.spec?.serviceName);
    if (!svc) problems.push(`StatefulSet/${sts.metadata.name}: serviceName ${sts.spec?.serviceName} is not rendered`);
    else {
      if (svc.spec?.clusterIP !== 'None') problems.push(`StatefulSet/${sts.metadata.name}: Service ${svc.metadata.name} is not headless`);
      if (!matches(svc.spec?.selector, sts.spec?.template?.metadata.labels)) problems.push(`StatefulSet/${sts.metadata.name}: Service ${svc.metadata.name} does not select its pods`);
    }
  }

  // dcs.yaml: one backend per storage pod, at its stable DNS name, and the services' Services.
  for (const cm of byKind(docs, 'ConfigMap')) {
    const text = cm.data?.['dcs.yaml'];
    if (text === undefined) continue;
    const id = `ConfigMap/${cm.metadata.name} dcs.yaml`;
    const config = parse(text) as DcsConfig;
    const storage = byKind(docs, 'StatefulSet').find((s) => s.spec?.template?.metadata.labels?.['app.kubernetes.io/component'] === 'storage');
    if (!storage) {
      problems.push(`${id}: no storage StatefulSet`);
      continue;
    }
    const replicas = storage.spec?.replicas ?? 1;
    const backends = config.backends ?? [];
    if (backends.length !== replicas) problems.push(`${id}: ${backends.length} backends for ${replicas} storage replicas`);
    const storageContainer = storage.spec?.template?.spec.containers[0];
    const storagePort = storageContainer ? containerPort(storageContainer, 'http') : undefined;
    backends.forEach((b, i) => {
      const expected = `${storage.metadata.name}-${i}.${storage.spec?.serviceName}.${options.namespace}.svc.${options.clusterDomain}:${storagePort}`;
      const url = new URL(b.url);
      if (url.host !== expected) problems.push(`${id}: backend ${b.name} points at ${url.host}, expected ${expected}`);
      if (url.protocol !== 'grpc:' && url.protocol !== 'grpcs:') problems.push(`${id}: backend ${b.name} is not a grpc:// or grpcs:// URL`);
    });
    if (new Set(backends.map((b) => b.name)).size !== backends.length) problems.push(`${id}: duplicate backend names`);
    const replicate = config.redundancy?.replicate ?? 1;
    if (replicate < 1 || replicate > backends.length) problems.push(`${id}: replicate ${replicate} with ${backends.length} backends`);
    for (const role of ['chunker', 'compressor'] as const) {
      const url = config.services?.[role];
      if (!url) {
        problems.push(`${id}: no services.${role}`);
        continue;
      }
      const u = new URL(url);
      const svc = services.find((s) => s.metadata.name === u.hostname);
      const selectsRole = pods.some(
        (w) => w.spec?.template?.metadata.labels?.['app.kubernetes.io/component'] === role && matches(svc?.spec?.selector, w.spec?.template?.metadata.labels),
      );
      if (!svc || !selectsRole) problems.push(`${id}: services.${role} ${url} is not a Service of the ${role} pods`);
      else if (!(svc.spec?.ports ?? []).some((p) => p.port === Number(u.port))) problems.push(`${id}: services.${role} port ${u.port} is not a port of Service ${svc.metadata.name}`);
    }
    if (!/^postgres(ql)?:\/\/[^:@/]+@/.test(config.metadata ?? '')) problems.push(`${id}: metadata is not a postgres:// URL without a password`);
  }
  return problems;
}
