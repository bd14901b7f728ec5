// UdpReceiver over node:dgram, for when the addon cannot be loaded: the same ReceiveBatch shape,
// filled by copying each datagram into its slot. Datagrams that arrive in one turn of the event
// loop (libuv reads up to 32 per readable event) are delivered as one batch, at setImmediate or
// as soon as MAX_BATCH_DATAGRAMS are waiting. Timestamps are Date.now()/1000 at arrival; the
// socket's kernel drops are not visible here (kernel-drops.ts reads them from /proc).

import { createSocket, type Socket } from "node:dgram";
import { isIPv4 } from "node:net";
import { createReceiveBatch } from "./batch.js";
import type { SocketOptions } from "./recvmmsg-receiver.js";
import {
  DATAGRAM_SLOT_BYTES,
  MAX_BATCH_DATAGRAMS,
  type ReceiveBatch,
  type ReceiverStats,
  type UdpReceiver,
} from "./types.js";

/** An address as the 4 words of ReceiveBatch.srcAddrs, network-order bytes; family 4 for IPv4-mapped IPv6. */
export function addressWords(address: string): { words: Uint32Array; family: 4 | 6 } {
  const bytes = new Uint8Array(16);
  let text = address;
  const percent = text.indexOf("%");
  if (percent >= 0) text = text.slice(0, percent);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped) text = mapped[1];
  if (isIPv4(text)) {
    const parts = text.split(".");
    for (let i = 0; i < 4; i++) bytes[i] = Number(parts[i]);
    return { words: new Uint32Array(bytes.buffer), family: 4 };
  }
  // IPv6: expand "::" and a trailing dotted quad.
  let groups: string[];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const q = dotted[1].split(".").map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length === 2) {
    const head = halves[0] ? halves[0].split(":") : [];
    const tail = halves[1] ? halves[1].split(":") : [];
    groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
  } else {
    groups = text.split(":");
  }
  for (let g = 0; g < 8; g++) {
    const v = Number.parseInt(groups[g] ?? "0", 16) || 0;
    bytes[g * 2] = v >> 8;
    bytes[g * 2 + 1] = v & 0xff;
  }
  return { words: new Uint32Array(bytes.buffer), family: 6 };
}

export class DgramReceiver implements UdpReceiver {
  readonly kind = "dgram" as const;
  readonly fallbackReason: string | undefined;
  receiveBufferBytes = 0;
  address: { host: string; port: number; family: 4 | 6 };
  private readonly socket: Socket;
  private readonly batch: ReceiveBatch = createReceiveBatch();
  private readonly totals: ReceiverStats = {
    datagrams: 0,
    bytes: 0,
    truncated: 0,
    socketDrops: 0,
    batches: 0,
  };
  private onBatch: ((batch: ReceiveBatch) => void) | undefined;
  private flushScheduled: NodeJS.Immediate | undefined;
  private closed = false;
  /** The last sender seen and its words (a mirror session has few senders). */
  private lastAddress = "";
  private lastWords: Uint32Array = new Uint32Array(4);
  private lastFamily: 4 | 6 = 4;

  private constructor(socket: Socket, options: SocketOptions, fallbackReason: string | undefined) {
    this.socket = socket;
    this.fallbackReason = fallbackReason;
    this.address = { host: options.host, port: options.port, family: isIPv4(options.host) ? 4 : 6 };
  }

  /** Binds a dgram socket (rejects with Node's bind error, its message made actionable). */
  static async open(options: SocketOptions, fallbackReason?: string): Promise<DgramReceiver> {
    const v4 = isIPv4(options.host);
    const socket = createSocket({
      type: v4 ? "udp4" : "udp6",
      ipv6Only: !v4 && options.host !== "::",
      reusePort: options.reusePort ?? false,
      ...(options.receiveBufferBytes > 0 ? { recvBufferSize: options.receiveBufferBytes } : {}),
    });
    const receiver = new DgramReceiver(socket, options, fallbackReason);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        socket.close();
        reject(bindError(err, options));
      };
      socket.once("error", onError);
      socket.bind({ address: options.host, port: options.port, exclusive: true }, () => {
        socket.off("error", onError);
        resolve();
      });
    });
    const bound = socket.address();
    receiver.address = { host: options.host, port: bound.port, family: bound.family === "IPv4" ? 4 : 6 };
    receiver.receiveBufferBytes = socket.getRecvBufferSize();
    // A socket error after bind (rare for UDP) is counted, never thrown from the event loop.
    socket.on("error", () => {});
    return receiver;
  }

  get stats(): ReceiverStats {
    return { ...this.totals };
  }

  start(onBatch: (batch: ReceiveBatch) => void): void {
    if (this.closed) throw new Error("UdpReceiver.start: the receiver is closed");
    if (this.onBatch !== undefined) throw new Error("UdpReceiver.start: already started");
    this.onBatch = onBatch;
    this.socket.on("message", (msg, rinfo) => this.take(msg, rinfo.address, rinfo.port));
  }

  private take(msg: Buffer, address: string, port: number): void {
    const batch = this.batch;
    const i = batch.count;
    const n = Math.min(msg.length, DATAGRAM_SLOT_BYTES);
    msg.copy(batch.data, batch.offsets[i], 0, n);
    batch.lengths[i] = n;
    batch.wireLengths[i] = msg.length;
    batch.timestamps[i] = Date.now() / 1000;
    if (address !== this.lastAddress) {
      const { words, family } = addressWords(address);
      this.lastAddress = address;
      this.lastWords = words;
      this.lastFamily = family;
    }
    batch.srcAddrs.set(this.lastWords, i * 4);
    batch.srcFamilies[i] = this.lastFamily;
    batch.srcPorts[i] = port;
    batch.count = i + 1;
    if (batch.count === MAX_BATCH_DATAGRAMS) this.flush();
    else this.flushScheduled ??= setImmediate(this.flushLater);
  }

  private readonly flushLater = () => {
    this.flushScheduled = undefined;
    this.flush();
  };

  private flush(): void {
    const batch = this.batch;
    const count = batch.count;
    if (count === 0 || this.closed) return;
    const totals = this.totals;
    totals.batches++;
    totals.datagrams += count;
    for (let i = 0; i < count; i++) {
      totals.bytes += batch.lengths[i];
      if (batch.wireLengths[i] > batch.lengths[i]) totals.truncated++;
    }
    try {
      this.onBatch?.(batch);
    } finally {
      batch.count = 0;
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.flushScheduled !== undefined) clearImmediate(this.flushScheduled);
    this.batch.count = 0;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

const HINTS: Record<string, string> = {
  EADDRINUSE: "another process is listening on this port (stop it, or start every listener with reusePort)",
  EADDRNOTAVAIL: "no interface of this machine has that address",
  EACCES: "ports below 1024 need root or CAP_NET_BIND_SERVICE",
  EAFNOSUPPORT: "the kernel has no support for this address family (is IPv6 disabled?)",
};

function bindError(err: NodeJS.ErrnoException, options: SocketOptions): Error {
  const code = err.code ?? "EUNKNOWN";
  const where = options.host.includes(":")
    ? `[${options.host}]:${options.port}`
    : `${options.host}:${options.port}`;
  const out = new Error(`bind ${where}: ${code} — ${HINTS[code] ?? err.message}`, {
    cause: err,
  }) as NodeJS.ErrnoException;
  out.code = code;
  out.errno = err.errno;
  out.syscall = "bind";
  return out;
}
