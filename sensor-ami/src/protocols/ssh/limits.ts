// Bounds on what one SSH connection may make us buffer.

/** Longest identification or pre-banner line kept (RFC 4253 §4.2 allows 255 bytes). */
export const MAX_BANNER_LINE_BYTES = 1024;
/** Lines a server may send before its "SSH-" line (RFC 4253 §4.2) before we give up. */
export const MAX_PRE_BANNER_LINES = 32;
/** Largest unencrypted binary packet buffered (KEXINIT with post-quantum lists stays far below). */
export const MAX_CLEARTEXT_PACKET_BYTES = 64 * 1024;
