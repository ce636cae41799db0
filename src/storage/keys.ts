// Object keys are '/'-separated relative paths. Every store validates them the same way, so a
// hostile key can never address anything outside a store's root.
import { UsageError } from '../core/errors.ts';

export function validateKey(key: string): string {
  if (key.length === 0 || key.length > 1024) throw new UsageError(`invalid object key (length ${key.length})`);
  if (key.startsWith('/') || key.includes('\\') || key.includes('\0')) throw new UsageError(`invalid object key ${JSON.stringify(key)}`);
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw new UsageError(`invalid object key ${JSON.stringify(key)}`);
  }
  return key;
}
