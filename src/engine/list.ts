// `ls`: files in name order, optionally under a prefix, streamed from metadata.
import type { FileSummary, ListFilesOptions } from '../metadata/metadata-store.ts';
import type { EngineContext } from './context.ts';

export function list(ctx: EngineContext, options: ListFilesOptions = {}): AsyncIterable<FileSummary> {
  return ctx.metadata.listFiles(options);
}
