// The upload form's choices: the codec (the server's list, with what each is good for when the
// server says) and an optional folder for the names.
import { useId } from 'react';
import { useInfo } from '../../info.ts';

export function UploadOptions({ codec, prefix, onCodec, onPrefix }: { codec: string; prefix: string; onCodec: (codec: string) => void; onPrefix: (prefix: string) => void }) {
  const info = useInfo();
  const codecId = useId();
  const prefixId = useId();
  return (
    <div className="upload-options">
      <label className="field" htmlFor={codecId}>
        <span>Compression</span>
        <select id={codecId} value={codec} onChange={(e) => onCodec(e.target.value)} data-testid="codec-select">
          {info.codecs.map((c) => (
            <option key={c} value={c}>
              {info.codecSummaries?.[c] ? `${c} — ${info.codecSummaries[c]}` : c}
              {c === info.defaultCodec ? ' (server default)' : ''}
            </option>
          ))}
        </select>
      </label>
      <label className="field field--grow" htmlFor={prefixId}>
        <span>Folder (optional)</span>
        <input
          id={prefixId}
          type="text"
          placeholder="e.g. photos/2024/"
          value={prefix}
          spellCheck={false}
          autoCapitalize="off"
          onChange={(e) => onPrefix(e.target.value)}
          data-testid="prefix-input"
        />
      </label>
    </div>
  );
}
