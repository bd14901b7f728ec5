// Duplicates across sensors: when both ends of a conversation are mirrored, the two copies usually reach
// different sensors (the NLB hashes the outer header), and each logs the connection. This index remembers
// the conn records the collector has stored recently, by community_id, so a record that another sensor
// already logged over the same time is recognised as a second view of one connection.
//
// Bounded twice: by entries (oldest admitted evicted first) and by age in record time (an entry whose end is
// more than `maxAgeSeconds` behind the newest record end seen is evicted). Both evictions are counted. An
// evicted entry only means a late second copy is not marked (shown twice), never that a record is hidden.

/**
 * Entries held at most. An entry costs about 380 bytes with its strings (V8, measured with random uids and
 * community ids), so the default holds at most ~190 MB: an hour of 140 connections a second across all
 * sensors, and at higher rates still many minutes, which is what matters: both copies of a connection arrive
 * within a batch interval or two of each other unless a sensor is catching up on its spool.
 */
export const DEFAULT_DUPLICATE_MAX_ENTRIES = 500_000;
/** Record time an entry is kept for: both copies of a connection reach the collector within minutes. */
export const DEFAULT_DUPLICATE_MAX_AGE_SECONDS = 3_600;
/** Two sensors' clocks and their first/last packet differ a little; their intervals may miss by this. */
export const DEFAULT_DUPLICATE_SLACK_SECONDS = 5;

export interface DuplicateLimits {
  maxEntries: number;
  maxAgeSeconds: number;
  slackSeconds: number;
}

export const DEFAULT_DUPLICATE_LIMITS: DuplicateLimits = {
  maxEntries: DEFAULT_DUPLICATE_MAX_ENTRIES,
  maxAgeSeconds: DEFAULT_DUPLICATE_MAX_AGE_SECONDS,
  slackSeconds: DEFAULT_DUPLICATE_SLACK_SECONDS,
};

/** What the index needs of one conn record: how to match it and what a marker shows of it. */
export interface ConnView {
  communityId: string;
  uid: string;
  /** Record time: `ts` .. `ts + duration`, seconds. */
  start: number;
  end: number;
  mirrorSrc?: string;
  vni?: number;
  instanceId?: string;
}

/** A class, not a spread object: one fixed shape for every entry (a few percent smaller, measured). */
class Entry implements ConnView {
  readonly communityId: string;
  readonly uid: string;
  readonly start: number;
  readonly end: number;
  readonly mirrorSrc: string | undefined;
  readonly vni: number | undefined;
  readonly instanceId: string | undefined;
  /** Evicted or reverted: the queue still holds it until its turn comes. */
  gone = false;

  constructor(
    view: ConnView,
    readonly sensor: string,
  ) {
    this.communityId = view.communityId;
    this.uid = view.uid;
    this.start = view.start;
    this.end = view.end;
    this.mirrorSrc = view.mirrorSrc;
    this.vni = view.vni;
    this.instanceId = view.instanceId;
  }

  view(): ConnView {
    return {
      communityId: this.communityId,
      uid: this.uid,
      start: this.start,
      end: this.end,
      mirrorSrc: this.mirrorSrc,
      vni: this.vni,
      instanceId: this.instanceId,
    };
  }
}

/** One record of the incoming batch that is a second view of a connection another sensor logged. */
export interface DuplicateMatch {
  record: ConnView;
  sensor: string;
  of: ConnView & { sensor: string };
}

export interface DuplicateStats {
  entries: number;
  evictedForSpace: number;
  evictedForAge: number;
}

/** The result of admitting a batch: its duplicates, and a way to take it back if the batch is not stored. */
export interface Admission {
  duplicates: DuplicateMatch[];
  revert(): void;
}

const optionalString = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
const optionalNumber = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/**
 * The parts of a conn record the index uses, or undefined when it cannot be matched: no community_id (the
 * sensor can turn it off), or no uid or ts to name and place it.
 */
