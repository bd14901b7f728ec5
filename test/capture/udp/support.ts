// Shared pieces of the UDP receive tests: the addon (loaded or a loud failure), a plain dgram
// sender, and a collector that copies every batch out before the receiver reuses it.

import { createSocket } from "node:dgram";
import { sourceAddressText } from "../../../sensor-ami/src/capture/udp/batch.js";
import { loadNativeAddon, type NativeUdpAddon } from "../../../sensor-ami/src/capture/udp/native.js";
import type { ReceiveBatch, UdpReceiver } from "../../../sensor-ami/src/capture/udp/types.js";

/** The built addon; throws with what to do when it is not built (CI's `npm ci` builds it: never skip). */
export function requireAddon(): NativeUdpAddon {
  const load = loadNativeAddon({
    ...process.env,
    SPANLESS_NATIVE: undefined,
    SPANLESS_NATIVE_ADDON: undefined,
  });
  if (load.addon === undefined) {
    throw new Error(
      `the native UDP addon is required by this test and is not usable: ${load.reason}. ` +
        "Build it with `npm run build:native` (npm ci does this through the install script).",
    );
  }
  return load.addon;
}

export interface Received {
  data: Buffer;
  wireLength: number;
  timestamp: number;
  source: string;
  family: number;
  port: number;
}

/** Starts `receiver`, copying each datagram out; resolves when `count` have arrived (or rejects after `ms`). */
export function collect(receiver: UdpReceiver, count: number, ms = 3000): Promise<Received[]> {
  const out: Received[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`received ${out.length} of ${count} datagrams in ${ms} ms`)),
      ms,
    );
    receiver.start((batch: ReceiveBatch) => {
      for (let i = 0; i < batch.count; i++) {
        const at = batch.offsets[i];
        out.push({
          data: Buffer.from(batch.data.subarray(at, at + batch.lengths[i])),
          wireLength: batch.wireLengths[i],
          timestamp: batch.timestamps[i],
          source: sourceAddressText(batch, i),
          family: batch.srcFamilies[i],
          port: batch.srcPorts[i],
        });
      }
      if (out.length >= count) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

/** Sends `datagrams` in order from a fresh dgram socket; resolves with its source port once all left. */
export async function sendDatagrams(host: string, port: number, datagrams: Buffer[]): Promise<number> {
  const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  const source = socket.address().port;
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) =>
      socket.send(d, port, host, (err) => (err ? reject(err) : resolve())),
    );
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return source;
}

/** Datagrams of varied sizes with recognisable contents: byte j of datagram i is (i * 7 + j) & 0xff. */
export function patterned(sizes: number[]): Buffer[] {
  return sizes.map((size, i) => {
    const b = Buffer.alloc(size);
    for (let j = 0; j < size; j++) b[j] = (i * 7 + j) & 0xff;
    return b;
  });
}
