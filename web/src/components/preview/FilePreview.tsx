// The file page's Preview panel, for the names the server shows inline (preview-kind.ts): an
// image, a player for sound and video (the browser asks for ranges, so seeking works), a PDF in a
// frame, the start of a text. The server serves them with their real type, nosniff and a
// sandboxing CSP; nothing here ever renders a file as a page of this origin. Other files: no panel.
// The PDF frame has no sandbox attribute: Chromium will not run its PDF viewer in a sandboxed frame
// (it shows "blocked"), so the server's CSP for PDFs (no script, no fetches) confines it instead.
import { useState } from 'react';
import { previewUrl, type FileStat } from '../../api.ts';
import { baseName, formatBytes } from '../../format.ts';
import { previewKind, type PreviewKind } from '../../preview-kind.ts';
import { Panel } from '../Panel.tsx';
import { TextPreview } from './TextPreview.tsx';

/** Images and PDFs load whole: past this size they wait for a click. */
const AUTO_LOAD_MAX = 25 * 1024 * 1024;

export function FilePreview({ stat }: { stat: FileStat }) {
  const kind = previewKind(stat.name);
  if (!kind) return null;
  return (
    <Panel id="preview" title="Preview" testId="file-preview">
      <PreviewBody key={stat.version.version} kind={kind} name={stat.name} version={stat.version.version} size={stat.size} />
    </Panel>
  );
}

function PreviewBody({ kind, name, version, size }: { kind: PreviewKind; name: string; version: number; size: number }) {
  const [show, setShow] = useState(!(kind === 'image' || kind === 'pdf') || size <= AUTO_LOAD_MAX);
  const [failed, setFailed] = useState(false);
  const src = previewUrl(name, version);
  const label = `Preview of ${baseName(name)}`;
  if (size === 0) return <p className="muted">The file is empty.</p>;
  if (!show) {
    return (
      <p className="muted">
        {formatBytes(size)} to load.{' '}
        <button type="button" className="btn btn--small" onClick={() => setShow(true)} data-testid="preview-load">
          Show preview
        </button>
      </p>
    );
  }
  if (failed) {
    return (
      <p className="error-text" role="alert" data-testid="preview-failed">
        This browser cannot show this file (damaged, or a format it does not play). Download it instead.
      </p>
    );
  }
  const onError = (): void => setFailed(true);
  switch (kind) {
    case 'text':
      return <TextPreview name={name} version={version} />;
    case 'image':
      return (
        <div className="preview preview--image">
          <img src={src} alt={label} onError={onError} data-testid="preview-image" />
        </div>
      );
    case 'video':
      return <video className="preview preview--video" src={src} controls preload="metadata" aria-label={label} onError={onError} data-testid="preview-video" />;
    case 'audio':
      return <audio className="preview preview--audio" src={src} controls preload="metadata" aria-label={label} onError={onError} data-testid="preview-audio" />;
    case 'pdf':
      return <iframe className="preview preview--pdf" src={src} title={label} data-testid="preview-pdf" />;
  }
}
