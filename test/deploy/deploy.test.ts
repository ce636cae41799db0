// Deployment files, checked offline: YAML syntax, the Dockerfile (dockerfile-utils' linter and the
// CLI contract), docker-compose.yml (dclint: the Compose specification's JSON schema and best-practice
// rules; then consistency with deploy/compose/dcs.yaml), and the Helm chart (the real helm binary
// lints and renders it with values.yaml and with the files in ci/; every rendered object is validated
// against the Kubernetes schemas of kubernetes-models, then cross-checked). Each checker is also
// shown to reject a deliberately broken input. No image is built, nothing is deployed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { DCLinter } from 'dclint';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { composeProblems, type ComposeFile } from './compose.ts';
import { CHART_DIR, REPO_ROOT, NAMESPACE, helm, helmTemplate, helmUnavailableReason } from './helm.ts';
import { parseManifests, referenceProblems, schemaProblems, type DcsConfig, type Manifest } from './manifests.ts';

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'dcs-deploy-test-'));
let scratchFiles = 0;
/** Writes text to a new scratch file and returns its path. */
const scratchFile = (name: string, text: string): string => {
  const path = join(scratch, `${scratchFiles++}-${name}`);
  writeFileSync(path, text);
  return path;
};

function yamlFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => relative(REPO_ROOT, join(e.parentPath, e.name)))
    .filter((p) => !p.startsWith(join('deploy', 'helm', 'dcs', 'templates'))); // Go templates: checked once rendered
}

describe('YAML', () => {
  it('every YAML file of the deployment parses without errors or warnings', () => {
    const files = ['docker-compose.yml', ...yamlFiles('deploy')];
    assert.ok(files.length >= 6, `found only ${files.join(', ')}`);
    for (const file of files) {
      for (const doc of parseAllDocuments(read(file))) {
        assert.deepEqual([...doc.errors, ...doc.warnings].map((e) => e.message), [], file);
      }
    }
    JSON.parse(read('deploy/helm/dcs/values.schema.json'));
  });

  it('a malformed YAML file is reported', () => {
    const [doc] = parseAllDocuments('services:\n  a: [1, 2\n  b: {');
    assert.ok(doc && doc.errors.length > 0);
  });
});

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function dockerfileInstructions(text: string): { keyword: string; args: string }[] {
  const out: { keyword: string; args: string }[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    pending += line.replace(/\\\s*$/, ' ');
    if (/\\\s*$/.test(line)) continue;
    const m = /^\s*(\S+)\s*(.*)$/.exec(pending);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim() });
    pending = '';
  }
  return out;
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');

  it('passes the dockerfile-utils linter, which flags a broken Dockerfile', () => {
    assert.deepEqual(
      lintDockerfile(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
      [],
    );
    const broken = lintDockerfile('FROM node:24-bookworm-slim\nRUNN npm ci\nUSER\nENTRYPOINT ["node", "x.js"\n');
    assert.ok(broken.length >= 2, JSON.stringify(broken.map((d) => d.message)));
  });

  it('builds production dependencies and the web UI in their own stages and runs the CLI as uid 10001 from node:24-bookworm-slim', () => {
    const ins = dockerfileInstructions(text);
    const froms = ins.map((i, n) => ({ ...i, n })).filter((i) => i.keyword === 'FROM');
    assert.equal(froms.length, 3, 'three stages');
    assert.match(froms[0]!.args, /^node:24-bookworm AS deps$/i);
    assert.match(froms[1]!.args, /^node:24-bookworm AS web$/i);
    assert.match(froms[2]!.args, /^node:24-bookworm-slim AS runtime$/i);
    const deps = ins.slice(froms[0]!.n, froms[1]!.n);
    const web = ins.slice(froms[1]!.n, froms[2]!.n);
    const runtime = ins.slice(froms[2]!.n);
    assert.ok(web.some((i) => i.keyword === 'RUN' && /\bnpm run build:web\b/.test(i.args)), 'web stage builds the UI');
    assert.ok(runtime.some((i) => i.keyword === 'COPY' && /--from=web\b.*web\/dist/.test(i.args)), 'runtime copies web/dist from the web stage');
    assert.ok(deps.some((i) => i.keyword === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.args)), 'deps stage runs npm ci --omit=dev');
    assert.ok(runtime.some((i) => i.keyword === 'COPY' && /--from=deps\b.*node_modules/.test(i.args)), 'runtime copies node_modules from deps');
    for (const dir of ['bin', 'src']) assert.ok(runtime.some((i) => i.keyword === 'COPY' && new RegExp(`(^|\\s)${dir} `).test(i.args)), `runtime copies ${dir}/`);
    assert.ok(!runtime.some((i) => i.keyword === 'RUN' && /\bnpm\b/.test(i.args)), 'no npm in the runtime stage');
    const users = runtime.filter((i) => i.keyword === 'USER');
    assert.equal(users.at(-1)?.args, '10001:10001');
    const json = (keyword: string): unknown => JSON.parse(runtime.filter((i) => i.keyword === keyword).at(-1)?.args ?? 'null');
    assert.deepEqual(json('ENTRYPOINT'), ['node', '/app/bin/dcs.js']);
    assert.deepEqual(json('CMD'), ['serve', '--role', 'all']);
    assert.ok(runtime.some((i) => i.keyword === 'EXPOSE' && i.args === '7070'));
    // The entry point the image runs is the one the package declares.
    assert.equal((JSON.parse(read('package.json')) as { bin: { dcs: string } }).bin.dcs, 'bin/dcs.js');
  });

  it('.dockerignore keeps dependencies, history, benchmark output and test data out of the build context', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', '.git', 'bench/out', 'test', '.dcs', '.env']) assert.ok(patterns.includes(p), `.dockerignore lacks ${p}`);
    for (const p of ['src', 'bin', 'package.json', 'package-lock.json']) assert.ok(!patterns.includes(p), `.dockerignore must not exclude ${p}`);
  });
});

