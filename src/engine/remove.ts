// `rm`: delete a file (all versions) or one version. Only metadata changes here; the chunks that
// no version references any more are reclaimed by gc, which is what makes rm safe beside uploads.
import { FileNotFoundError } from '../core/errors.ts';
import type { EngineContext } from './context.ts';

export async function remove(ctx: EngineContext, name: string, options: { version?: number } = {}): Promise<{ versionsRemoved: number }> {
  const versionsRemoved = await ctx.metadata.deleteFile(name, options.version);
  if (versionsRemoved === 0) throw new FileNotFoundError(name, options.version);
  return { versionsRemoved };
}
