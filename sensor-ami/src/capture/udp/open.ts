// Opens the live sensor's UDP receiver: the batched one (recvmmsg through the addon) when the
// addon loads, else node:dgram with the reason (one line) in fallbackReason. A socket error
// (EADDRINUSE, EACCES, …) is thrown either way: the fallback is for a missing addon, not a port
// that cannot be had.

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { DgramReceiver } from "./dgram-receiver.js";
import { nativeAddon } from "./native.js";
import { RecvmmsgReceiver } from "./recvmmsg-receiver.js";
import type { UdpReceiver } from "./types.js";

export interface UdpReceiverOptions {
  /** Address to bind: an IP literal or a name (resolved once). "::" listens on IPv4 and IPv6. */
  host: string;
  /** 0 picks a free port (see UdpReceiver.address). */
  port: number;
  /** SO_RCVBUF to ask for, bytes; compare UdpReceiver.receiveBufferBytes (rmem.ts says why it fell short). */
  receiveBufferBytes: number;
  /** SO_REUSEPORT: several receivers (workers) share the port, the kernel spreads senders over them. */
  reusePort?: boolean;
}

/** `host` as an IP literal (a name is looked up once). */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  const found = await lookup(host);
  return found.address;
}

export async function openUdpReceiver(options: UdpReceiverOptions): Promise<UdpReceiver> {
  const socketOptions = { ...options, host: await resolveHost(options.host) };
  const load = nativeAddon();
  if (load.addon !== undefined) return RecvmmsgReceiver.open(load.addon, socketOptions);
  return DgramReceiver.open(socketOptions, load.reason);
}
