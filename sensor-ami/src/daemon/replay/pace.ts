// When each replayed frame is due, seconds after the replay started.

export type Pace =
  /** The capture's own timing, scaled: speed 2 plays twice as fast. */
  | { kind: "original"; speed: number }
  /** A fixed rate, frames per second. */
  | { kind: "pps"; pps: number }
  /** As fast as the sockets take them. */
  | { kind: "top" };

/** Due times of frames in capture order, across loops (a loop starts where the previous one ended). */
export class Schedule {
  private first = Number.NaN;
  private last = Number.NaN;
  /** Seconds of capture time played by the loops before the current one. */
  private loopBase = 0;
  private sent = 0;

  constructor(private readonly pace: Pace) {}

  /** Seconds after the start at which a frame with capture timestamp `ts` is due (0 for top speed). */
  due(ts: number): number {
    const pace = this.pace;
    if (pace.kind === "top") return 0;
    if (pace.kind === "pps") return this.sent++ / pace.pps;
    if (!Number.isFinite(ts))
      return this.last >= this.first ? (this.loopBase + this.last - this.first) / pace.speed : 0;
    if (Number.isNaN(this.first)) this.first = ts;
    // A timestamp before the first (out-of-order capture) is due at once; the clock never runs back.
    if (Number.isNaN(this.last) || ts > this.last) this.last = ts;
    return (this.loopBase + Math.max(0, ts - this.first)) / pace.speed;
  }

  /** The capture starts again: its first frame follows the last one of this loop. */
  nextLoop(): void {
    if (this.pace.kind !== "original" || Number.isNaN(this.first)) return;
    this.loopBase += this.last - this.first;
    this.first = Number.NaN;
    this.last = Number.NaN;
  }
}
