// `spanless replay`: a capture sent as AWS VPC Traffic Mirroring sends it, VXLAN over UDP to the
// sensor's port, from several source ports (the port of a frame chosen by its inner flow), at the
// capture's timing, a scaled one, a fixed rate or top speed, in sendmmsg batches.

import { setTimeout as wait } from "node:timers/promises";
import { VXLAN_HEADER_BYTES } from "../../capture/link-types.js";
import { CaptureReader } from "../../capture/reader.js";
import { openUdpSender, type UdpSender } from "../../capture/udp/sender.js";
import { Frame } from "../../engine/frame.js";
import { innerFlowHash } from "./flow-hash.js";
import { type Pace, Schedule } from "./pace.js";
import { MAX_UDP_PAYLOAD, type SkipReason, wrapFrame } from "./wrap.js";

export interface ReplayOptions {
  capture: string;
  /** Destination (the sensor): IP literal or name, and its UDP port (4789 for AWS). */
  host: string;
  port: number;
  /** VNI of every frame (of untagged frames with vniFromVlan). */
  vni: number;
  vniFromVlan: boolean;
  pace: Pace;
  /** Sending sockets, each its own source port. */
  sourcePorts: number;
  /** Both directions of a flow from one source port (AWS does not promise it: off by default). */
  symmetricPorts: boolean;
  /** Times through the capture. */
  loops: number;
  /** The longest pause between two frames at original timing, capture seconds (default: none). */
  maxGap?: number;
  /** Stops the replay early (what was sent is reported). */
  signal?: AbortSignal;
}

export interface ReplayResult {
  frames: number;
  /** UDP payload bytes sent (VXLAN header and inner frame). */
  bytes: number;
  seconds: number;
  loops: number;
  /** The source ports used, and how many frames each sent. */
  ports: { port: number; frames: number }[];
  /** Frames not sent, by reason. */
  skipped: Partial<Record<SkipReason, number>>;
  /** Frames sent with fewer bytes than they had on the wire (the capture's snap length). */
  cutShort: number;
  /** With vniFromVlan: frames without a VLAN tag, sent with the default VNI. */
  untagged: number;
  /** VNIs sent, with their frame counts. */
  vnis: Map<number, number>;
  sender: { kind: "sendmmsg" | "dgram"; fallbackReason: string | undefined };
  aborted: boolean;
  /** The capture ended mid-record (what came before was sent). */
  truncated: boolean;
}

const BATCH_DATAGRAMS = 64;
/** A pending batch's buffer: at least one largest datagram, and 64 ordinary ones. */
const BATCH_BYTES = 1 << 20;
/** Frames due within this many seconds are sent now, in one batch, rather than waited for. */
const LOOKAHEAD_S = 0.001;

const now = () => performance.now() / 1000;
/** Waits `s` seconds (in steps a timer can hold), or until `signal` aborts. */
async function sleep(s: number, signal: AbortSignal | undefined): Promise<void> {
  const end = now() + s;
  for (let left = s; left > 0 && !signal?.aborted; left = end - now()) {
    await wait(Math.min(left, 3600) * 1000, undefined, { signal }).catch(() => {});
  }
}
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Datagrams waiting to be sent, in capture order, each with its socket. */
class PendingBatch {
  readonly data = Buffer.alloc(BATCH_BYTES);
  readonly offsets = new Uint32Array(BATCH_DATAGRAMS);
  readonly lengths = new Uint32Array(BATCH_DATAGRAMS);
  readonly socket = new Uint8Array(BATCH_DATAGRAMS);
  count = 0;
  used = 0;

  fits(length: number): boolean {
    return this.count < BATCH_DATAGRAMS && this.used + length <= BATCH_BYTES;
  }
}

/**
 * Sends the pending datagrams in order: each run of consecutive datagrams for one socket is one
 * sendmmsg, so datagrams leave in capture order across sockets (the two directions of a
 * connection are not reordered by the batching).
 */
async function flush(batch: PendingBatch, senders: UdpSender[]): Promise<void> {
  let i = 0;
  while (i < batch.count) {
    const s = batch.socket[i];
    let j = i + 1;
    while (j < batch.count && batch.socket[j] === s) j++;
    let from = i;
    while (from < j) {
      const taken = senders[s].sendBatch(
        batch.data,
        batch.offsets.subarray(from, j),
        batch.lengths.subarray(from, j),
        j - from,
      );
      from += taken;
      // The socket buffer is full: give the kernel a turn of the event loop.
      if (from < j) await turn();
    }
    i = j;
  }
  batch.count = 0;
  batch.used = 0;
}

