// openUdpSender over loopback, through the addon's sendmmsg and the dgram fallback.

import { afterEach, describe, expect, it } from "vitest";
import { openUdpReceiver } from "../../../sensor-ami/src/capture/udp/open.js";
import { openUdpSender } from "../../../sensor-ami/src/capture/udp/sender.js";
import { collect, patterned, requireAddon } from "./support.js";

const saved = process.env.SPANLESS_NATIVE;
afterEach(() => {
  if (saved === undefined) delete process.env.SPANLESS_NATIVE;
  else process.env.SPANLESS_NATIVE = saved;
});

describe.each([
  ["sendmmsg", undefined],
  ["dgram", "off"],
])("UdpSender: %s", (kind, native) => {
  it.each([["127.0.0.1"], ["::1"]])("sends a batch to %s in order, from one source port", async (host) => {
    // Prepare
    if (native === undefined) requireAddon();
    else process.env.SPANLESS_NATIVE = native;
    const receiver = await openUdpReceiver({ host, port: 0, receiveBufferBytes: 1 << 20 });
    const datagrams = patterned([10, 387, 1500, 9000, 50]);
    const data = Buffer.concat(datagrams);
    const offsets = new Uint32Array(datagrams.length);
    const lengths = new Uint32Array(datagrams.map((d) => d.length));
    for (let i = 1; i < datagrams.length; i++) offsets[i] = offsets[i - 1] + lengths[i - 1];
    const sender = await openUdpSender({ host, port: receiver.address.port });

    // Act
    const arriving = collect(receiver, datagrams.length);
    const taken = sender.sendBatch(data, offsets, lengths, datagrams.length);
    await sender.flush();
    const got = await arriving;
    await sender.close();
    await receiver.close();

    // Assess
    expect(sender.kind).toBe(kind);
    expect(taken).toBe(datagrams.length);
    expect(got.map((g) => g.data)).toEqual(datagrams);
    expect(new Set(got.map((g) => g.port))).toEqual(new Set([sender.localPort]));
  });
});
