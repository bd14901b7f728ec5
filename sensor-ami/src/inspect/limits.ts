// Bounds on content-based protocol detection: probing costs a copy of the first bytes of each
// direction, so it stops early, and a connection nobody recognises costs nothing afterwards.

/** Stream bytes per direction kept and probed before detection gives up (Zeek's dpd_buffer_size is 1024). */
export const PROBE_LIMIT_BYTES = 4096;
/** Datagrams per direction probed before detection gives up on a UDP flow. */
export const PROBE_LIMIT_DATAGRAMS = 4;
/**
 * Stream bytes a direction must have before its probes run, unless the peer has spoken or the
 * connection ends first: probes judge a prefix, and two or three bytes are not enough to judge.
 */
export const PROBE_MIN_BYTES = 16;
