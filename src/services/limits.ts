// Size limits for every RPC message. A chunk envelope is at most the largest allowed max chunk
// (validateChunkerParams caps it) plus a small header, so anything far larger is hostile or a bug.
export const RPC_READ_MAX_BYTES = 80 * 1024 * 1024;
/** Pieces of streamed file bytes (uploads, downloads, chunking input). */
export const STREAM_PIECE_BYTES = 1024 * 1024;
/** Objects per ListObjects / List page. */
export const LIST_PAGE = 500;
