// Upload: drop zone + file and folder pickers, codec, folder prefix; one row per file with
// progress, speed, cancel/resume, and the result (stored size, ratio, new vs deduplicated chunks).
// A folder (dropped or picked) uploads every file in it under "<folder>/<path in the folder>".
import { useState, useSyncExternalStore } from 'react';
import { ErrorLine } from '../components/common.tsx';
import { DropZone } from '../components/upload/DropZone.tsx';
import { FolderPicker } from '../components/upload/FolderPicker.tsx';
import { UnfinishedUploads } from '../components/upload/UnfinishedUploads.tsx';
import { loadPrefs, savePrefs } from '../components/upload/upload-prefs.ts';
import { UploadOptions } from '../components/upload/UploadOptions.tsx';
import { UploadQueue } from '../components/upload/UploadQueue.tsx';
import { formatBytes } from '../format.ts';
import { useInfo } from '../info.ts';
import { ACTIVE, addUploads, subscribeUnfinished, subscribeUploads, unfinishedUploads, uploadsSnapshot, type PickedFile } from '../uploads.ts';

export function UploadPage() {
  const info = useInfo();
  const rows = useSyncExternalStore(subscribeUploads, uploadsSnapshot);
  const unfinished = useSyncExternalStore(subscribeUnfinished, unfinishedUploads);
  const prefs = loadPrefs();
  const [codec, setCodec] = useState(prefs.codec && info.codecs.includes(prefs.codec) ? prefs.codec : info.defaultCodec);
  const [prefix, setPrefix] = useState(prefs.prefix ?? '');
  const [notice, setNotice] = useState<unknown>();

  const add = (files: PickedFile[]): void => {
    if (files.length === 0) return;
    const tooBig = files.filter((f) => f.file.size > info.maxUploadBytes);
    const ok = files.filter((f) => f.file.size <= info.maxUploadBytes);
    setNotice(tooBig.length > 0 ? new Error(`${tooBig.map((f) => f.path).join(', ')}: larger than the server's limit of ${formatBytes(info.maxUploadBytes)}`) : undefined);
    addUploads(ok, { codec, prefix, partSize: info.partSize });
  };

  // A file picked again while its upload is still running is not waiting to resume.
  const waitingToResume = unfinished.filter((u) => !rows.some((r) => r.name === u.name && r.size === u.size && ACTIVE.has(r.state)));

  return (
    <div className="page">
      <div className="page__head">
        <h1>Upload</h1>
        <p className="muted">
          Files under {formatBytes(info.partSize)} go up in one request; larger ones in {formatBytes(info.partSize)} parts that resume after a network
          error or a reload.
        </p>
      </div>

      <section className="panel upload-form" aria-label="Upload files">
        <UploadOptions
          codec={codec}
          prefix={prefix}
          onCodec={(c) => {
            setCodec(c);
            savePrefs({ codec: c, prefix });
          }}
          onPrefix={(p) => {
            setPrefix(p);
            savePrefs({ codec, prefix: p });
          }}
        />
        <DropZone prefix={prefix} codec={codec} onFiles={add} onNotice={setNotice} />
        <FolderPicker onFiles={add} />
        <ErrorLine error={notice} testId="upload-notice" />
      </section>

      <UnfinishedUploads uploads={waitingToResume} />
      <UploadQueue rows={rows} />
    </div>
  );
}
