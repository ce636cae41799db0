// Byte ranges a request asks for. Front ends translate their syntax (HTTP `Range: bytes=…`, the
// CLI's `--range A-B`, gRPC's start/end fields) into a RangeRequest; resolveRange checks it
// against the file's size with one set of messages for every front end.
import { RangeNotSatisfiableError, UsageError } from '../errors.ts';

/** An inclusive byte range within a file, as in HTTP `Range: bytes=start-end`. */
export interface ByteSpan {
  start: number;
  end: number;
}

/** `{start, end}` (end inclusive; absent or past the end: to the end) or the last `suffix` bytes. */
export type RangeRequest = { start: number; end?: number | undefined } | { suffix: number };

/** Beyond-the-end offsets of any size are valid syntax; they are simply not satisfiable. */
const offset = (n: number): boolean => Number.isInteger(n) && n >= 0;

/** The span of a `size`-byte file that `range` covers. */
export function resolveRange(range: RangeRequest, size: number, name: string): ByteSpan {
  if ('suffix' in range) {
    if (!offset(range.suffix)) throw new UsageError(`invalid byte range: the last ${range.suffix} bytes`);
    if (range.suffix === 0 || size === 0) throw new RangeNotSatisfiableError(`byte range of the last ${range.suffix} bytes of ${JSON.stringify(name)} (size ${size}) is empty`, size);
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  const { start, end } = range;
  if (!offset(start) || (end !== undefined && (!offset(end) || end < start))) {
    throw new UsageError(`invalid byte range ${start}-${end ?? ''}`);
  }
  if (start >= size) {
    throw new RangeNotSatisfiableError(`byte range ${start}-${end ?? ''} starts beyond the end of ${JSON.stringify(name)} (size ${size})`, size);
  }
  return { start, end: end === undefined ? size - 1 : Math.min(end, size - 1) };
}
