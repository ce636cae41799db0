// The entries of a downloaded ZIP, by name, read with yauzl (a dev dependency for tests only).
import { fromBuffer, type Entry } from 'yauzl';

export function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, Buffer>();
    fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (err, archive) => {
      if (err || !archive) return reject(err ?? new Error('not a zip archive'));
      archive.on('error', reject);
      archive.on('end', () => resolve(out));
      archive.on('entry', (entry: Entry) => {
        archive.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error(`cannot read ${entry.fileName}`));
          const parts: Buffer[] = [];
          stream.on('data', (p: Buffer) => parts.push(p));
          stream.on('error', reject);
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(parts));
            archive.readEntry();
          });
        });
      });
      archive.readEntry();
    });
  });
}
