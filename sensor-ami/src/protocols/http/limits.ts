// Bounds that keep one HTTP connection's memory small whatever the peer sends.

/**
 * Longest start line or header line kept whole. A longer line is cut here (its URI or value
 * truncated, a `contentline_size_exceeded` weird) and the rest of it skipped, so one message
 * never holds more than this in a partial line.
 */
export const MAX_LINE_BYTES = 16 * 1024;
/**
 * Start line + header block size past which a message is reported (`http_header_too_large`,
 * once); parsing goes on, since each line is bounded by MAX_LINE_BYTES.
 */
export const MAX_HEADER_BLOCK_BYTES = 64 * 1024;
/** Values of one repeated header kept for a record (`proxied`); more repetitions are dropped. */
export const MAX_REPEATED_HEADER_VALUES = 16;
/** Longest chunk-size line (hex digits plus extensions) accepted in a chunked body. */
export const MAX_CHUNK_SIZE_LINE_BYTES = 1024;
/** Body bytes kept per message to guess its MIME type from magic bytes. */
export const MIME_SNIFF_BYTES = 64;
/** Transactions waiting for a response; a flood of pipelined requests beyond this is logged early. */
export const MAX_PENDING_TRANSACTIONS = 100;
/** Header values copied into http.log fields are cut to this many characters. */
export const MAX_LOGGED_VALUE_CHARS = 8 * 1024;
/**
 * Zeek reports the length and MIME type of gzip/deflate bodies after decoding. We keep at most
 * this many compressed bytes of one message to decode at its end; larger bodies keep raw figures.
 */
export const MAX_COMPRESSED_BODY_BYTES = 128 * 1024;
/** Cap on the decoded size of one body (a decompression bomb stops here). */
export const MAX_DECODED_BODY_BYTES = 8 * 1024 * 1024;
