// Colours for codecs, taken from the server's codec list (GET /api/v1/info `codecs`): a codec is
// coloured by its position in that list, so the UI names no codec, and a codec added to the
// server's registry (which appends, ids being stable) gets the next colour with no UI change.
import { useCallback } from 'react';
import { useInfo } from './info.ts';

/** By position in the served list; the first seven are the colours the UI has always shown. */
const PALETTE = ['#8b5cf6', '#94a3b8', '#f59e0b', '#6366f1', '#ec4899', '#14b8a6', '#0ea5e9'];
/** A codec the server does not list (a retired one, say). */
const UNLISTED = '#64748b';

export function codecColour(codec: string, codecs: readonly string[]): string {
  const i = codecs.indexOf(codec);
  if (i < 0) return UNLISTED;
  // Past the palette: hues a golden angle apart stay distinct from their neighbours.
  return PALETTE[i] ?? `hsl(${Math.round((i * 137.508) % 360)} 62% 52%)`;
}

/** codecColour bound to the codecs of the server this page talks to. */
export function useCodecColour(): (codec: string) => string {
  const { codecs } = useInfo();
  return useCallback((codec: string) => codecColour(codec, codecs), [codecs]);
}
