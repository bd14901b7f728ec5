// HttpMessageParser's states (message-parser.ts): small integers, since every turn of the
// per-delivery loop dispatches on them.

export const S_START = 0;
export const S_HEADERS = 1;
export const S_BODY_LENGTH = 2;
export const S_CHUNK_SIZE = 3;
export const S_CHUNK_DATA = 4;
export const S_CHUNK_DATA_END = 5;
export const S_TRAILERS = 6;
export const S_BODY_CLOSE = 7;
/** Bytes after the header block are held back until resume(). */
export const S_PAUSED = 8;
/** After a gap: bytes are skipped until a line that can start a message. */
export const S_RESYNC = 9;
export const S_STOPPED = 10;
export type State = number;
/** State names, for weirds. */
export const STATE_NAMES = [
  "start",
  "headers",
  "body-length",
  "chunk-size",
  "chunk-data",
  "chunk-data-end",
  "trailers",
  "body-close",
  "paused",
  "resync",
  "stopped",
];
