// The upload queue. It lives outside React so uploads keep going while the user looks at other
// pages. Files smaller than the server's part size go up as one streamed PUT; larger files as a
// resumable multipart upload whose id is kept in localStorage under name+size+lastModified:
//  - a network error (or a 502/503/504) marks the row "interrupted — resuming" and retries with
//    backoff (at once when the browser comes back online); a retry asks the server which parts it
//    already has (GET /api/v1/uploads/{id}) and sends only the missing ones;
//  - after a reload, picking the same file again continues the same upload;
//  - any other failure is final: Retry is offered only when it can help (upload-failure.ts).
import {
  abortUpload,
  ApiError,
  beginUpload,
  completeUpload,
  fileUrl,
  getUpload,
  partUrl,
  sendWithProgress,
  type PartResult,
  type ResumableUpload,
  type UploadResult,
} from './api.ts';
import { describeUploadFailure } from './upload-failure.ts';
import { isOnline, onConnectivity, recheckConnectivity } from './connectivity.ts';

export type UploadState = 'queued' | 'uploading' | 'interrupted' | 'completing' | 'done' | 'failed' | 'cancelled';

export interface UploadRow {
  key: string;
  file: File;
  name: string;
  codec: string;
  size: number;
  state: UploadState;
  mode: 'single' | 'multipart';
  loaded: number;
  /** bytes per second over the last few seconds */
  speed: number;
  /** one line: the error, or what is going on (e.g. "resumed: 3 of 8 parts already on the server") */
  message: string;
  /** failed only: whether Retry can help (upload-failure.ts); a refused upload fails the same way again */
  retryable?: boolean;
  /** multipart only */
  parts?: { total: number; done: number; resumed: number; sent: number };
  result?: UploadResult;
  retryAt?: number;
  startedAt: number;
  finishedAt?: number;
}

export const ACTIVE: ReadonlySet<UploadState> = new Set(['queued', 'uploading', 'interrupted', 'completing']);

/** Uploads running at once, and parts of one multipart upload in flight at once. */
const MAX_FILES = 2;
const MAX_PARTS = 3;
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];

interface Saved {
  id: string;
  name: string;
  size: number;
  partSize: number;
  codec: string;
  savedAt: number;
}

const SAVED_PREFIX = 'dcs.upload.v1:';

function savedKey(name: string, file: File): string {
  return `${SAVED_PREFIX}${JSON.stringify([name, file.size, file.lastModified])}`;
}

function loadSaved(key: string): Saved | undefined {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Saved) : undefined;
  } catch {
    return undefined;
  }
}

function save(key: string, value: Saved): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the upload still works, it just cannot resume after a reload
  }
  emitSaved();
}

function forget(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // ignore
  }
  emitSaved();
}

/** Multipart uploads begun in this browser and not finished (to resume, pick the same file again). */
export interface Unfinished {
  storageKey: string;
  id: string;
  name: string;
  size: number;
  savedAt: number;
}

let unfinishedCache: Unfinished[] | undefined;

export function unfinishedUploads(): Unfinished[] {
  if (unfinishedCache) return unfinishedCache;
  const out: Unfinished[] = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (!k?.startsWith(SAVED_PREFIX)) continue;
      const s = loadSaved(k);
      if (s) out.push({ storageKey: k, id: s.id, name: s.name, size: s.size, savedAt: s.savedAt });
    }
  } catch {
    // no storage
  }
  out.sort((a, b) => b.savedAt - a.savedAt);
  unfinishedCache = out;
  return out;
}

export async function discardUnfinished(u: Unfinished): Promise<void> {
  forget(u.storageKey);
  try {
    await abortUpload(u.id);
  } catch {
    // gone already, or unreachable: gc drops it after the resumable timeout
  }
}

// --- the store ------------------------------------------------------------------------------

interface Runtime {
  row: UploadRow;
  storageKey: string;
  uploadId?: string;
  partSize?: number;
  xhrs: Set<{ abort(): void }>;
  cancelled: boolean;
  attempts: number;
  timer?: ReturnType<typeof setTimeout>;
  samples: { t: number; loaded: number }[];
  /** bytes of finished parts (multipart) */
  doneBytes: number;
  inflight: Map<number, number>;
  firstRun: boolean;
  completeSent: boolean;
  /** The last failure was the network's (no answer at all). */
  networkFailure?: boolean;
}

