// Classic pcap as the ring writes it: little-endian, microsecond timestamps, LINKTYPE_ETHERNET,
// snaplen 65535. Classic pcap (not pcapng) because every tool reads it and a record is a fixed
// 16-byte header plus the frame, so the writer appends with no per-file state beyond its size.
//
//   global header (24 bytes): magic a1b2c3d4 · version 2.4 · thiszone 0 · sigfigs 0 · snaplen · linktype
//   record header (16 bytes): ts_sec · ts_usec · incl_len · orig_len

export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_GLOBAL_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
export const PCAP_SNAPLEN = 65_535;
export const LINKTYPE_ETHERNET = 1;
const MICROS = 1_000_000;

/** Writes the global header at `at`; returns the bytes written. */
export function writeGlobalHeader(buf: Buffer, at: number): number {
  buf.writeUInt32LE(PCAP_MAGIC_MICROS, at);
  buf.writeUInt16LE(2, at + 4);
  buf.writeUInt16LE(4, at + 6);
  buf.writeInt32LE(0, at + 8);
  buf.writeUInt32LE(0, at + 12);
  buf.writeUInt32LE(PCAP_SNAPLEN, at + 16);
  buf.writeUInt32LE(LINKTYPE_ETHERNET, at + 20);
  return PCAP_GLOBAL_HEADER_BYTES;
}

/** Writes one record header at `at` for a frame received at `ts` seconds; returns the bytes written. */
export function writeRecordHeader(
  buf: Buffer,
  at: number,
  ts: number,
  inclLen: number,
  origLen: number,
): number {
  const micros = toMicros(ts);
  buf.writeUInt32LE(Math.floor(micros / MICROS), at);
  buf.writeUInt32LE(micros % MICROS, at + 4);
  buf.writeUInt32LE(inclLen, at + 8);
  buf.writeUInt32LE(origLen, at + 12);
  return PCAP_RECORD_HEADER_BYTES;
}

/** Seconds (a float, as the ring records them) to whole microseconds since the epoch. */
export function toMicros(ts: number): number {
  return Math.max(0, Math.round(ts * MICROS));
}
