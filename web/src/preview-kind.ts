// Which files the file page previews, by the name's extension: the same allowlist the server
// serves inline (src/server/preview-types.ts; test/e2e/web-preview.test.ts holds the two
// together). Anything else has no preview panel: the server would answer 415 NOT_PREVIEWABLE.
export type PreviewKind = 'image' | 'video' | 'audio' | 'pdf' | 'text';

const MEDIA: Readonly<Record<string, PreviewKind>> = {
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  gif: 'image',
  webp: 'image',
  avif: 'image',
  bmp: 'image',
  mp4: 'video',
  m4v: 'video',
  webm: 'video',
  ogv: 'video',
  mp3: 'audio',
  m4a: 'audio',
  ogg: 'audio',
  oga: 'audio',
  opus: 'audio',
  wav: 'audio',
  flac: 'audio',
  pdf: 'pdf',
};

const TEXT = new Set(
  'txt text md markdown log csv tsv json jsonl ndjson yaml yml toml ini cfg conf env xml html htm svg css js mjs cjs jsx ts tsx py rb go rs c h cc cpp hpp java kt swift sh bash zsh fish ps1 sql proto diff patch tex rst adoc lua pl php r scala dockerfile makefile gitignore'.split(' '),
);

/** How `name` is previewed, or undefined when it is not. A name without a dot is its own extension ("Makefile"). */
export function previewKind(name: string): PreviewKind | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  const ext = dot >= 0 ? base.slice(dot + 1) : base;
  return TEXT.has(ext) ? 'text' : MEDIA[ext];
}
