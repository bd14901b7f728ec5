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
  /** The previous frame's capture time (the latest seen: the clock never runs back). */
  private prev = Number.NaN;
  /** Capture seconds played so far, gaps capped at maxGap. */
  private elapsed = 0;
  private sent = 0;

  /** `maxGap`: the longest pause between two frames, capture seconds (before --speed scales it). */
  constructor(
    private readonly pace: Pace,
    private readonly maxGap = Number.POSITIVE_INFINITY,
  ) {}

  /** Seconds after the start at which a frame with capture timestamp `ts` is due (0 for top speed). */
  due(ts: number): number {
    const pace = this.pace;
    if (pace.kind === "top") return 0;
    if (pace.kind === "pps") return this.sent++ / pace.pps;
    if (Number.isFinite(ts)) {
      // A timestamp before the previous one (out-of-order capture) is due at once.
      if (!Number.isNaN(this.prev) && ts > this.prev) this.elapsed += Math.min(ts - this.prev, this.maxGap);
      if (Number.isNaN(this.prev) || ts > this.prev) this.prev = ts;
    }
    return this.elapsed / pace.speed;
  }

  /** The capture starts again: its first frame follows the last one of this loop at once. */
  nextLoop(): void {
    this.prev = Number.NaN;
  }
}