describe('docker compose', () => {
  const linter = new DCLinter({
    // dclint's default wants single quotes around ports; this repository's YAML uses double quotes.
    rules: { 'require-quotes-in-ports': [1, { quoteType: 'double' }] },
    quiet: true,
    debug: false,
    exclude: [],
  });
  // dclint's bundled type declarations do not resolve under nodenext; this is the part used here.
  type LintResult = { messages: { rule: string; message: string }[] };
  const lint = (path: string): string[] =>
    (linter.lintFiles([path], false) as LintResult[]).flatMap((r) => r.messages.map((m) => `${m.rule}: ${m.message}`));

  it('docker-compose.yml passes dclint (Compose specification schema and rules)', () => {
    assert.deepEqual(lint(join(REPO_ROOT, 'docker-compose.yml')), []);
  });

  it('dclint rejects a compose file that breaks the specification', () => {
    const bad = scratchFile('compose.yml', 'name: x\nservices:\n  a:\n    image: postgres:15\n    restart: sometimes-maybe\n    bogus_key: true\n');
    assert.ok(lint(bad).some((m) => m.startsWith('invalid-schema')), JSON.stringify(lint(bad)));
  });

  const compose = (): ComposeFile => parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
  const config = (): DcsConfig => parse(read('deploy/compose/dcs.yaml')) as DcsConfig;
  const envExample = read('deploy/compose/.env.example')
    .split('\n')
    .map((l) => /^([A-Z_][A-Z0-9_]*)=/.exec(l)?.[1])
    .filter((v): v is string => !!v);
  const check = (c: ComposeFile, d: DcsConfig): string[] => composeProblems(c, d, './deploy/compose/dcs.yaml', envExample);

  it('services, volumes and ports agree with deploy/compose/dcs.yaml', () => {
    assert.deepEqual(check(compose(), config()), []);
    const c = compose();
    assert.deepEqual(Object.keys(c.services).sort(), ['chunker', 'compressor', 'orchestrator', 'postgres', 'storage-0', 'storage-1', 'storage-2']);
    assert.equal(c.services.postgres?.image, 'postgres:15');
    assert.deepEqual(c.services.orchestrator?.ports, ['127.0.0.1:7070:7070']);
    for (const n of [0, 1, 2]) assert.deepEqual(c.services[`storage-${n}`]?.volumes, [`storage-${n}:/data`]);
    const d = config();
    assert.equal(d.redundancy?.replicate, 2);
    assert.deepEqual(
      d.backends?.map((b) => b.url),
      ['grpc://storage-0:7070', 'grpc://storage-1:7070', 'grpc://storage-2:7070'],
    );
  });

  it('the consistency check catches deliberate breakage', () => {
    const cases: [string, (c: ComposeFile, d: DcsConfig) => void, RegExp][] = [
      ['a backend on the wrong port', (_c, d) => void (d.backends![1]!.url = 'grpc://storage-1:7071'), /backend storage-1: port 7071/],
      ['a storage node missing from dcs.yaml', (_c, d) => void d.backends!.pop(), /storage service storage-2 is not a backend/],
      ['a storage node without its volume', (c) => void delete c.services['storage-2']!.volumes, /storage-2: --data \/data is not a named volume/],
      ['two nodes sharing a volume', (c) => void (c.services['storage-2']!.volumes = ['storage-1:/data']), /share a volume|storage-2 is declared but not used/],
      ['the orchestrator published on all interfaces', (c) => void (c.services.orchestrator!.ports = ['7070:7070']), /must publish exactly 127\.0\.0\.1:7070:7070/],
      ['a node publishing a port', (c) => void (c.services['storage-0']!.ports = ['127.0.0.1:7071:7070']), /storage-0 publishes ports/],
      ['a different PostgreSQL password', (c) => void (c.services.orchestrator!.environment!.PGPASSWORD = 'x'), /PGPASSWORD/],
      ['metadata pointing elsewhere', (_c, d) => void (d.metadata = 'postgres://dcs@db:5432/dcs'), /metadata host db is not a service/],
      ['replicate above the node count', (_c, d) => void (d.redundancy = { replicate: 4 }), /replicate 4 with 3 backends/],
      ['a hard-coded token', (c) => void (c.services.chunker!.environment = { DCS_NODE_TOKEN: 'secret' }), /DCS_NODE_TOKEN/],
      ['no dcs.yaml for the orchestrator', (c) => void delete c.services.orchestrator!.volumes, /orchestrator: no dcs\.yaml mounted at \/var\/lib\/dcs\/repo\/dcs\.yaml/],
      ['the compressor URL at the chunker', (_c, d) => void (d.services!.compressor = 'http://chunker:7070'), /services\.compressor: chunker is not a compressor service/],
    ];
    for (const [what, mutate, expected] of cases) {
      const c = compose();
      const d = config();
      mutate(c, d);
      const problems = check(c, d);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${what}: expected a problem matching ${expected}, got ${JSON.stringify(problems)}`,
      );
    }
  });
});

const skipHelm = helmUnavailableReason();

describe('Helm chart', { skip: skipHelm }, () => {
  const ciValues = readdirSync(join(CHART_DIR, 'ci'))
    .filter((f) => f.endsWith('-values.yaml'))
    .map((f) => join(CHART_DIR, 'ci', f));
  const rendered = new Map<string, Manifest[]>();
  const render = (valuesFile?: string): Manifest[] => {
    const key = valuesFile ?? 'values.yaml';
    let docs = rendered.get(key);
    if (!docs) {
      const r = helmTemplate(valuesFile ? [valuesFile] : []);
      assert.equal(r.status, 0, `helm template with ${key} failed: ${r.stderr}`);
      docs = parseManifests(r.stdout);
      rendered.set(key, docs);
    }
    return docs;
  };
  const valuesOf = (valuesFile?: string): Record<string, unknown> => {
    const defaults = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    return { ...defaults, ...(valuesFile ? (parse(readFileSync(valuesFile, 'utf8')) as Record<string, unknown>) : {}) };
  };
  const options = (valuesFile?: string) => {
    const v = valuesOf(valuesFile) as {
      clusterDomain: string;
      auth: { existingSecret: string };
      postgres: { existingSecret?: string };
      tls: { secretName?: string };
    };
    return {
      namespace: NAMESPACE,
      clusterDomain: v.clusterDomain,
      externalSecrets: [v.auth.existingSecret, v.postgres.existingSecret ?? '', v.tls.secretName ?? ''].filter(Boolean),
    };
  };
  const find = (docs: Manifest[], kind: string, component: string): Manifest | undefined =>
    docs.find((d) => d.kind === kind && d.metadata.labels?.['app.kubernetes.io/component'] === component);
  const dcsYaml = (docs: Manifest[]): DcsConfig => parse(docs.find((d) => d.kind === 'ConfigMap')!.data!['dcs.yaml']!) as DcsConfig;

  it('uses a real helm binary', () => {
    const r = helm(['version', '--short']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^v3\./);
  });

  it('helm lint --strict passes with values.yaml and with every ci/*-values.yaml', () => {
    assert.ok(ciValues.length >= 2, 'non-default values files in ci/');
    for (const values of [undefined, ...ciValues]) {
      const r = helm(['lint', '--strict', CHART_DIR, ...(values ? ['--values', values] : [])]);
      assert.equal(r.status, 0, `${values ?? 'values.yaml'}: ${r.stdout}${r.stderr}`);
    }
  });

  for (const values of [undefined, 'production-values.yaml', 'minimal-values.yaml']) {
    const label = values ? `ci/${values}` : 'values.yaml';
    const file = values ? join(CHART_DIR, 'ci', values) : undefined;

    it(`with ${label}: every rendered object is valid against the Kubernetes schemas`, () => {
      const docs = render(file);
      assert.ok(docs.length >= 10, `only ${docs.length} objects`);
      assert.deepEqual(schemaProblems(docs), []);
    });

    it(`with ${label}: selectors, ports, probes, secrets, volumes and dcs.yaml backends agree`, () => {
      assert.deepEqual(referenceProblems(render(file), options(file)), []);
    });
  }

  it('with values.yaml: the roles, the autoscaler, the disruption budgets and three backends', () => {
    const docs = render();
    for (const role of ['orchestrator', 'chunker', 'compressor']) assert.ok(find(docs, 'Deployment', role), `Deployment ${role}`);
    const sts = find(docs, 'StatefulSet', 'storage');
    assert.equal(sts?.spec?.replicas, 3);
    assert.equal(sts?.spec?.volumeClaimTemplates?.length, 1);
    const headless = docs.find((d) => d.kind === 'Service' && d.metadata.name === sts?.spec?.serviceName);
    assert.equal(headless?.spec?.clusterIP, 'None');
    const hpa = docs.find((d) => d.kind === 'HorizontalPodAutoscaler');
    assert.equal(hpa?.apiVersion, 'autoscaling/v2');
    assert.equal(hpa?.spec?.scaleTargetRef?.name, find(docs, 'Deployment', 'compressor')?.metadata.name);
    assert.deepEqual(docs.filter((d) => d.kind === 'PodDisruptionBudget').map((d) => d.metadata.labels?.['app.kubernetes.io/component']).sort(), ['orchestrator', 'storage']);
    const config = dcsYaml(docs);
    assert.equal(config.redundancy?.replicate, 2);
    assert.deepEqual(
      config.backends?.map((b) => b.url),
      [0, 1, 2].map((i) => `grpc://dcs-storage-${i}.dcs-storage.${NAMESPACE}.svc.cluster.local:7070`),
    );
    assert.deepEqual(config.services, { chunker: 'http://dcs-chunker:7070', compressor: 'http://dcs-compressor:7070' });
    const tokens = docs.find((d) => d.kind === 'Secret' && d.metadata.name === 'dcs-tokens');
    assert.deepEqual(Object.keys(tokens?.data ?? {}).sort(), ['node-token', 's3-secret-key', 'token']);
    for (const v of Object.values(tokens?.data ?? {})) assert.ok(Buffer.from(v, 'base64').length >= 32, 'generated tokens are long');
    // dcs refuses a DCS_S3_SECRET_KEY that is not the base64 of 32 bytes.
    assert.equal(Buffer.from(Buffer.from(tokens!.data!['s3-secret-key']!, 'base64').toString(), 'base64').length, 32);
    // The orchestrators serve S3 on their own port, through their Service, with the shared sealing key.
    const orchestrator = find(docs, 'Deployment', 'orchestrator')!.spec!.template!.spec.containers[0]!;
    const args = orchestrator.args ?? [];
    assert.equal(args[args.indexOf('--s3-listen') + 1], '0.0.0.0:9000');
    assert.equal(args[args.indexOf('--s3-region') + 1], 'us-east-1');
    assert.deepEqual(orchestrator.ports?.map((p) => [p.name, p.containerPort]), [['http', 7070], ['s3', 9000]]);
    assert.deepEqual(orchestrator.env?.find((e) => e.name === 'DCS_S3_SECRET_KEY')?.valueFrom?.secretKeyRef, { name: 'dcs-tokens', key: 's3-secret-key' });
    const service = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'dcs-orchestrator');
    assert.deepEqual(service?.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]), [['http', 7070, 'http'], ['s3', 9000, 's3']]);
    for (const role of ['chunker', 'compressor']) assert.deepEqual(find(docs, 'Deployment', role)!.spec!.template!.spec.containers[0]!.ports?.map((p) => p.name), ['http']);
    for (const w of docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')) {
      const c = w.spec!.template!.spec.containers[0]!;
      assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
      assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
      assert.equal(w.spec!.template!.spec.securityContext?.runAsUser, 10001);
    }
  });

  it('with ci/production-values.yaml: TLS everywhere, five backends, existing Secrets', () => {
    const docs = render(join(CHART_DIR, 'ci', 'production-values.yaml'));
    const config = dcsYaml(docs);
    assert.equal(config.backends?.length, 5);
    assert.ok(config.backends?.every((b) => b.url.startsWith('grpcs://') && b.url.endsWith('.files-storage.dcs-test.svc.example.internal:7070')));
    assert.equal(config.redundancy?.replicate, 3);
    assert.deepEqual(config.services, { chunker: 'https://files-chunker:7070', compressor: 'https://files-compressor:7070' });
    assert.equal(docs.filter((d) => d.kind === 'Secret').length, 0, 'no Secret is rendered when existing ones are named');
    for (const role of ['chunker', 'compressor', 'storage']) {
      const w = find(docs, role === 'storage' ? 'StatefulSet' : 'Deployment', role)!;
      const c = w.spec!.template!.spec.containers[0]!;
      assert.ok(c.args?.includes('--tls-client-ca'), `${role} requires client certificates`);
      assert.ok(c.readinessProbe?.tcpSocket, `${role} probes by TCP under mutual TLS`);
    }
    const orch = find(docs, 'Deployment', 'orchestrator')!.spec!.template!.spec.containers[0]!;
    assert.ok(orch.args?.includes('--tls-cert') && !orch.args.includes('--tls-client-ca'));
    assert.equal(orch.readinessProbe?.httpGet?.scheme, 'HTTPS');
    const hpa = docs.find((d) => d.kind === 'HorizontalPodAutoscaler');
    assert.deepEqual([hpa?.spec?.minReplicas, hpa?.spec?.maxReplicas], [3, 20]);
  });

  it('with ci/minimal-values.yaml: no autoscaler, no disruption budgets, the password in a chart Secret', () => {
    const docs = render(join(CHART_DIR, 'ci', 'minimal-values.yaml'));
    assert.equal(docs.filter((d) => d.kind === 'HorizontalPodAutoscaler' || d.kind === 'PodDisruptionBudget').length, 0);
    assert.equal(find(docs, 'Deployment', 'compressor')?.spec?.replicas, 1);
    assert.equal(dcsYaml(docs).backends?.length, 1);
    const env = find(docs, 'Deployment', 'orchestrator')!.spec!.template!.spec.containers[0]!.env ?? [];
    assert.deepEqual(env.find((e) => e.name === 'PGPASSWORD')?.valueFrom?.secretKeyRef, { name: 'dcs-postgres', key: 'password' });
  });

  it('orchestrator.directReads false starts the orchestrators with --no-direct-reads (default: direct reads)', () => {
    const args = (docs: Manifest[]): string[] => find(docs, 'Deployment', 'orchestrator')!.spec!.template!.spec.containers[0]!.args ?? [];
    assert.ok(!args(render()).includes('--no-direct-reads'));
    assert.ok(args(render(scratchFile('no-direct.yaml', stringify({ orchestrator: { directReads: false } })))).includes('--no-direct-reads'));
  });

  it('helm rejects broken values files', () => {
    const cases: [string, unknown, RegExp][] = [
      ['a string where a count belongs', { storage: { replicas: 'three' } }, /storage\.replicas: Invalid type/],
      ['a misspelt top-level key', { storge: { replicas: 3 } }, /Additional property storge is not allowed/],
      ['more copies than storage nodes', { config: { replicate: 4 } }, /config\.replicate \(4\) must not exceed storage\.replicas \(3\)/],
      ['TLS without a certificate Secret', { tls: { enabled: true } }, /tls\.enabled needs tls\.secretName/],
      ['mutual TLS without TLS', { tls: { mutual: true } }, /tls\.mutual needs tls\.enabled/],
      ['a password inside the PostgreSQL URL', { postgres: { url: 'postgres://dcs:hunter2@db:5432/dcs' } }, /postgres\.url: Does not match pattern/],
      ['an unknown codec', { config: { compression: { codec: 'zip' } } }, /config\.compression\.codec/],
    ];
    for (const [what, values, expected] of cases) {
      const r = helmTemplate([scratchFile('values.yaml', stringify(values))]);
      assert.notEqual(r.status, 0, `${what}: helm accepted it`);
      assert.match(r.stderr, expected, what);
    }
  });

  it('the schema and cross-reference checks reject deliberately broken manifests', () => {
    const opts = options();
    const mutated = (change: (docs: Manifest[]) => void): Manifest[] => {
      const docs = structuredClone(render());
      change(docs);
      return docs;
    };
    const storage = (docs: Manifest[]): Manifest => find(docs, 'StatefulSet', 'storage')!;
    const schemaCases: [string, (docs: Manifest[]) => void, RegExp][] = [
      ['a port name where a number belongs', (d) => void (storage(d).spec!.template!.spec.containers[0]!.ports![0]!.containerPort = 'http' as unknown as number), /containerPort must be integer/],
      ['a container without a name', (d) => void delete (storage(d).spec!.template!.spec.containers[0] as { name?: string }).name, /must have required property '?name'?/],
      ['an unknown kind', (d) => void d.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }), /no schema validator for v1 Pod/],
      ['an invalid object name', (d) => void (storage(d).metadata.name = 'Storage_Nodes'), /invalid object name/],
    ];
    for (const [what, change, expected] of schemaCases) {
      const problems = schemaProblems(mutated(change));
      assert.ok(problems.some((p) => expected.test(p)), `${what}: ${JSON.stringify(problems)}`);
    }
    const refCases: [string, (docs: Manifest[]) => void, RegExp][] = [
      ['a Service selecting nothing', (d) => void (d.find((x) => x.kind === 'Service' && x.metadata.name === 'dcs-chunker')!.spec!.selector!['app.kubernetes.io/component'] = 'chunkr'), /Service\/dcs-chunker: selector matches no pod template/],
      ['a probe on a missing port', (d) => void (storage(d).spec!.template!.spec.containers[0]!.readinessProbe!.httpGet!.port = 'metrics'), /readiness probe port metrics is not a container port/],
      ['one backend too few', (d) => void (storage(d).spec!.replicas = 4), /3 backends for 4 storage replicas/],
      ['an autoscaler aimed at a missing Deployment', (d) => void (d.find((x) => x.kind === 'HorizontalPodAutoscaler')!.spec!.scaleTargetRef!.name = 'dcs-compresor'), /target Deployment\/dcs-compresor is not rendered/],
      ['a writable root filesystem', (d) => void (storage(d).spec!.template!.spec.containers[0]!.securityContext!.readOnlyRootFilesystem = false), /root filesystem is not read-only/],
      ['a missing token key', (d) => void delete d.find((x) => x.kind === 'Secret')!.data!['node-token'], /reads key node-token/],
      ['the orchestrator without its config', (d) => void d.splice(d.findIndex((x) => x.kind === 'ConfigMap'), 1), /does not hold a dcs\.yaml|uses ConfigMap/],
    ];
    for (const [what, change, expected] of refCases) {
      const problems = referenceProblems(mutated(change), opts);
      assert.ok(problems.some((p) => expected.test(p)), `${what}: ${JSON.stringify(problems)}`);
    }
  });
});

// The deployment files write dcs.yaml with a services: section and no id: (the orchestrator
// creates the repository on first start); the real parser must accept them exactly as written.
describe('dcs.yaml against src/repository/config.ts', () => {
  it('the compose and chart dcs.yaml files are accepted by the repository config parser as they are', async () => {
    const { validateConfig } = await import('../../src/repository/config.ts');
    const texts: [string, string][] = [['deploy/compose/dcs.yaml', read('deploy/compose/dcs.yaml')]];
    if (!skipHelm) {
      for (const values of [[], [join(CHART_DIR, 'ci', 'production-values.yaml')]]) {
        const cm = parseManifests(helmTemplate(values).stdout).find((d) => d.kind === 'ConfigMap');
        texts.push([`chart dcs.yaml ${values.join(' ')}`, cm!.data!['dcs.yaml']!]);
      }
    }
    for (const [where, text] of texts) {
      const config = validateConfig(parse(text), where);
      assert.equal(config.id, undefined);
      assert.equal(config.services?.chunker.length, 1, `${where}: one chunker service`);
      assert.equal(config.services?.compressor.length, 1, `${where}: one compressor service`);
      assert.ok('replicate' in config.redundancy && config.backends.length >= config.redundancy.replicate);
    }
  });
});
