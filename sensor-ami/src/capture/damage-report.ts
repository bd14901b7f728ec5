// How the reader describes a damaged capture: where it ends early (truncation) and which corrupt
// stretches it skipped (resyncs), with the messages and notes shown to the user.

/** Skipped stretches described one by one (notes, weirds); beyond it they are only counted. */
export const MAX_RESYNC_DETAILS = 100;

export interface CaptureTruncation {
  /** Byte offset in the file where the incomplete record starts. */
  fileOffset: number;
  /** Number of the packet that could not be read (1-based). */
  packetIndex: number;
  message: string;
}

/** A stretch of the file skipped because a header in it was corrupt. */
export interface CaptureResync {
  /** Byte offset of the corrupt header. */
  fileOffset: number;
  /** Bytes skipped from it to the next valid record or block. */
  skippedBytes: number;
  /** Packets delivered before it (the next packet delivered is number afterPacket + 1). */
  afterPacket: number;
  /** What was wrong, e.g. "a pcap record header claiming 4294967295 captured bytes". */
  problem: string;
}

/** The file ends inside `what` at byte `at`, `remaining` bytes of it present, after `packets`. */
export function cutOffMessage(
  path: string,
  what: string,
  at: number,
  remaining: number,
  packets: number,
): string {
  return `${path}: file ends inside ${what} at byte ${at} (${remaining} of the record's bytes present); everything before it (${packets} packets) was processed`;
}

/** `problem` at byte `from` and no valid `unit` (record or block) after it: the rest was skipped. */
export function corruptToEndMessage(
  path: string,
  problem: string,
  from: number,
  unit: string,
  remaining: number,
  packets: number,
): string {
  return `${path}: ${problem} at byte ${from} and no valid ${unit} after it (${remaining} bytes to the end of the file skipped); everything before it (${packets} packets) was processed`;
}

/** The note for a stretch skipped from `from` to the next valid `unit` at `to`. */
export function resyncNote(
  problem: string,
  from: number,
  packets: number,
  skipped: number,
  unit: string,
  to: number,
): string {
  return `${problem} at byte ${from}, after packet ${packets}: skipped ${skipped} bytes to the next valid ${unit} at byte ${to}`;
}
