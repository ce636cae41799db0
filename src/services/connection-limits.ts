// Connection limits of the service port (listener.ts): how long a new connection may take to choose
// its protocol, and how many connections the process holds, in total and per client address. At a
// limit the connection that has been idle longest is closed for the new one; only when every
// connection has a request in flight is the new one refused. Without this, silent sockets took
// every file descriptor and no request (not even /healthz) got in.
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { ConfigError } from '../core/errors.ts';

export interface ConnectionLimits {
  /** From accept: the TLS handshake and the bytes that choose HTTP/1.1 or HTTP/2 (its preface and SETTINGS). */
  handshakeTimeoutMs: number;
  /** Connections held at once. */
  maxConnections: number;
  /** Connections from one client address (IPv6: one /64, what a single host is usually given). */
  maxConnectionsPerAddress: number;
}

/** Why the listener closed a connection itself: too slow to start, idle at a limit, or refused at a limit. */
export type DropReason = 'deadline' | 'shed' | 'refused';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Past this, memory rather than descriptors runs out first (TLS and HTTP/2 state per connection). */
export const MAX_DEFAULT_CONNECTIONS = 10_000;
/** Assumed open-file limit where the process's own cannot be read (not Linux). */
export const FALLBACK_OPEN_FILES = 8192;

/** The process's soft RLIMIT_NOFILE (Node raises it to the hard limit at start-up); undefined where unknown. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * Limits with defaults for what is not given: half the descriptors for connections (the other half
 * stays for files, backends and outgoing connections), and a quarter of those per address, so that
 * one address cannot crowd out the others while a NAT or proxy in front of many clients still fits.
 */
export function resolveConnectionLimits(given: Partial<ConnectionLimits>, openFiles: number | undefined): ConnectionLimits {
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new ConfigError(`connection limit ${name} must be a positive integer, got ${String(value)}`);
  }
  const maxConnections = given.maxConnections ?? Math.max(16, Math.min(MAX_DEFAULT_CONNECTIONS, Math.floor((openFiles ?? FALLBACK_OPEN_FILES) / 2)));
  return {
    handshakeTimeoutMs: given.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    maxConnections,
    maxConnectionsPerAddress: Math.min(maxConnections, given.maxConnectionsPerAddress ?? Math.max(1, Math.floor(maxConnections / 4))),
  };
}

/** What the per-address limit counts: the address itself, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64. */
export function addressGroup(address: string | undefined): string {
  if (address === undefined || address === '') return '?';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  const [head = '', tail] = bare.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const front = groups(head);
  const full = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - groups(tail).length).fill('0'), ...groups(tail)];
  return `${full.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

interface Group<C> {
  key: string;
  count: number;
  /** Idle connections of this group, longest idle first (a Set keeps insertion order). */
  idle: Set<C>;
}

/**
 * The connections a listener holds and which are idle (no request in flight, or no protocol chosen
 * yet), each set in the order they became idle, so the one idle longest is found in O(1).
 */
export class ConnectionTable<C> {
  readonly limits: ConnectionLimits;
  readonly #groups = new Map<string, Group<C>>();
  readonly #groupOf = new Map<C, Group<C>>();
  readonly #idle = new Set<C>();

  constructor(limits: ConnectionLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.#groupOf.size;
  }

  /**
   * Takes `conn` (from `address`) in, idle. At a limit, first closes (`shed`) the connection idle
   * longest, of the same address when that address is at its limit; returns false, taking nothing
   * in, when none is idle there.
   */
  admit(conn: C, address: string | undefined, shed: (victim: C) => void): boolean {
    const key = addressGroup(address);
    const group = this.#groups.get(key) ?? { key, count: 0, idle: new Set<C>() };
    if (group.count >= this.limits.maxConnectionsPerAddress) {
      const victim = first(group.idle);
      if (victim === undefined) return false;
      this.delete(victim);
      shed(victim);
    }
    // After a shed above there is room: it took one out of the total too.
    if (this.#groupOf.size >= this.limits.maxConnections) {
      const victim = first(this.#idle);
      if (victim === undefined) return false;
      this.delete(victim);
      shed(victim);
    }
    this.#groups.set(key, group);
    group.count++;
    this.#groupOf.set(conn, group);
    group.idle.add(conn);
    this.#idle.add(conn);
    return true;
  }

  /** Busy connections are never shed; one that turns idle goes to the back of the line. */
  setBusy(conn: C, busy: boolean): void {
    const group = this.#groupOf.get(conn);
    if (group === undefined) return;
    group.idle.delete(conn);
    this.#idle.delete(conn);
    if (!busy) {
      group.idle.add(conn);
      this.#idle.add(conn);
    }
  }

  delete(conn: C): void {
    const group = this.#groupOf.get(conn);
    if (group === undefined) return;
    this.#groupOf.delete(conn);
    this.#idle.delete(conn);
    group.idle.delete(conn);
    if (--group.count === 0) this.#groups.delete(group.key);
  }
}

function first<T>(set: Set<T>): T | undefined {
  for (const x of set) return x;
  return undefined;
}

export interface ListenerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Logs dropped connections as counts: the first at once, then at most one line per interval with
 * what came since, so a flood of thousands of sockets is a few lines, not thousands.
 */
export class DropLog {
  readonly #log: ListenerLog | undefined;
  readonly #context: () => object;
  readonly #intervalMs: number;
  #counts: Record<DropReason, number> = { deadline: 0, shed: 0, refused: 0 };
  #timer: NodeJS.Timeout | undefined;

  constructor(log: ListenerLog | undefined, context: () => object, intervalMs = 10_000) {
    this.#log = log;
    this.#context = context;
    this.#intervalMs = intervalMs;
  }

  count(reason: DropReason): void {
    if (this.#log === undefined) return;
    this.#counts[reason]++;
    if (this.#timer !== undefined) return;
    this.#flush();
    this.#timer = setInterval(() => {
      if (!this.#flush()) this.#stop();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Logs what is still counted, then stops. */
  close(): void {
    this.#flush();
    this.#stop();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #flush(): boolean {
    const c = this.#counts;
    if (c.deadline + c.shed + c.refused === 0) return false;
    this.#counts = { deadline: 0, shed: 0, refused: 0 };
    const fields = { ...c, ...this.#context() };
    if (c.shed + c.refused > 0) this.#log?.warn(fields, 'at the connection limit: closed idle connections for new ones (shed), refused new ones where none was idle (refused)');
    else this.#log?.info(fields, 'closed connections that did not finish the TLS handshake or choose a protocol in time');
    return true;
  }
}
