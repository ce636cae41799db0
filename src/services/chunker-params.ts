// ChunkerParams between the wire form (dcs.v1.ChunkerParams: zero fields take the defaults, `fixed`
// cuts chunks of avg_size bytes) and the core form, validated by the same rules as dcs.yaml so a
// remote chunker accepts exactly what a local one does.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { DEFAULT_CHUNKER, validateChunkerParams, type ChunkerParams } from '../core/chunker.ts';
import { UsageError } from '../core/errors.ts';
import type { ChunkerParams as WireChunkerParams, ChunkerParamsSchema } from './gen/dcs/v1/chunking_pb.js';

const DEFAULTS = DEFAULT_CHUNKER.kind === 'fastcdc' ? DEFAULT_CHUNKER : { min: 512 * 1024, avg: 1024 * 1024, max: 4 * 1024 * 1024 };

/** Wire → core. Bad parameters are a UsageError (INVALID_ARGUMENT on the wire). */
export function chunkerParamsFromWire(p: WireChunkerParams | undefined): ChunkerParams {
  try {
    if (p?.fixed) {
      if (p.minSize !== 0 || p.maxSize !== 0) throw new UsageError('fixed chunking takes only avg_size (the chunk size)');
      return validateChunkerParams({ kind: 'fixed', size: p.avgSize || DEFAULTS.avg });
    }
    return validateChunkerParams({ kind: 'fastcdc', min: p?.minSize || DEFAULTS.min, avg: p?.avgSize || DEFAULTS.avg, max: p?.maxSize || DEFAULTS.max });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`invalid chunker parameters: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Core → wire (every field explicit, so the far side's defaults never matter). */
export function chunkerParamsToWire(p: ChunkerParams): MessageInitShape<typeof ChunkerParamsSchema> {
  return p.kind === 'fixed' ? { fixed: true, avgSize: p.size } : { minSize: p.min, avgSize: p.avg, maxSize: p.max };
}