const runtimes = new Map<string, Runtime>();
let order: string[] = [];
let snapshot: UploadRow[] = [];
const listeners = new Set<() => void>();
const savedListeners = new Set<() => void>();
let pending: ReturnType<typeof setTimeout> | undefined;
let seq = 0;

function rebuild(): void {
  pending = undefined;
  snapshot = order.map((k) => runtimes.get(k)!.row);
  for (const l of listeners) l();
}

/** Coalesces progress into at most ~12 renders per second; state changes flush at once. */
function changed(now = false): void {
  if (now) {
    if (pending) clearTimeout(pending);
    rebuild();
    return;
  }
  pending ??= setTimeout(rebuild, 80);
}

function emitSaved(): void {
  unfinishedCache = undefined;
  for (const l of savedListeners) l();
}

export function subscribeUploads(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function uploadsSnapshot(): UploadRow[] {
  return snapshot;
}

export function subscribeUnfinished(l: () => void): () => void {
  savedListeners.add(l);
  return () => savedListeners.delete(l);
}

function update(rt: Runtime, patch: Partial<UploadRow>, now = true): void {
  rt.row = { ...rt.row, ...patch };
  changed(now);
}

function progress(rt: Runtime, loaded: number): void {
  const t = performance.now();
  rt.samples.push({ t, loaded });
  while (rt.samples.length > 2 && t - rt.samples[0]!.t > 3000) rt.samples.shift();
  const first = rt.samples[0]!;
  const speed = t - first.t > 250 ? ((loaded - first.loaded) * 1000) / (t - first.t) : rt.row.speed;
  update(rt, { loaded: Math.min(loaded, rt.row.size), speed: Math.max(0, speed) }, false);
}

export interface AddOptions {
  codec: string;
  /** folder prefix for the names, e.g. "photos/2024/" ('' for none) */
  prefix: string;
  partSize: number;
}

export function joinName(prefix: string, fileName: string): string {
  const p = prefix.trim().replace(/^\/+/, '');
  if (!p) return fileName;
  return p.endsWith('/') ? p + fileName : `${p}/${fileName}`;
}

/**
 * A file to upload and its name below the target folder: its own name, or "dir/sub/name" for a
 * file of a picked or dropped folder (the folder's tree is kept in the names).
 */
export interface PickedFile {
  file: File;
  path: string;
}

export function addUploads(files: Iterable<PickedFile>, options: AddOptions): void {
  for (const { file, path } of files) {
    const name = joinName(options.prefix, path);
    const key = `u${++seq}`;
    const multipart = file.size >= options.partSize;
    const row: UploadRow = {
      key,
      file,
      name,
      codec: options.codec,
      size: file.size,
      state: 'queued',
      mode: multipart ? 'multipart' : 'single',
      loaded: 0,
      speed: 0,
      message: 'waiting',
      startedAt: Date.now(),
    };
    runtimes.set(key, {
      row,
      storageKey: savedKey(name, file),
      xhrs: new Set(),
      cancelled: false,
      attempts: 0,
      samples: [],
      doneBytes: 0,
      inflight: new Map(),
      firstRun: true,
      completeSent: false,
    });
    order = [key, ...order];
  }
  changed(true);
  pump();
}

function running(): number {
  let n = 0;
  for (const rt of runtimes.values()) if (rt.row.state === 'uploading' || rt.row.state === 'completing') n++;
  return n;
}

function pump(): void {
  // oldest first
  for (const key of [...order].reverse()) {
    if (running() >= MAX_FILES) return;
    const rt = runtimes.get(key)!;
    if (rt.row.state === 'queued') void run(rt);
  }
}

async function run(rt: Runtime): Promise<void> {
  if (rt.timer) clearTimeout(rt.timer);
  rt.timer = undefined;
  rt.samples = [];
  update(rt, { state: 'uploading', message: rt.firstRun ? 'starting' : 'resuming', retryAt: undefined, speed: 0 });
  try {
    const result = rt.row.mode === 'single' ? await runSingle(rt) : await runMultipart(rt);
    if (rt.cancelled) return;
    update(rt, { state: 'done', result, loaded: rt.row.size, finishedAt: Date.now(), speed: 0 });
  } catch (err) {
    if (rt.cancelled) return;
    failed(rt, err);
  } finally {
    rt.firstRun = false;
    pump();
  }
}

function failed(rt: Runtime, err: unknown): void {
  for (const x of rt.xhrs) x.abort();
  rt.xhrs.clear();
  rt.inflight.clear();
  const e = err instanceof ApiError ? err : undefined;
  if (e?.transient) {
    const delay = BACKOFF_MS[Math.min(rt.attempts, BACKOFF_MS.length - 1)]!;
    rt.attempts++;
    const retryAt = Date.now() + delay;
    rt.timer = setTimeout(() => retry(rt.row.key), delay);
    rt.networkFailure = e.status === 0;
    const why = e.status === 0 && !isOnline() ? OFFLINE_MESSAGE : e.message;
    update(rt, { state: 'interrupted', retryAt, speed: 0, message: why });
    // No answer at all: ask whether the server is reachable now (what the message says follows).
    if (e.status === 0) recheckConnectivity();
    return;
  }
  const failure = describeUploadFailure(err, rt.row.mode);
  if (failure.startsOver) {
    // The upload session is gone (aborted elsewhere or dropped by gc after its idle timeout).
    forget(rt.storageKey);
    rt.uploadId = undefined;
  } else if (!failure.retryable) {
    // Picking the file again would fail the same way: do not offer it as an unfinished upload.
    const id = rt.uploadId ?? loadSaved(rt.storageKey)?.id;
    forget(rt.storageKey);
    rt.uploadId = undefined;
    if (id) void abortUpload(id).catch(() => undefined);
  }
  update(rt, { state: 'failed', speed: 0, message: failure.message, retryable: failure.retryable });
}

async function runSingle(rt: Runtime): Promise<UploadResult> {
  update(rt, { loaded: 0, message: '' });
  const handle = sendWithProgress<UploadResult>('PUT', fileUrl(rt.row.name, { codec: rt.row.codec }), rt.row.file, (n) => progress(rt, n));
  rt.xhrs.add(handle);
  try {
    const result = await handle.promise;
    update(rt, { state: 'completing' });
    return result;
  } finally {
    rt.xhrs.delete(handle);
  }
}

function expectedPartSize(size: number, partSize: number, part: number): number {
  return Math.min(partSize, size - (part - 1) * partSize);
}

async function openUpload(rt: Runtime): Promise<ResumableUpload> {
  const { row } = rt;
  if (rt.uploadId) return getUpload(rt.uploadId);
  const saved = loadSaved(rt.storageKey);
  if (saved) {
    try {
      const upload = await getUpload(saved.id);
      rt.uploadId = upload.id;
      rt.partSize = saved.partSize;
      if (upload.codec !== row.codec) update(rt, { codec: upload.codec });
      return upload;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      forget(rt.storageKey); // expired on the server: start over
    }
  }
  const upload = await beginUpload({ name: row.name, codec: row.codec, size: row.size });
  rt.uploadId = upload.id;
  rt.partSize = upload.partSize;
  save(rt.storageKey, { id: upload.id, name: row.name, size: row.size, partSize: upload.partSize, codec: row.codec, savedAt: Date.now() });
  return upload;
}

async function runMultipart(rt: Runtime): Promise<UploadResult> {
  const { row } = rt;
  const upload = await openUpload(rt);
  if (rt.cancelled) throw new ApiError(0, 'ABORTED', 'cancelled');
  const partSize = rt.partSize ?? upload.partSize;
  const total = Math.max(1, Math.ceil(row.size / partSize));
  const have = new Set<number>();
  for (const p of upload.parts) {
    if (p.part >= 1 && p.part <= total && p.size === expectedPartSize(row.size, partSize, p.part)) have.add(p.part);
  }
  rt.doneBytes = 0;
  for (const p of have) rt.doneBytes += expectedPartSize(row.size, partSize, p);
  const sent = row.parts?.sent ?? 0;
  let message = '';
  if (have.size > 0) message = `resumed: ${have.size} of ${total} parts already on the server`;
  update(rt, { parts: { total, done: have.size, resumed: have.size, sent }, loaded: rt.doneBytes, message });
  rt.inflight.clear();

  const missing: number[] = [];
  for (let p = 1; p <= total; p++) if (!have.has(p)) missing.push(p);

  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (missing.length > 0 && failure === undefined && !rt.cancelled) {
      const part = missing.shift()!;
      const start = (part - 1) * partSize;
      const blob = row.file.slice(start, start + expectedPartSize(row.size, partSize, part));
      const handle = sendWithProgress<PartResult>('PUT', partUrl(upload.id, part), blob, (n) => {
        rt.inflight.set(part, n);
        let inflight = 0;
        for (const v of rt.inflight.values()) inflight += v;
        progress(rt, rt.doneBytes + inflight);
      });
      rt.xhrs.add(handle);
      const p = rt.row.parts!;
      update(rt, { parts: { ...p, sent: p.sent + 1 } }, false);
      try {
        await handle.promise;
        rt.inflight.delete(part);
        rt.doneBytes += blob.size;
        rt.attempts = 0; // progress was made: start the backoff again from the shortest delay
        const q = rt.row.parts!;
        update(rt, { parts: { ...q, done: q.done + 1 }, loaded: rt.doneBytes + sum(rt.inflight) }, false);
      } catch (err) {
        // Start no more parts; the ones in flight finish (or fail) on their own, so a retry has
        // as little as possible left to send.
        rt.inflight.delete(part);
        if (failure === undefined) failure = err;
      } finally {
        rt.xhrs.delete(handle);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_PARTS, Math.max(1, missing.length)) }, worker));
  if (failure !== undefined) throw failure;
  if (rt.cancelled) throw new ApiError(0, 'ABORTED', 'cancelled');
  update(rt, { state: 'completing', message: message ? `${message}; committing` : 'committing', loaded: row.size });
  rt.completeSent = true;
  const result = await completeUpload(upload.id, row.size);
  forget(rt.storageKey);
  update(rt, { message });
  return result;
}

