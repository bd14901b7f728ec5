// The live sensor's datagram source: what a UDP receiver hands the daemon. Two implementations
// share this shape: the batched one (recvmmsg through the Node-API addon in sensor-ami/native) and
// the dgram fallback used when the addon cannot be loaded. The daemon never knows which it has
// except through `kind` and `fallbackReason`, which it reports at start and in `spanless health`.

/** Datagrams one batch holds at most (one recvmmsg call). */
export const MAX_BATCH_DATAGRAMS = 64;
/**
 * Bytes of one datagram slot: a mirrored packet is at most 8500 bytes after the VXLAN header
 * (PacketLength's maximum for NLB targets) plus the 8-byte VXLAN header; larger is truncated
 * and flagged (wireLengths > lengths).
 */
export const DATAGRAM_SLOT_BYTES = 9216;

/**
 * One batch of received datagrams, refilled in place for every batch: valid only until the
 * callback that received it returns. Datagram i is data[offsets[i], offsets[i] + lengths[i]).
 */
export interface ReceiveBatch {
  /** One reused buffer holding every datagram of the batch. */
  readonly data: Buffer;
  /** Datagrams in this batch. */
  count: number;
  readonly offsets: Uint32Array;
  /** Bytes of each datagram present in `data`. */
  readonly lengths: Uint32Array;
  /** Each datagram's full length (larger than `lengths[i]` when the slot truncated it). */
  readonly wireLengths: Uint32Array;
  /** Kernel receive time of each datagram (SO_TIMESTAMPNS), seconds since the epoch; Date.now()/1000 on the fallback. */
  readonly timestamps: Float64Array;
  /** Sender address: 4 words per datagram, network order words as read; IPv4 in word 0 with words 1-3 zero. */
  readonly srcAddrs: Uint32Array;
  /** 4 for IPv4, 6 for IPv6 senders. */
  readonly srcFamilies: Uint8Array;
  readonly srcPorts: Uint16Array;
}

export interface ReceiverStats {
  /** Datagrams delivered to the callback. */
  datagrams: number;
  bytes: number;
  /** Datagrams the slot size cut short. */
  truncated: number;
  /** Kernel drops on this socket (SO_RXQ_OVFL's running count; 0 where unavailable). */
  socketDrops: number;
  /** recvmmsg/recvmsg calls (batches) made. */
  batches: number;
}

export interface UdpReceiver {
  readonly kind: "recvmmsg" | "dgram";
  /** Why the batched path is not in use (only for kind "dgram"). */
  readonly fallbackReason: string | undefined;
  /** Receive buffer the kernel granted (SO_RCVBUF as read back), bytes. */
  readonly receiveBufferBytes: number;
  /** The local address and port bound (port resolved when 0 was asked). */
  readonly address: { host: string; port: number; family: 4 | 6 };
  readonly stats: ReceiverStats;
  /** Starts delivering batches; the callback runs on the event loop of the thread that called start. */
  start(onBatch: (batch: ReceiveBatch) => void): void;
  /** Stops receiving and closes the socket; resolves once no further callback will run. */
  close(): Promise<void>;
}
