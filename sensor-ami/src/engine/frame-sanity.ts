// The capture record's own header fields are input too, and untrusted: a corrupt or hostile file
// can say a frame was 4 GB long on the wire, or stamp one packet decades ahead. Believed, the first
// inflates byte counts and rates, and the second moves the engine's clock so far that the next
// sweep expires every live connection at once, and every later packet seems to come from the past.
// So the engine's clock only moves forward and stays within a day of the wall clock, and a frame's
// wire length is taken only when it is possible; what is suspect is reported as a weird
// (decode/weirds.ts), counted in the summary, and corrected where believing it would do harm.

import { W } from "../decode/weirds.js";

/**
 * Largest plausible wire length of one frame: libpcap's MAXIMUM_SNAPLEN (256 KiB), above any
 * link MTU and any TSO/GRO super-packet a capture host records (IP lengths stop at 64 KiB).
 */
export const MAX_WIRE_BYTES = 262_144;
/** Timestamps further ahead of the wall clock than this are not a capture's (clock skew allowed). */
const FUTURE_SLACK_SECONDS = 86_400;

function wallSeconds(): number {
  return Date.now() / 1000;
}

/**
 * The engine's packet clock. A timestamp that is not a time, negative or more than a day ahead of
 * the wall clock is replaced by the latest good one (0 before the first). One earlier than the
 * latest is kept (merged interfaces reorder by microseconds, merged captures by more: the packet's
 * own time is the better record of it) but reported; it never moves the clock back, so expiry
 * sweeps only ever go forward.
 */
export class MonotonicClock {
  /** The latest good timestamp; -Infinity before the first. */
  private latest = Number.NEGATIVE_INFINITY;
  /** Recomputed only when a packet passes it (a long-running sensor's wall clock moves on). */
  private futureBound = wallSeconds() + FUTURE_SLACK_SECONDS;
  /** Weird code for the last time admitted (0: none). */
  weird = 0;

  /** The time to process a packet stamped `ts` at (see the class); sets `weird`. */
  admit(ts: number): number {
    if (ts >= this.latest && ts <= this.futureBound) {
      this.weird = 0;
      this.latest = ts;
      return ts;
    }
    return this.correct(ts);
  }

  private correct(ts: number): number {
    if (ts > this.futureBound) this.futureBound = wallSeconds() + FUTURE_SLACK_SECONDS;
    if (Number.isNaN(ts) || ts < 0 || ts > this.futureBound) {
      this.weird = W.implausibleTimestamp;
      return this.latest === Number.NEGATIVE_INFINITY ? 0 : this.latest;
    }
    if (ts < this.latest) {
      this.weird = W.backwardsTimestamp;
      return ts;
    }
    // Only the future bound had to move on.
    this.weird = 0;
    this.latest = ts;
    return ts;
  }
}

/** A frame's wire length if it is possible (at least what was captured, at most MAX_WIRE_BYTES), else -1. */
export function plausibleWireLength(origlen: number, caplen: number): number {
  return origlen >= caplen && origlen <= MAX_WIRE_BYTES ? origlen : -1;
}
