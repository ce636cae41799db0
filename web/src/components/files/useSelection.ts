// The rows ticked in the file browser: files and folders (a folder stands for everything in it).
// Keyed by kind and name, since a file's name may end in "/" like a folder's. Only rows on screen
// stay ticked: the selection follows the folder and search shown, and rows that go away (deleted,
// moved) leave it.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Movable } from '../../move-names.ts';

const keyOf = (item: Movable): string => `${item.kind}:${item.name}`;

export interface Selection {
  items: Movable[];
  has(item: Movable): boolean;
  toggle(item: Movable, on: boolean): void;
  /** Ticks every row given (on) or none (off). */
  setAll(rows: readonly Movable[], on: boolean): void;
  clear(): void;
}

export function useSelection(rows: readonly Movable[]): Selection {
  const [picked, setPicked] = useState<ReadonlyMap<string, Movable>>(new Map());

  // Rows that are no longer shown are no longer selected.
  useEffect(() => {
    setPicked((m) => {
      const shown = new Set(rows.map(keyOf));
      const kept = [...m].filter(([k]) => shown.has(k));
      return kept.length === m.size ? m : new Map(kept);
    });
  }, [rows]);

  const toggle = useCallback((item: Movable, on: boolean): void => {
    setPicked((m) => {
      const next = new Map(m);
      if (on) next.set(keyOf(item), item);
      else next.delete(keyOf(item));
      return next;
    });
  }, []);

  const setAll = useCallback((all: readonly Movable[], on: boolean): void => setPicked(on ? new Map(all.map((r) => [keyOf(r), r])) : new Map()), []);
  const clear = useCallback((): void => setPicked(new Map()), []);

  return useMemo(() => ({ items: [...picked.values()], has: (item: Movable) => picked.has(keyOf(item)), toggle, setAll, clear }), [picked, toggle, setAll, clear]);
}
