// UdpReceiver over the addon: recvmmsg into one reused buffer, one callback per batch.

import { createReceiveBatch } from "./batch.js";
import type { NativeHandle, NativeUdpAddon } from "./native.js";
import type { ReceiveBatch, ReceiverStats, UdpReceiver } from "./types.js";

export interface SocketOptions {
  /** An IP literal (open.ts resolves names first). "::" is dual-stack. */
  host: string;
  port: number;
  /** SO_RCVBUF to ask for, bytes (0: the kernel default). */
  receiveBufferBytes: number;
  reusePort?: boolean;
}

export class RecvmmsgReceiver implements UdpReceiver {
  readonly kind = "recvmmsg" as const;
  readonly fallbackReason = undefined;
  readonly receiveBufferBytes: number;
  readonly address: { host: string; port: number; family: 4 | 6 };
  private readonly handle: NativeHandle;
  private readonly batch: ReceiveBatch = createReceiveBatch();
  /** [0] SO_RXQ_OVFL drops, [1] batches, [2] receive errors: written by the addon. */
  private readonly counters = new Float64Array(3);
  private readonly totals = { datagrams: 0, bytes: 0, truncated: 0 };
  private started = false;
  private closed = false;

  private constructor(
    private readonly addon: NativeUdpAddon,
    options: SocketOptions,
  ) {
    const opened = addon.open(
      options.host,
      options.port,
      options.receiveBufferBytes,
      options.reusePort ?? false,
    );
    this.handle = opened.handle;
    this.receiveBufferBytes = opened.receiveBufferBytes;
    this.address = { host: options.host, port: opened.port, family: opened.family };
  }

  /** Opens and binds the socket (throws the addon's errors: code, errno, a message to act on). */
  static open(addon: NativeUdpAddon, options: SocketOptions): RecvmmsgReceiver {
    return new RecvmmsgReceiver(addon, options);
  }

  get stats(): ReceiverStats {
    return {
      datagrams: this.totals.datagrams,
      bytes: this.totals.bytes,
      truncated: this.totals.truncated,
      socketDrops: this.counters[0],
      batches: this.counters[1],
    };
  }

  /** Receive errors other than EAGAIN (recvmmsg failed; the socket keeps being polled). */
  get receiveErrors(): number {
    return this.counters[2];
  }

  start(onBatch: (batch: ReceiveBatch) => void): void {
    if (this.closed) throw new Error("UdpReceiver.start: the receiver is closed");
    if (this.started) throw new Error("UdpReceiver.start: already started");
    this.started = true;
    const batch = this.batch;
    const totals = this.totals;
    this.addon.start(this.handle, batch, this.counters, (count: number) => {
      batch.count = count;
      const lengths = batch.lengths;
      const wire = batch.wireLengths;
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        bytes += lengths[i];
        if (wire[i] > lengths[i]) totals.truncated++;
      }
      totals.datagrams += count;
      totals.bytes += bytes;
      onBatch(batch);
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.addon.close(this.handle);
    }
    return Promise.resolve();
  }
}
