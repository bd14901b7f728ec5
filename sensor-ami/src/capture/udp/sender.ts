// Sends batches of datagrams from one bound socket to one destination: sendmmsg through the addon,
// or node:dgram when the addon cannot be loaded. For `spanless replay` and the receive benchmark.

import { createSocket, type Socket } from "node:dgram";
import { isIPv4 } from "node:net";
import { type NativeHandle, type NativeUdpAddon, nativeAddon } from "./native.js";
import { resolveHost } from "./open.js";

export interface UdpSenderOptions {
  /** Destination: an IP literal or a name (resolved once). */
  host: string;
  port: number;
  /** Local port to send from (default 0: the kernel picks). */
  localPort?: number;
  /** SO_REUSEPORT on the sending socket. */
  reusePort?: boolean;
}

export interface UdpSender {
  readonly kind: "sendmmsg" | "dgram";
  readonly fallbackReason: string | undefined;
  /** The source port datagrams leave from. */
  readonly localPort: number;
  /**
   * Sends datagrams i < count, data[offsets[i], offsets[i] + lengths[i]). Returns how many were
   * taken: fewer than count when the socket buffer is full (send the rest after a turn of the
   * event loop). `data` may be reused as soon as this returns.
   */
  sendBatch(data: Buffer, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  /** Resolves once every datagram taken has left (immediately for sendmmsg). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

class NativeSender implements UdpSender {
  readonly kind = "sendmmsg" as const;
  readonly fallbackReason = undefined;
  readonly localPort: number;
  private closed = false;

  constructor(
    private readonly addon: NativeUdpAddon,
    private readonly handle: NativeHandle,
    localPort: number,
  ) {
    this.localPort = localPort;
  }

  sendBatch(data: Buffer, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    return this.addon.send(this.handle, data, offsets, lengths, count);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.addon.close(this.handle);
    }
    return Promise.resolve();
  }
}

class DgramSender implements UdpSender {
  readonly kind = "dgram" as const;
  private outstanding = 0;
  private waiters: (() => void)[] = [];
  private firstError: Error | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly host: string,
    private readonly port: number,
    readonly localPort: number,
    readonly fallbackReason: string | undefined,
  ) {}

  sendBatch(data: Buffer, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    if (this.firstError !== undefined) throw this.firstError;
    for (let i = 0; i < count; i++) {
      // dgram may send after this returns: give it a copy the caller cannot overwrite.
      const copy = Buffer.from(data.subarray(offsets[i], offsets[i] + lengths[i]));
      this.outstanding++;
      this.socket.send(copy, this.port, this.host, this.sent);
    }
    return count;
  }

  private readonly sent = (err: Error | null) => {
    if (err && this.firstError === undefined) this.firstError = err;
    if (--this.outstanding === 0) for (const w of this.waiters.splice(0)) w();
  };

  flush(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** A socket bound to the wildcard address of the destination's family, sending to host:port. */
export async function openUdpSender(options: UdpSenderOptions): Promise<UdpSender> {
  const host = await resolveHost(options.host);
  const v4 = isIPv4(host);
  const load = nativeAddon();
  if (load.addon !== undefined) {
    const opened = load.addon.open(
      v4 ? "0.0.0.0" : "::",
      options.localPort ?? 0,
      0,
      options.reusePort ?? false,
    );
    try {
      load.addon.setDestination(opened.handle, host, options.port);
    } catch (err) {
      load.addon.close(opened.handle);
      throw err;
    }
    return new NativeSender(load.addon, opened.handle, opened.port);
  }
  const socket = createSocket({ type: v4 ? "udp4" : "udp6", reusePort: options.reusePort ?? false });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.localPort ?? 0, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  return new DgramSender(socket, host, options.port, socket.address().port, load.reason);
}
