// The digests S3 requests carry or imply: MD5 (ETag, Content-MD5), SHA-256 (x-amz-content-sha256,
// x-amz-checksum-sha256), SHA-1, CRC32, CRC32C and CRC64NVME (x-amz-checksum-*), each as base64.
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
export type DigestAlgorithm = ChecksumAlgorithm | 'md5';

export interface Digest {
  update(data: Uint8Array): void;
  /** base64 of the digest. */
  base64(): Promise<string>;
}

export function digestOf(algorithm: DigestAlgorithm): Digest {
  switch (algorithm) {
    case 'crc32': {
      let crc = 0;
      return {
        update: (d) => (crc = zlib.crc32(d, crc)),
        base64: () => {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(crc >>> 0);
          return Promise.resolve(b.toString('base64'));
        },
      };
    }
    case 'crc32c':
    case 'crc64nvme': {
      const c = algorithm === 'crc32c' ? new Crc32c() : new Crc64Nvme();
      return { update: (d) => c.update(d), base64: async () => Buffer.from(await c.digest()).toString('base64') };
    }
    case 'md5':
    case 'sha1':
    case 'sha256': {
      const h = createHash(algorithm);
      return { update: (d) => h.update(d), base64: () => Promise.resolve(h.digest('base64')) };
    }
  }
}
