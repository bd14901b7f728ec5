// One direction of an SSH connection: the identification line, then unencrypted binary packets
// (RFC 4253 §6, no MAC yet) until NEWKEYS; after that only segment sizes are observable.

// The module binding, not the global: global `Buffer` is an accessor property, a getter call per use.
import { Buffer } from "node:buffer";
import { MAX_BANNER_LINE_BYTES, MAX_CLEARTEXT_PACKET_BYTES, MAX_PRE_BANNER_LINES } from "./limits.js";

const MSG_NEWKEYS = 21;
const IDENTIFICATION_PREFIX = Buffer.from("SSH-", "latin1");
const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
/** V8's own search (Buffer#indexOf adds argument handling on top of it). */
const indexOfByte = (b: Uint8Array, value: number): number => Uint8Array.prototype.indexOf.call(b, value);

interface DirectionEvents {
  banner(line: string, ts: number): void;
  /** A cleartext packet's payload (first byte = message type); valid only during the call. */
  packet(payload: Uint8Array, ts: number): void;
  /** Bytes of one delivery after NEWKEYS (Zeek's auth heuristic works on these sizes). */
  encryptedSegment(length: number): void;
  /** The direction cannot be parsed any more; `reason` is for a weird or violation. */
  broken(weird: string, reason: string): void;
}

type State = "banner" | "packets" | "encrypted" | "stopped";

export class SshDirection {
  private state: State = "banner";
  /**
   * Bytes not parsed yet. During data() this may be a view of the caller's delivery (no copy
   * when nothing was left over); what is left at the end of the call is copied (`owned`).
   */
  private buffered: Buffer = EMPTY;
  private owned = true;
  private preBannerLines = 0;

  constructor(
    private readonly events: DirectionEvents,
    /** Servers may send other lines before their identification (RFC 4253 §4.2); clients may not. */
    private readonly allowPreBannerLines: boolean,
  ) {}

  get encrypted(): boolean {
    return this.state === "encrypted";
  }

  stop(): void {
    this.state = "stopped";
    this.buffered = EMPTY;
    this.owned = true;
  }

  data(bytes: Uint8Array, ts: number): void {
    if (this.state === "stopped") return;
    if (this.state === "encrypted") {
      this.events.encryptedSegment(bytes.length);
      return;
    }
    if (this.buffered.length === 0) {
      this.buffered = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.owned = false;
    } else {
      this.buffered = Buffer.concat([this.buffered, bytes]);
      this.owned = true;
    }
    if (this.state === "banner") this.readBannerLines(ts);
    if (this.state === "packets") this.readPackets(ts);
    if (this.encrypted && this.buffered.length > 0) {
      // NEWKEYS and encrypted bytes arrived in one delivery: the rest counts as a segment.
      const rest = this.buffered.length;
      this.buffered = EMPTY;
      this.owned = true;
      this.events.encryptedSegment(rest);
    }
    if (!this.owned) {
      // The delivery's buffer is reused after this call: keep a copy of what is left.
      const rest = this.buffered;
      this.buffered = rest.length === 0 ? EMPTY : Buffer.allocUnsafe(rest.length);
      this.buffered.set(rest);
      this.owned = true;
    }
  }

  private readBannerLines(ts: number): void {
    if (!this.allowPreBannerLines && !this.startsLikeIdentification()) {
      const shown = this.buffered.subarray(0, 16).toString("latin1");
      this.fail("ssh_no_identification", `client did not open with "SSH-": ${JSON.stringify(shown)}`);
      return;
    }
    while (this.state === "banner") {
      const lf = indexOfByte(this.buffered, LF);
      if (lf < 0) {
        if (this.buffered.length > MAX_BANNER_LINE_BYTES)
          this.fail("ssh_banner_too_long", "identification line too long");
        return;
      }
      let line = this.buffered.subarray(0, lf).toString("latin1");
      this.buffered = this.buffered.subarray(lf + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line.startsWith("SSH-")) {
        this.events.banner(line.slice(0, MAX_BANNER_LINE_BYTES), ts);
        if (this.state === "banner") this.state = "packets";
        return;
      }
      this.preBannerLines++;
      if (!this.allowPreBannerLines || this.preBannerLines > MAX_PRE_BANNER_LINES) {
        this.fail(
          "ssh_no_identification",
          `no SSH identification line: ${JSON.stringify(line.slice(0, 40))}`,
        );
      }
    }
  }

  /** The buffered bytes are "SSH-…" or a prefix of it. */
  private startsLikeIdentification(): boolean {
    const n = Math.min(this.buffered.length, IDENTIFICATION_PREFIX.length);
    return this.buffered.subarray(0, n).equals(IDENTIFICATION_PREFIX.subarray(0, n));
  }

  private readPackets(ts: number): void {
    while (this.state === "packets" && this.buffered.length >= 4) {
      const packetLength = this.buffered.readUInt32BE(0);
      if (packetLength < 5 || packetLength > MAX_CLEARTEXT_PACKET_BYTES) {
        this.fail("ssh_bad_packet_length", `cleartext packet length ${packetLength}`);
        return;
      }
      if (this.buffered.length < 4 + packetLength) return;
      const paddingLength = this.buffered[4];
      const payloadEnd = 4 + packetLength - paddingLength;
      if (payloadEnd <= 5) {
        this.fail("ssh_bad_padding_length", `padding ${paddingLength} in a ${packetLength}-byte packet`);
        return;
      }
      const payload = this.buffered.subarray(5, payloadEnd);
      this.buffered = this.buffered.subarray(4 + packetLength);
      if (payload[0] === MSG_NEWKEYS) this.state = "encrypted";
      this.events.packet(payload, ts);
    }
  }

  private fail(weird: string, reason: string): void {
    this.stop();
    this.events.broken(weird, reason);
  }
}