export function connView(record: Record<string, unknown>): ConnView | undefined {
  const communityId = optionalString(record.community_id);
  const uid = optionalString(record.uid);
  const start = optionalNumber(record.ts);
  if (communityId === undefined || uid === undefined || start === undefined) return undefined;
  // Zeek leaves duration out of a connection of one packet.
  const duration = optionalNumber(record.duration) ?? 0;
  return {
    communityId,
    uid,
    start,
    end: start + Math.max(0, duration),
    mirrorSrc: optionalString(record.mirror_src),
    vni: optionalNumber(record.vni),
    instanceId: optionalString(record.instance_id),
  };
}

export class DuplicateIndex {
  readonly limits: DuplicateLimits;
  private readonly byCommunityId = new Map<string, Entry[]>();
  /** Admission order; `head` is the oldest live-or-gone entry. Compacted when half is consumed. */
  private queue: Entry[] = [];
  private head = 0;
  private live = 0;
  /** The newest record end admitted: the clock the age bound runs on (record time, not wall time). */
  private watermark = Number.NEGATIVE_INFINITY;
  private evictedForSpace = 0;
  private evictedForAge = 0;

  constructor(limits: Partial<DuplicateLimits> = {}) {
    this.limits = { ...DEFAULT_DUPLICATE_LIMITS, ...limits };
  }

  stats(): DuplicateStats {
    return {
      entries: this.live,
      evictedForSpace: this.evictedForSpace,
      evictedForAge: this.evictedForAge,
    };
  }

  /**
   * Matches every record of one sensor's batch against the other sensors' entries, then adds the records.
   * Synchronous, so two batches arriving together are matched in one order or the other, never interleaved.
   */
  admit(sensor: string, records: readonly ConnView[]): Admission {
    const duplicates: DuplicateMatch[] = [];
    const added: Entry[] = [];
    for (const record of records) {
      const list = this.byCommunityId.get(record.communityId);
      const of = list?.find((e) => this.sameConnection(e, sensor, record));
      if (of) duplicates.push({ record, sensor, of: { ...of.view(), sensor: of.sensor } });
      // A retried batch (stored, then its ledger marker failed) comes again: its records are in already.
      if (list?.some((e) => e.sensor === sensor && e.uid === record.uid)) continue;
      const entry = new Entry(record, sensor);
      if (list) list.push(entry);
      else this.byCommunityId.set(record.communityId, [entry]);
      this.queue.push(entry);
      this.live++;
      added.push(entry);
      if (record.end > this.watermark) this.watermark = record.end;
    }
    this.evict();
    return {
      duplicates,
      revert: () => {
        for (const entry of added) this.remove(entry);
      },
    };
  }

  /**
   * Another sensor (a sensor's own engines never split one connection, so it is never its own duplicate),
   * overlapping time, and not the same mirror source: two sensors with one source saw halves of the same
   * packets (the NLB moved the flow), which are not two views, and hiding one would lose the other half.
   */
  private sameConnection(entry: Entry, sensor: string, record: ConnView): boolean {
    if (entry.sensor === sensor) return false;
    if (entry.mirrorSrc !== undefined && entry.mirrorSrc === record.mirrorSrc) return false;
    const slack = this.limits.slackSeconds;
    return record.start <= entry.end + slack && entry.start <= record.end + slack;
  }

  private evict(): void {
    const oldest = this.watermark - this.limits.maxAgeSeconds;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (entry.gone) {
        this.head++;
        continue;
      }
      if (this.live > this.limits.maxEntries) this.evictedForSpace++;
      else if (entry.end < oldest) this.evictedForAge++;
      else break;
      this.remove(entry);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private remove(entry: Entry): void {
    if (entry.gone) return;
    entry.gone = true;
    this.live--;
    const list = this.byCommunityId.get(entry.communityId);
    if (!list) return;
    const at = list.indexOf(entry);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.byCommunityId.delete(entry.communityId);
  }
}