function sum(m: Map<number, number>): number {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
}

/** Resume now (an interrupted or failed upload); also what the Retry/Resume button does. */
export function retry(key: string): void {
  const rt = runtimes.get(key);
  if (!rt || rt.cancelled) return;
  if (rt.row.state !== 'interrupted' && rt.row.state !== 'failed') return;
  if (rt.row.state === 'failed' && rt.row.retryable === false) return;
  if (rt.timer) clearTimeout(rt.timer);
  rt.timer = undefined;
  if (rt.row.state === 'failed') rt.attempts = 0;
  update(rt, { state: 'queued', message: 'waiting to resume', retryAt: undefined, retryable: undefined });
  pump();
}

export function cancel(key: string): void {
  const rt = runtimes.get(key);
  if (!rt || !ACTIVE.has(rt.row.state)) return;
  rt.cancelled = true;
  if (rt.timer) clearTimeout(rt.timer);
  for (const x of rt.xhrs) x.abort();
  rt.xhrs.clear();
  update(rt, { state: 'cancelled', speed: 0, message: 'cancelled', retryAt: undefined, finishedAt: Date.now() });
  const id = rt.uploadId ?? loadSaved(rt.storageKey)?.id;
  forget(rt.storageKey);
  if (id) void abortUpload(id).catch(() => undefined);
  pump();
}

