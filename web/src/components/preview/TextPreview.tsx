// The start of a text file: its first 256 KiB (one Range request), decoded as UTF-8, in a <pre>,
// saying so when the file is longer. A character cut in half at the end is left out.
import { useEffect, useState } from 'react';
import { fetchPreviewStart } from '../../api.ts';
import { formatBytes } from '../../format.ts';
import { ErrorLine, Spinner } from '../common.tsx';

const SHOWN = 256 * 1024;

export function TextPreview({ name, version }: { name: string; version: number }) {
  const [text, setText] = useState<{ body: string; total: number; cut: boolean }>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const ac = new AbortController();
    fetchPreviewStart(name, version, SHOWN, ac.signal).then(
      ({ bytes, total }) => {
        // stream: true keeps a trailing partial character back instead of showing U+FFFD.
        const body = new TextDecoder('utf-8').decode(bytes, { stream: total > bytes.length });
        if (!ac.signal.aborted) setText({ body, total, cut: total > bytes.length });
      },
      (err: unknown) => {
        if (!ac.signal.aborted) setError(err);
      },
    );
    return () => ac.abort();
  }, [name, version]);
  if (error !== undefined) return <ErrorLine error={error} testId="preview-error" wrap />;
  if (!text) return <Spinner label="Loading the preview" />;
  return (
    <>
      {text.cut ? (
        <p className="muted small" data-testid="preview-cut">
          Showing the first 256 KiB of {formatBytes(text.total)}. Download the file for all of it.
        </p>
      ) : null}
      <pre className="preview preview--text" tabIndex={0} aria-label="Text preview" data-testid="preview-text">
        {text.body}
      </pre>
    </>
  );
}