export async function replayCapture(options: ReplayOptions): Promise<ReplayResult> {
  // Opened before any socket, so an unreadable capture fails without network side effects.
  let reader = CaptureReader.open(options.capture);
  const senders: UdpSender[] = [];
  try {
    for (let i = 0; i < options.sourcePorts; i++)
      senders.push(await openUdpSender({ host: options.host, port: options.port }));
    return await run(reader, senders, options, () => {
      reader = CaptureReader.open(options.capture);
      return reader;
    });
  } finally {
    reader.close();
    await Promise.all(senders.map((s) => s.close()));
  }
}

async function run(
  first: CaptureReader,
  senders: UdpSender[],
  options: ReplayOptions,
  reopen: () => CaptureReader,
): Promise<ReplayResult> {
  const result: ReplayResult = {
    frames: 0,
    bytes: 0,
    seconds: 0,
    loops: 0,
    ports: senders.map((s) => ({ port: s.localPort, frames: 0 })),
    skipped: {},
    cutShort: 0,
    untagged: 0,
    vnis: new Map(),
    sender: { kind: senders[0].kind, fallbackReason: senders[0].fallbackReason },
    aborted: false,
    truncated: false,
  };
  const frame = new Frame();
  const batch = new PendingBatch();
  const schedule = new Schedule(options.pace, options.maxGap);
  const wrapOptions = { vni: options.vni, vniFromVlan: options.vniFromVlan };
  const n = senders.length;
  const start = now();
  let reader = first;
  let lastVni = -1;
  let lastVniCount = 0;
  for (let loop = 0; loop < options.loops; loop++) {
    if (loop > 0) {
      reader.close();
      reader = reopen();
      schedule.nextLoop();
    }
    while (reader.next(frame)) {
      if (options.signal?.aborted) {
        result.aborted = true;
        break;
      }
      // Room for the largest datagram this frame can make (VXLAN + synthetic Ethernet + frame).
      const room = Math.min(MAX_UDP_PAYLOAD, VXLAN_HEADER_BYTES + 14 + frame.caplen);
      if (!batch.fits(room)) await flush(batch, senders);
      const wrapped = wrapFrame(frame, batch.data, batch.used, wrapOptions);
      if (!wrapped.ok) {
        result.skipped[wrapped.reason] = (result.skipped[wrapped.reason] ?? 0) + 1;
        continue;
      }
      const due = schedule.due(frame.ts);
      if (due > now() - start + LOOKAHEAD_S) {
        // Everything before this frame goes now; then wait for it (its bytes stay in place: the
        // datagram is recorded below, after the flush, at the start of the emptied buffer).
        if (batch.count > 0) {
          const copy = Buffer.from(batch.data.subarray(batch.used, batch.used + wrapped.length));
          await flush(batch, senders);
          copy.copy(batch.data, 0);
        }
        await sleep(due - (now() - start), options.signal);
        if (options.signal?.aborted) {
          result.aborted = true;
          break;
        }
      }
      const at = batch.used;
      const s =
        n === 1
          ? 0
          : innerFlowHash(
              batch.data,
              at + VXLAN_HEADER_BYTES,
              wrapped.length - VXLAN_HEADER_BYTES,
              options.symmetricPorts,
            ) % n;
      const i = batch.count++;
      batch.offsets[i] = at;
      batch.lengths[i] = wrapped.length;
      batch.socket[i] = s;
      batch.used += wrapped.length;
      result.frames++;
      result.bytes += wrapped.length;
      result.ports[s].frames++;
      if (frame.caplen < frame.origlen) result.cutShort++;
      if (wrapped.untagged) result.untagged++;
      if (wrapped.vni !== lastVni) {
        if (lastVni >= 0) result.vnis.set(lastVni, (result.vnis.get(lastVni) ?? 0) + lastVniCount);
        lastVni = wrapped.vni;
        lastVniCount = 0;
      }
      lastVniCount++;
    }
    if (reader.truncation !== undefined) result.truncated = true;
    result.loops = loop + 1;
    if (result.aborted) break;
  }
  await flush(batch, senders);
  await Promise.all(senders.map((s) => s.flush()));
  if (lastVni >= 0) result.vnis.set(lastVni, (result.vnis.get(lastVni) ?? 0) + lastVniCount);
  result.seconds = now() - start;
  return result;
}
