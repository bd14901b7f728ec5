// `--checksums auto`: checksum verification decided per sending host, as offloading is a property
// of the host whose NIC finishes its checksums (a capture taken on it, or in a VM behind a virtual
// NIC, sees them unfinished), can start at any time (a driver or VM migration) and never applies
// to the other hosts of the same capture.
//
// A failed checksum is kept (verification relaxed for that packet) when
//   1. it has the shape an unfinished checksum has (decode/offload.ts): the pseudo-header sum in
//      a TCP/UDP/ICMPv6 field, zero in a TCP or IPv4 header field: never dropped; or
//   2. at least 2, and more than a quarter, of its host's last 32 verified checksums failed (this
//      one included; a host is remembered from its first failure on): the host's checksums are
//      wrong as a rule (drivers that leave stale values), not this packet corrupt.
// Otherwise it is dropped, as Zeek drops it: a host's lone corrupt packet.
//
// Memory is bounded: hosts live in a fixed direct-mapped table (a colliding host takes the slot
// over and starts afresh), and only hosts with a failure are stored; while none is, a passing
// checksum costs one comparison.

import { formatAddr } from "../text/ip.js";

/** Direct-mapped host slots (a power of two): 4,096 × 33 bytes. */
const SLOTS = 4096;
/** Verified checksums remembered per host (bits of one int32). */
const WINDOW = 32;
/** Words per key: the source address (4) and the VNI + 1 (hosts of different VPCs are different hosts). */
const KEY_WORDS = 5;
/** Failures in the window before a host counts as failing as a rule (one may be corruption). */
const MIN_FAILED = 2;
/** Relaxed hosts listed in the summary (all are counted and get a weird). */
const MAX_LISTED = 16;
/** Distinct relaxed hosts remembered so that a host re-entering the table is reported once. */
const MAX_REPORTED = 65536;

/** A host whose failing checksums were kept: when and why it was first relaxed. */
export interface RelaxedHost {
  addr: string;
  /** The VNI the host was seen in, -1 when not tunnelled. */
  vni: number;
  ts: number;
  packet: number;
  reason: string;
}

/** Where the weird announcing a relaxed host goes (the engine's weird log). */
export interface RelaxedHostSink {
  hostWeird(name: string, addl: string, vni: number): void;
}

/** The address words and VNI of the packet being judged (the engine's decoded packet). */
interface SourceOf {
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  vni: number;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export class ChecksumHosts {
  private readonly keys = new Int32Array(SLOTS * KEY_WORDS);
  private readonly used = new Uint8Array(SLOTS);
  /** Last WINDOW results per host, newest in bit 0 (1 = failed). */
  private readonly bits = new Int32Array(SLOTS);
  private readonly samples = new Uint8Array(SLOTS);
  private readonly announced = new Uint8Array(SLOTS);
  private readonly reported = new Set<string>();
  /** Slots in use: zero until the first failure, which keeps passing checksums free. */
  private occupied = 0;
  /** Failed checksums kept because they fit the offload pattern. */
  kept = 0;
  /** Failed checksums dropped (Zeek's behaviour for a host whose checksums verify). */
  dropped = 0;
  /** Hosts relaxed so far (each announced once). */
  relaxedHosts = 0;
  /** The first MAX_LISTED of them, for the summary. */
  readonly listed: RelaxedHost[] = [];

  constructor(private readonly sink: RelaxedHostSink) {}

  /** A verified checksum of `p` passed: a good sample for its host, when the host is known. */
  pass(p: SourceOf): void {
    if (this.occupied === 0) return;
    const i = this.slotOf(p);
    if (!this.matches(i, p)) return;
    this.bits[i] <<= 1;
    if (this.samples[i] < WINDOW) this.samples[i]++;
  }

  /**
   * A verified checksum of `p` failed; `shaped` says it looks unfinished (decode/offload.ts).
   * Returns true when the packet is kept, false when it is to be dropped.
   */
  fail(p: SourceOf, shaped: boolean, ts: number, packet: number): boolean {
    const i = this.slotOf(p);
    if (!this.matches(i, p)) this.claim(i, p);
    this.bits[i] = (this.bits[i] << 1) | 1;
    const n = this.samples[i] < WINDOW ? ++this.samples[i] : WINDOW;
    const failed = popcount(this.bits[i]);
    if (!shaped && (failed < MIN_FAILED || failed * 4 <= n)) {
      this.dropped++;
      return false;
    }
    this.kept++;
    if (this.announced[i] === 0) {
      this.announced[i] = 1;
      this.announce(
        p,
        shaped ? "unfinished checksums (offloading)" : `${failed} of its last ${n} checksums failed`,
        ts,
        packet,
      );
    }
    return true;
  }

  private announce(p: SourceOf, reason: string, ts: number, packet: number): void {
    const addr = formatAddr(p.s0, p.s1, p.s2, p.s3);
    const key = `${addr}/${p.vni}`;
    if (this.reported.has(key)) return;
    if (this.reported.size < MAX_REPORTED) this.reported.add(key);
    this.relaxedHosts++;
    if (this.listed.length < MAX_LISTED) this.listed.push({ addr, vni: p.vni, ts, packet, reason });
    this.sink.hostWeird("checksum_offload_detected", `${addr}: ${reason}`, p.vni);
  }

  private slotOf(p: SourceOf): number {
    let h = Math.imul(p.s0 ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ p.s1, 0xc2b2ae35);
    h = Math.imul(h ^ p.s2, 0x85ebca6b);
    h = Math.imul(h ^ p.s3, 0xc2b2ae35);
    h = Math.imul(h ^ (p.vni + 1), 0x85ebca6b);
    return (h ^ (h >>> 15)) & (SLOTS - 1);
  }

  private matches(i: number, p: SourceOf): boolean {
    const k = this.keys;
    const o = i * KEY_WORDS;
    return (
      this.used[i] === 1 &&
      k[o] === (p.s0 | 0) &&
      k[o + 1] === (p.s1 | 0) &&
      k[o + 2] === (p.s2 | 0) &&
      k[o + 3] === (p.s3 | 0) &&
      k[o + 4] === p.vni + 1
    );
  }

  /** The slot becomes this host's (a previous occupant's history is forgotten). */
  private claim(i: number, p: SourceOf): void {
    const k = this.keys;
    const o = i * KEY_WORDS;
    k[o] = p.s0;
    k[o + 1] = p.s1;
    k[o + 2] = p.s2;
    k[o + 3] = p.s3;
    k[o + 4] = p.vni + 1;
    if (this.used[i] === 0) {
      this.used[i] = 1;
      this.occupied++;
    }
    this.bits[i] = 0;
    this.samples[i] = 0;
    this.announced[i] = 0;
  }
}
