// Which files the browser may show inline (previews), by the name's extension, and as what. An
// allowlist: everything else downloads as application/octet-stream. Markup that could run script
// in this origin (HTML, SVG, XML) is shown as text, never rendered; with `sandbox` in the CSP even a
// file that sniffs as HTML could not script.
const TEXT = 'text/plain; charset=utf-8';

const TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  pdf: 'application/pdf',
};

const TEXT_EXTENSIONS = new Set(
  'txt text md markdown log csv tsv json jsonl ndjson yaml yml toml ini cfg conf env xml html htm svg css js mjs cjs jsx ts tsx py rb go rs c h cc cpp hpp java kt swift sh bash zsh fish ps1 sql proto diff patch tex rst adoc lua pl php r scala dockerfile makefile gitignore'.split(' '),
);

/** What a preview of `name` is served as, or undefined when it is not previewed. */
export function previewType(name: string): { contentType: string; kind: 'image' | 'video' | 'audio' | 'pdf' | 'text' } | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  const ext = dot >= 0 ? base.slice(dot + 1) : base;
  if (TEXT_EXTENSIONS.has(ext)) return { contentType: TEXT, kind: 'text' };
  const type = TYPES[ext];
  if (type === undefined) return undefined;
  const kind = type === 'application/pdf' ? 'pdf' : (type.split('/')[0] as 'image' | 'video' | 'audio');
  return { contentType: type, kind };
}

/**
 * The CSP of a preview. `sandbox` everywhere but PDFs, which Chrome refuses to show in a sandboxed
 * document: those get no script or fetch rights of their own, and Chrome renders them in its
 * separate viewer process.
 */
export function previewCsp(kind: string): string {
  return kind === 'pdf' ? "default-src 'none'; object-src 'self'" : "default-src 'none'; img-src 'self'; media-src 'self'; sandbox";
}