export function dismiss(key: string): void {
  const rt = runtimes.get(key);
  if (!rt || ACTIVE.has(rt.row.state)) return;
  runtimes.delete(key);
  order = order.filter((k) => k !== key);
  changed(true);
}

export function clearFinished(): void {
  for (const key of [...order]) {
    const rt = runtimes.get(key)!;
    if (!ACTIVE.has(rt.row.state)) runtimes.delete(key);
  }
  order = order.filter((k) => runtimes.has(k));
  changed(true);
}

const OFFLINE_MESSAGE = 'you are offline; resuming when the connection is back';

// Back online: resume interrupted uploads at once instead of waiting for their backoff. Gone
// offline: uploads the network interrupted say so.
onConnectivity((online) => {
  for (const rt of runtimes.values()) {
    if (rt.row.state !== 'interrupted') continue;
    if (online) retry(rt.row.key);
    else if (rt.networkFailure) update(rt, { message: OFFLINE_MESSAGE });
  }
});

// Leaving the page while uploading: ask first (multipart uploads can be resumed, but still).
window.addEventListener('beforeunload', (e) => {
  for (const rt of runtimes.values()) {
    if (rt.row.state === 'uploading' || rt.row.state === 'completing') {
      e.preventDefault();
      return;
    }
  }
});
