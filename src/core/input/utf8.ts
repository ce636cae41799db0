// Text as requests carry it: bytes that must be UTF-8. Every decoder that turns request bytes into
// strings (HTTP paths, queries and JSON bodies, gRPC and Connect messages) goes through utf8Text,
// which keeps invalid sequences visible instead of turning them into U+FFFD: each becomes a lone
// surrogate, so the string is not well-formed and validateName (or the field's own check) refuses
// it with the same message a JSON "\ud800" gets. Silently rewriting a name would store a different
// name than the client sent, and make two distinct names one.
import { UsageError } from '../errors.ts';

/** Stands for one byte that is not part of a valid UTF-8 sequence (never valid on its own). */
const INVALID = '\udfff';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `bytes` as text; invalid UTF-8 sequences become lone surrogates (see above). */
export function utf8Text(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return markInvalid(bytes);
  }
}

/** The slow path, for text that is not UTF-8: valid sequences decoded, each stray byte marked. */
function markInvalid(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    let taken = 0;
    for (let n = 1; n <= 4 && i + n <= bytes.length && taken === 0; n++) {
      try {
        out += strict.decode(bytes.subarray(i, i + n));
        taken = n;
      } catch {
        // not a whole valid sequence of n bytes
      }
    }
    if (taken === 0) {
      out += INVALID;
      taken = 1;
    }
    i += taken;
  }
  return out;
}

/**
 * Percent-decoding of a URL path segment or query component into text (utf8Text above).
 * Characters outside %XX stand for their own bytes: Node hands over the request line as latin1.
 */
export function percentDecode(text: string): string {
  if (!text.includes('%')) return utf8Text(Buffer.from(text, 'latin1'));
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x25) {
      bytes.push(c & 0xff);
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new UsageError('malformed percent-encoding in the URL');
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return utf8Text(Uint8Array.from(bytes));
}

/**
 * Query parameters as a request sent them. Not URLSearchParams: that turns lone surrogates into
 * U+FFFD (it holds USVStrings), which would hide invalid UTF-8 from the checks again.
 */
export interface QueryParams {
  /** The first value of `key`, or null. */
  get(key: string): string | null;
  /** Every value of `key`, in order. */
  getAll(key: string): string[];
}

/** A query string split as URLSearchParams would split it, each part decoded by percentDecode. */
export function queryParams(query: string): QueryParams {
  const values = new Map<string, string[]>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const [key, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    const k = percentDecode(key.replaceAll('+', ' '));
    const list = values.get(k) ?? [];
    list.push(percentDecode(value.replaceAll('+', ' ')));
    values.set(k, list);
  }
  return { get: (key) => values.get(key)?.[0] ?? null, getAll: (key) => [...(values.get(key) ?? [])] };
}
