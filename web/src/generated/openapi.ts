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
    /**
     * Exchange a token for a cookie (authenticates GET/HEAD, e.g. download links).
     * @description Starts a server-side session: the cookie is a random id, valid 30 days unless ended by DELETE (sign-out) or by a change of the server's token. Every sign-in gets its own id.
     */
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
    /** Sign out, ending the session the cookie names on the server (a copy of it stops working too). */
    delete: {
      responses: {
        /** @description session ended and cookie cleared */
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
          /** @description a preview: images, audio, video and PDF as their own type, text (markup included) as text/plain, inline, CSP sandbox (PDF: no scripts or fetches); other types 415 NOT_PREVIEWABLE */
          inline?: "1";
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
        415: components["responses"]["Error"];
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
          /** @description a preview (see GET /api/v1/files/{name}) */
          inline?: "1";
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
        415: components["responses"]["Error"];
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
  "/api/v1/delete": {
    /**
     * Delete every version of the named files and of every file under the named folders.
     * @description Named files already gone count as deleted. Space returns with gc.
     */
    post: {
      requestBody: {
        content: {
          "application/json": {
            names?: string[];
            prefixes?: string[];
          };
        };
      };
      responses: {
        /** @description deleted */
        200: {
          content: {
            "application/json": {
              files: number;
              versions: number;
            };
          };
        };
        400: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/archive": {
    /**
     * The named files and every file under the named folders as one streamed ZIP (entries stored, with Content-Length).
     * @description A GET, so a plain link (with the session cookie) downloads it to disk as it streams. Entry names are the stored names minus `base`, with empty, "." and ".." segments defused. A file that cannot be read once streaming began cuts the connection (the download fails visibly).
     */
    get: {
      parameters: {
        query?: {
          name?: string[];
          /** @description a folder, ending in "/" */
          prefix?: string[];
          /** @description a prefix to strip from entry names (the folder being viewed) */
          base?: string;
        };
      };
      responses: {
        /** @description the archive */
        200: {
          content: {
            "application/zip": unknown;
          };
        };
        400: components["responses"]["Error"];
        404: components["responses"]["Error"];
        413: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/shares": {
    /** Live share links (not expired), newest first. */
    get: {
      parameters: {
        query?: {
          /** @description only links to this file */
          name?: string;
        };
      };
      responses: {
        /** @description the links */
        200: {
          content: {
            "application/json": {
              links: components["schemas"]["ShareLink"][];
            };
          };
        };
      };
    };
    /**
     * Create a share link to a file (pinned to a version, or following the latest), with an expiry and an optional download limit.
     * @description The answer's `id` (and `path`, `/s/{id}`) is the link's secret, shown only here; the server keeps its SHA-256, the `ref` that lists and revokes it.
     */
    post: {
      requestBody: {
        content: {
          "application/json": {
            name: string;
            /** @description pin this version (default follows the latest) */
            version?: number;
            /** @default 604800 */
            expiresInSeconds?: number;
            /** @description downloads allowed (default unlimited until expiry) */
            maxDownloads?: number;
          };
        };
      };
      responses: {
        /** @description created */
        201: {
          content: {
            "application/json": components["schemas"]["ShareLink"] & {
              /** @description the link's secret */
              id: string;
              /** @description /s/{id}, to append to the server's origin */
              path: string;
            };
          };
        };
        400: components["responses"]["Error"];
        404: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/shares/{ref}": {
    /** Revoke a share link. */
    delete: {
      parameters: {
        path: {
          ref: string;
        };
      };
      responses: {
        /** @description revoked */
        204: {
          content: never;
        };
        404: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/s3": {
    /** The S3 API as the web UI shows it — its endpoint (when this server serves it), buckets and access keys (never their secrets). */
    get: {
      responses: {
        /** @description endpoint, buckets and keys */
        200: {
          content: {
            "application/json": {
              /** @description the S3 base URL, e.g. http://127.0.0.1:7071 (absent when not served) */
              endpoint?: string;
              /** @description the region S3 clients sign for */
              region?: string;
              buckets: ({
                  name: string;
                  /** @description ms since epoch */
                  createdAt: number;
                  /** @enum {string} */
                  versioning: "Unversioned" | "Enabled" | "Suspended";
                })[];
              keys: components["schemas"]["S3AccessKey"][];
            };
          };
        };
      };
    };
  };
  "/api/v1/s3/keys": {
    /** Create an S3 access key; the answer holds its secret, shown only here. */
    post: {
      requestBody: {
        content: {
          "application/json": {
            /** @description only GET, HEAD and listing (default false) */
            readOnly?: boolean;
            /** @description only this bucket */
            bucket?: string;
            /** @description with bucket: only keys starting with this */
            prefix?: string;
          };
        };
      };
      responses: {
        /** @description created */
        201: {
          content: {
            "application/json": components["schemas"]["S3AccessKey"] & {
              /** @description the secret access key (not kept in the clear; shown once) */
              secret: string;
            };
          };
        };
        400: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/s3/keys/{id}": {
    /** Revoke an S3 access key; requests signed with it are refused from then on. */
    delete: {
      parameters: {
        path: {
          id: string;
        };
      };
      responses: {
        /** @description revoked */
        204: {
          content: never;
        };
        404: components["responses"]["Error"];
      };
    };
  };
  "/s/{id}": {
    /** Download a shared file without a token (Range supported; a GET from the first byte counts as a download). */
    get: {
      parameters: {
        path: {
          id: string;
        };
      };
      responses: {
        /** @description the file, as GET /api/v1/files/{name} sends it */
        200: {
          content: never;
        };
        /** @description a range of it */
        206: {
          content: never;
        };
        410: components["responses"]["Error"];
      };
    };
    /** Check a share link and the file's headers (not counted as a download). */
    head: {
      parameters: {
        path: {
          id: string;
        };
      };
      responses: {
        /** @description headers of the file */
        200: {
          content: never;
        };
        /** @description expired, used up or revoked */
        410: {
          content: never;
        };
      };
    };
  };
  "/api/v1/rename": {
    /**
     * Rename a file, or move a folder (both names ending in "/"); metadata only, no chunk is rewritten.
     * @description Atomic: every name under the folder moves, or none does. History and access counters move with their names. 409 FILE_EXISTS when a target name exists; 404 when nothing is there to move.
     */
    post: {
      requestBody: {
        content: {
          "application/json": {
            /** @description a file name, or a folder ending in "/" */
            from: string;
            /** @description the new name (a folder when `from` is one) */
            to: string;
          };
        };
      };
      responses: {
        /** @description moved */
        200: {
          content: {
            "application/json": {
              /** @description names moved */
              moved: number;
            };
          };
        };
        400: components["responses"]["Error"];
        404: components["responses"]["Error"];
        409: components["responses"]["Error"];
      };
    };
  };
  "/api/v1/restore": {
    /** Make an older version the latest again (a new version with its chunks; metadata only). */
    post: {
      requestBody: {
        content: {
          "application/json": {
            name: string;
            version: number;
          };
        };
      };
      responses: {
        /** @description the new latest version */
        201: {
          content: {
            "application/json": components["schemas"]["UploadResult"];
          };
        };
        400: components["responses"]["Error"];
        404: components["responses"]["Error"];
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
    S3AccessKey: {
      /** @description the access key id */
      id: string;
      readOnly: boolean;
      /** @description the only bucket it may use (absent for every bucket) */
      bucket?: string;
      /** @description the only keys it may use (with bucket) */
      prefix?: string;
      /** @description ms since epoch */
      createdAt: number;
      /** @description ms since epoch (absent while active) */
      revokedAt?: number;
    };
    ShareLink: {
      /** @description SHA-256 of the link's id (hex); revokes it */
      ref: string;
      name: string;
      /** @description pinned version (absent follows the latest) */
      version?: number;
      /** @description ms since epoch */
      createdAt: number;
      /** @description ms since epoch */
      expiresAt: number;
      maxDownloads?: number;
      downloads: number;
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
    /** @description What the completion completes: `parts`, `size` or both (400 when neither). 409 when no part was uploaded completely (a part cut off mid-body is never stored), when a part is missing, when a named part was not stored or a stored one is not named, or when a size differs. */
    CompleteUpload: {
      /** @description expected total size; 409 if the parts differ */
      size?: number;
      /** @description every stored part, in ascending order (as S3's CompleteMultipartUpload lists them) */
      parts?: {
          part: number;
          /** @description the part's size; 409 if the stored part differs */
          size?: number;
        }[];
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
