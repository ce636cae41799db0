// Runs the real Helm binary here, offline. There is no helm on this machine and its download site
// is unreachable; the npm package @aws-cdk/asset-kubectl-v20 (Apache-2.0, no dependencies) ships a
// Lambda layer zip with a static linux-x64 helm (v3.8.1) and kubectl. We unpack helm from that zip
// once into node_modules/.cache and run `helm lint` / `helm template` with it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CHART_DIR = join(REPO_ROOT, 'deploy', 'helm', 'dcs');

const HELM_PACKAGE = '@aws-cdk/asset-kubectl-v20';

/** Why helm cannot run here, or undefined when it can. */
export function helmUnavailableReason(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `the helm binary shipped in ${HELM_PACKAGE} is linux-x64 only (this is ${process.platform}-${process.arch})`;
  }
  return undefined;
}

/** One entry of a zip archive (stored or deflated), checked against its length and CRC-32. */
export function extractZipEntry(zip: Buffer, name: string): Buffer {
  // End of central directory record: 22 bytes plus a comment of up to 65535 bytes, at the end.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`zip: bad central directory entry at ${p}`);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const storedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    if (zip.toString('utf8', p + 46, p + 46 + nameLength) === name) {
      if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`zip: bad local header for ${name}`);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(start, start + storedSize);
      let data: Buffer;
      if (method === 0) data = raw;
      else if (method === 8) data = inflateRawSync(raw);
      else throw new Error(`zip: ${name} uses compression method ${method}`);
      if (data.length !== size || crc32(data) !== crc) throw new Error(`zip: ${name} is corrupt (length or CRC-32 mismatch)`);
      return data;
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`zip: no entry ${name}`);
}

let helmPath: string | undefined;

/** Path of the helm binary, unpacked on first use. */
export function helmBinary(): string {
  if (helmPath) return helmPath;
  const pkgJson = createRequire(import.meta.url).resolve(`${HELM_PACKAGE}/package.json`);
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'dcs-deploy-test');
  const target = join(dir, `helm-${HELM_PACKAGE.replace(/[@/]/g, '_')}-${version}`);
  if (!existsSync(target)) {
    mkdirSync(dir, { recursive: true });
    const binary = extractZipEntry(readFileSync(join(dirname(pkgJson), 'lib', 'layer.zip')), 'helm/helm');
    const partial = `${target}.${process.pid}.tmp`;
    writeFileSync(partial, binary);
    chmodSync(partial, 0o755);
    renameSync(partial, target);
  }
  helmPath = target;
  return target;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

let helmHome: string | undefined;

/** Runs helm with its cache/config/data directories in a scratch folder (never the user's). */
export function helm(args: string[]): HelmResult {
  helmHome ??= mkdtempSync(join(tmpdir(), 'dcs-helm-'));
  const r = spawnSync(helmBinary(), args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
    },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const RELEASE = 'dcs';
export const NAMESPACE = 'dcs-test';
export const KUBE_VERSION = '1.30.0';

/** `helm template` of the chart with the given values files (none: values.yaml alone). */
export function helmTemplate(valuesFiles: string[]): HelmResult {
  return helm([
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...valuesFiles.flatMap((f) => ['--values', f]),
  ]);
}
