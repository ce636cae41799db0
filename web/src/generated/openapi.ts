// GENERATED from docs/openapi.yaml by openapi-typescript (scripts/generate-api-types.ts).
// Do not edit: change docs/openapi.yaml, then run `npm run generate:api-types`.


export interface paths {
  "/api/v1/info": {
    /** Server facts the UI needs (codecs, limits, auth). */
    get: {
      responses: {
        /** @description ok */
        200: {
          content: {
            "application/json": components["schemas"]["Info"];
          };
        };
      };
    };
  };
  "/api/v1/session": {
    /** Exchange a token for a cookie (authenticates GET/HEAD, e.g. download links). */
    post: {
      requestBody?: {
        content: {
          "application/json": components["schemas"]["SessionRequest"];
        };
      };
      responses: {
        /** @description cookie set */
        204: {
          content: never;
        };
        400: components["responses"]["Error"];
        401: components["responses"]["Error"];
      };
    };
    /** Clear the cookie. */
    delete: {
      responses: {
        /** @description cookie cleared */
        204: {
          content: never;
        };
      };
    };
  };
  "/api/v1/files": {
    /** List files (latest version of each) in name order, one page at a time. */
    get: {
      parameters: {
        query?: {
          /** @description only names starting with this */
          prefix?: string;
          /** @description collapse names with a `/` after the prefix into `folders` */
          delimiter?: "/";
          /** @description case-insensitive substring the name must contain (lists flat: no folders) */
          q?: string;
          /** @description cursor: the `next` of the previous page */
          after?: string;
          /** @description files and folders together */
          limit?: number;
        };
      };
      responses: {
        /** @description a page */
        200: {
          content: {
            "application/json": components["schemas"]["FileList"];
          };
        };
        400: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/files/{name}": {
    /**
     * Download (streams; verified chunk by chunk).
     * @description Honours `Range: bytes=A-B`, `bytes=A-` and `bytes=-N` (one range; 206 with Content-Range;
     * 416 when unsatisfiable), `If-None-Match` (304) and `If-Range`. `ETag` is strong and names the
     * version. Always `Content-Type: application/octet-stream`, `X-Content-Type-Options: nosniff`
     * and `Content-Disposition: attachment` with an ASCII `filename` and a UTF-8 `filename*` of
     * the last path segment of the name (never renders user content as a page).
     */
    get: {
      parameters: {
        query?: {
          /** @description default latest */
          version?: number;
        };
        path: {
          name: string;
        };
      };
      responses: {
        /** @description whole file */
        200: {
          content: {
            "application/octet-stream": unknown;
          };
        };
        /** @description the requested range */
        206: {
          content: {
            "application/octet-stream": unknown;
          };
        };
        /** @description not modified */
        304: {
          content: never;
        };
        404: components["responses"]["Error"];
        416: components["responses"]["Error"];
      };
    };
    /** Upload by streaming the request body (any size up to maxUploadBytes); makes a new version. */
    put: {
      parameters: {
        query?: {
          codec?: components["schemas"]["Codec"];
          /** @description the codec's level: gzip 1-9, zstd 1-19, brotli 0-11 (auto takes zstd's; default the codec's own) */
          level?: number;
        };
        path: {
          name: string;
        };
      };
      requestBody?: {
        content: {
          "application/octet-stream": string;
        };
      };
      responses: {
        /** @description stored */
        201: {
          content: {
            "application/json": components["schemas"]["UploadResult"];
          };
        };
        400: components["responses"]["Error"];
        413: components["responses"]["Error"];
        503: components["responses"]["Error"];
      };
    };
    /** Delete one version or all versions; space returns with gc. */
    delete: {
      parameters: {
        query?: {
          /** @description default all versions */
          version?: number;
        };
        path: {
          name: string;
        };
      };
      responses: {
        /** @description deleted */
        200: {
          content: {
            "application/json": components["schemas"]["Removed"];
          };
        };
        404: components["responses"]["Error"];
      };
    };
    /** Headers of GET without the body (size, ETag, Last-Modified). */
    head: {
      parameters: {
        query?: {
          version?: number;
        };
        path: {
          name: string;
        };
      };
      responses: {
        /** @description exists */
        200: {
          content: never;
        };
        /** @description no such file */
        404: {
          content: never;
        };
      };
    };
    parameters: {
      path: {
        name: string;
      };
    };
  };
  "/api/v1/file": {
    /** Download (see GET /api/v1/files/{name}). */
    get: {
      parameters: {
        query: {
          name: string;
          version?: number;
        };
      };
      responses: {
        /** @description whole file */
        200: {
          content: {
            "application/octet-stream": unknown;
          };
        };
        /** @description the requested range */
        206: {
          content: {
            "application/octet-stream": unknown;
          };
        };
        /** @description not modified */
        304: {
          content: never;
        };
        404: components["responses"]["Error"];
        416: components["responses"]["Error"];
      };
    };
    /** Upload (see PUT /api/v1/files/{name}). */
    put: {
      parameters: {
        query: {
          name: string;
          codec?: components["schemas"]["Codec"];
          /** @description the codec's level: gzip 1-9, zstd 1-19, brotli 0-11 (auto takes zstd's; default the codec's own) */
          level?: number;
        };
      };
      requestBody?: {
        content: {
          "application/octet-stream": string;
        };
      };
      responses: {
        /** @description stored */
        201: {
          content: {
            "application/json": components["schemas"]["UploadResult"];
          };
        };
        400: components["responses"]["Error"];
        413: components["responses"]["Error"];
        503: components["responses"]["Error"];
      };
    };
    /** Delete (see DELETE /api/v1/files/{name}). */
    delete: {
      parameters: {
        query: {
          name: string;
          /** @description default all versions */
          version?: number;
        };
      };
      responses: {
        /** @description deleted */
        200: {
          content: {
            "application/json": components["schemas"]["Removed"];
          };
        };
        404: components["responses"]["Error"];
      };
    };
    /** Headers only. */
    head: {
      parameters: {
        query: {
          name: string;
          version?: number;
        };
      };
      responses: {
        /** @description exists */
        200: {
          content: never;
        };
        /** @description no such file */
        404: {
          content: never;
        };
      };
    };
    parameters: {
      query: {
        name: string;
      };
    };
  };
  "/api/v1/stat": {
    /** Stat with the name in the query (see /api/v1/stat/{name}). */
    get: {
      parameters: {
        query: {
          name: string;
          version?: number;
          chunkLimit?: number;
        };
      };
      responses: {
        /** @description ok */
        200: {
          content: {
            "application/json": components["schemas"]["FileStat"];
          };
        };
        400: components["responses"]["Error"];
        404: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/stat/{name}": {
    /** Everything about a file version - versions, chunk map, codecs, ratios, copies and their health, access counts. */
    get: {
      parameters: {
        query?: {
          /** @description default latest */
          version?: number;
          /** @description list at most this many chunks (`chunksTruncated` says when there are more) */
          chunkLimit?: number;
        };
        path: {
          name: string;
        };
      };
      responses: {
        /** @description ok */
        200: {
          content: {
            "application/json": components["schemas"]["FileStat"];
          };
        };
        400: components["responses"]["Error"];
        404: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/uploads": {
    /**
     * Begin a resumable upload (S3-style multipart).
     * @description Send the file as numbered parts (`PUT …/parts/N`, 1-based, each ≤ maxPartBytes, every part
     * but the last should be `partSize` bytes), in any order, retrying any part as often as
     * needed; then `POST …/complete`. After an interruption, `GET /api/v1/uploads/{id}` lists the
     * parts the server already has. A session idle longer than `resumableTimeoutMs` is dropped by gc.
     */
    post: {
      requestBody?: {
        content: {
          "application/json": components["schemas"]["BeginUpload"];
        };
      };
      responses: {
        /** @description begun */
        201: {
          content: {
            "application/json": components["schemas"]["ResumableUpload"];
          };
        };
        400: components["responses"]["Error"];
        413: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/uploads/{id}": {
    /** The upload and the parts stored so far. */
    get: {
      parameters: {
        path: {
          id: string;
        };
      };
      responses: {
        /** @description ok */
        200: {
          content: {
            "application/json": components["schemas"]["ResumableUpload"];
          };
        };
        404: components["responses"]["Error"];
      };
    };
    /** Abort; stored parts become garbage. */
    delete: {
      parameters: {
        path: {
          id: string;
        };
      };
      responses: {
        /** @description aborted */
        204: {
          content: never;
        };
        404: components["responses"]["Error"];
      };
    };
    parameters: {
      path: {
        id: string;
      };
    };
  };
  "/api/v1/uploads/{id}/parts/{part}": {
    /** Store one part (streamed body). Sending a part again replaces it. */
    put: {
      parameters: {
        path: {
          id: string;
          part: number;
        };
      };
      requestBody?: {
        content: {
          "application/octet-stream": string;
        };
      };
      responses: {
        /** @description stored */
        200: {
          content: {
            "application/json": components["schemas"]["PartResult"];
          };
        };
        400: components["responses"]["Error"];
        404: components["responses"]["Error"];
        413: components["responses"]["Error"];
        503: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/uploads/{id}/complete": {
    /** Commit parts 1..N as a new version. */
    post: {
      parameters: {
        path: {
          id: string;
        };
      };
      requestBody?: {
        content: {
          "application/json": components["schemas"]["CompleteUpload"];
        };
      };
      responses: {
        /** @description stored */
        201: {
          content: {
            "application/json": components["schemas"]["UploadResult"];
          };
        };
        400: components["responses"]["Error"];
        404: components["responses"]["Error"];
        409: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/stats": {
    /** Repository totals, ratios per codec, per-backend usage and health, usage counters. */
    get: {
      responses: {
        /** @description ok */
        200: {
          content: {
            "application/json": components["schemas"]["Stats"];
          };
        };
      };
    };
  };
  "/api/v1/stats/history": {
    /** Size history (a sample after writes, at most one per sampling interval). */
    get: {
      parameters: {
        query?: {
          /** @description only samples at or after this time (ms since epoch) */
          since?: number;
          limit?: number;
        };
      };
      responses: {
        /** @description samples in time order */
        200: {
          content: {
            "application/json": components["schemas"]["StatsHistory"];
          };
        };
        400: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/stats/top": {
    /** Files that still exist, most downloaded first; files not downloaded yet follow, most recently active first. */
    get: {
      parameters: {
        query?: {
          limit?: number;
        };
      };
      responses: {
        /** @description ok */
        200: {
          content: {
            "application/json": components["schemas"]["TopFiles"];
          };
        };
        400: components["responses"]["Error"];
      };
    };
  };
  "/healthz": {
    /** Liveness */
    get: {
      responses: {
        /** @description ok */
        200: {
          content: never;
        };
      };
    };
  };
  "/readyz": {
    /**
     * Readiness: the metadata database and at least as many backends as a write needs answer.
     * @description Ready (200) while the metadata database answers and at least `backends.needed` backends answer; a backend that is down shows in `backends.down` also while the orchestrator is still ready (degraded). Other roles (storage, chunker, compressor) answer only `ready`.
     */
    get: {
      responses: {
        /** @description ready */
        200: {
          content: {
            "application/json": components["schemas"]["Readiness"];
          };
        };
        /** @description not ready */
        503: {
          content: {
            "application/json": components["schemas"]["Readiness"];
          };
        };
      };
    };
  };
  "/metrics": {
    /** Prometheus metrics */
    get: {
      responses: {
        /** @description text exposition format */
        200: {
          content: never;
        };
      };
    };
  };
}

export type webhooks = Record<string, never>;

export interface components {
  schemas: {
    Error: {
      error: {
        /** @description stable, e.g. USAGE, FILE_NOT_FOUND, UNAUTHENTICATED, TOO_LARGE */
        code: string;
        /** @description one line for people */
        message: string;
      };
    };
    /** @description a name from `codecs` of GET /api/v1/info: `auto` or a codec of the server's registry */
    Codec: string;
    Readiness: {
      ready: boolean;
      /** @description whether the metadata database answers */
      metadata: boolean;
      backends: {
        /** @description backends a write needs: redundancy.minCopies (default replicate), or erasure successThreshold */
        needed: number;
        /** @description names from dcs.yaml, in its order */
        up: string[];
        /** @description names from dcs.yaml of the backends that do not answer (details: GET /api/v1/stats, the logs) */
        down: string[];
      };
    };
    Info: {
      version: string;
      /** @description `auto` first, then the registry's codecs in the order of their stable ids (new codecs come last) */
      codecs: components["schemas"]["Codec"][];
      /** @description what a codec is good for, in a few words, by name (for pickers); a codec without one is shown by its name alone */
      codecSummaries?: {
        [key: string]: string;
      };
      defaultCodec: components["schemas"]["Codec"];
      /** @description part size clients should use for resumable uploads */
      partSize: number;
      maxPartBytes: number;
      maxUploadBytes: number;
      resumableTimeoutMs: number;
      encrypted: boolean;
      /** @description whether the server requires a token */
      auth: boolean;
    };
    SessionRequest: {
      token: string;
    };
    FileList: {
      files: components["schemas"]["FileSummary"][];
      /** @description with delimiter: folder prefixes such as `logs/` (each ends with `/`); empty otherwise */
      folders: string[];
      /** @description the `after` of the next page; absent on the last page */
      next?: string;
    };
    FileSummary: {
      name: string;
      /** @description latest version number */
      version: number;
      versions: number;
      size: number;
      /** @description stored bytes of the latest version's distinct chunks (one copy) */
      storedSize: number;
      /** @description size / storedSize (0 for empty files) */
      ratio: number;
      /** @description ms since epoch */
      createdAt: number;
    };
    Removed: {
      /** @description versions removed */
      removed: number;
    };
    Version: {
      version: number;
      size: number;
      chunkCount: number;
      /** @description codec asked for (may be auto) */
      codec: string;
      /** @description ms since epoch */
      createdAt: number;
      /** @description the strong ETag downloads of this version carry */
      etag: string;
    };
    /**
     * @description degraded = fewer good copies than the policy wants but readable; lost = no good copy
     * @enum {string}
     */
    Health: "healthy" | "degraded" | "lost";
    Copy: {
      backend: string;
      /** @enum {string} */
      state: "ok" | "missing" | "corrupt";
      /** @description when verify, repair or a read last confirmed the state (ms since epoch); absent if never checked */
      checkedAt?: number;
      /** @description erasure shard index; absent for a whole replica */
      shard?: number;
      /** @description the backend answers right now */
      up: boolean;
    };
    Chunk: {
      seq: number;
      offset: number;
      length: number;
      id: string;
      storedSize: number;
      /** @description codec actually used for this chunk */
      codec: string;
      /** @description versions referencing it (>1 = deduplicated) */
      refcount: number;
      health: components["schemas"]["Health"];
      copies: components["schemas"]["Copy"][];
    };
    FileStat: {
      name: string;
      version: components["schemas"]["Version"];
      size: number;
      storedSize: number;
      ratio: number;
      chunkCount: number;
      /** @description distinct chunks in this version */
      uniqueChunks: number;
      /** @description distinct chunks also referenced by other versions or files (dedup) */
      sharedChunks: number;
      /** @description chunks per codec used (complete even when `chunks` is truncated) */
      codecs: {
        [key: string]: number;
      };
      health: components["schemas"]["Health"];
      /** @description every version of the file, oldest first */
      versions: components["schemas"]["Version"][];
      chunks: components["schemas"]["Chunk"][];
      chunksTruncated: boolean;
      access: components["schemas"]["FileAccess"];
    };
    UploadResult: {
      name: string;
      version: number;
      size: number;
      /** @description stored bytes of this version's distinct chunks */
      storedSize: number;
      ratio: number;
      chunks: number;
      /** @description chunks not stored before (the rest deduplicated) */
      newChunks: number;
      /** @description stored bytes of the new chunks (0 after a resumable upload, whose parts count them) */
      newStoredBytes: number;
      /** @description new chunks per codec (after a resumable upload, all of the version's chunks) */
      codecs: {
        [key: string]: number;
      };
    };
    BeginUpload: {
      name: string;
      codec?: components["schemas"]["Codec"];
      /** @description the codec's level: gzip 1-9, zstd 1-19, brotli 0-11 (auto takes zstd's; default the codec's own) */
      level?: number;
      /** @description total size if known (checked at complete) */
      size?: number;
    };
    CompleteUpload: {
      /** @description expected total size; 409 if the parts differ */
      size?: number;
    };
    ResumableUpload: {
      id: string;
      name: string;
      codec: string;
      partSize: number;
      maxPartBytes: number;
      parts: {
          part: number;
          size: number;
        }[];
      createdAt: number;
      /** @description idle time after which gc drops the upload */
      expiresAfterMs: number;
    };
    PartResult: {
      part: number;
      size: number;
      chunks: number;
      newChunks: number;
      newStoredBytes: number;
    };
    Stats: {
      files: number;
      versions: number;
      /** @description sum of all version sizes */
      logicalBytes: number;
      /** @description distinct chunk bytes (after dedup) */
      uniqueBytes: number;
      /** @description after compression, one copy */
      storedBytes: number;
      /** @description what the backends hold (all copies) */
      physicalBytes: number;
      /** @description chunks some version references */
      chunks: number;
      /** @description chunks no version references any more (deleted files, fragments of resumable uploads) */
      reclaimableChunks: number;
      /** @description their stored size (one copy); what dcs gc frees */
      reclaimableBytes: number;
      /** @description logicalBytes / uniqueBytes */
      dedupRatio: number;
      /** @description uniqueBytes / storedBytes */
      compressionRatio: number;
      /** @description logicalBytes / storedBytes */
      totalRatio: number;
      perCodec: components["schemas"]["CodecUsage"][];
      /** @description every configured backend, also those holding nothing yet */
      perBackend: components["schemas"]["BackendUsage"][];
      usage: components["schemas"]["UsageTotals"];
    };
    CodecUsage: {
      codec: string;
      chunks: number;
      rawBytes: number;
      storedBytes: number;
      /** @description rawBytes / storedBytes */
      ratio: number;
    };
    BackendUsage: {
      backend: string;
      /** @description the backend answered a probe (HEAD of the repository marker, 2 s timeout, cached 5 s) */
      up: boolean;
      /** @description why it is down */
      error?: string;
      copies: number;
      bytes: number;
      missing: number;
      corrupt: number;
    };
    UsageTotals: {
      uploads: number;
      downloads: number;
      bytesIn: number;
      bytesOut: number;
    };
    StatsHistory: {
      samples: components["schemas"]["StatsSample"][];
    };
    StatsSample: {
      /** @description ms since epoch */
      at: number;
      files: number;
      logicalBytes: number;
      uniqueBytes: number;
      storedBytes: number;
      physicalBytes: number;
    };
    TopFiles: {
      files: components["schemas"]["FileAccess"][];
    };
    FileAccess: {
      name: string;
      uploads: number;
      downloads: number;
      bytesIn: number;
      bytesOut: number;
      /** @description last upload or download (ms since epoch); 0 if never */
      lastAccessAt: number;
    };
  };
  responses: {
    /** @description error */
    Error: {
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
  };
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}

export type $defs = Record<string, never>;

export type external = Record<string, never>;

export type operations = Record<string, never>;
