// Both receive paths over real loopback sockets: the batched one (recvmmsg through the addon) and
// the node:dgram fallback fill the same ReceiveBatch with the same datagrams.

import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { DgramReceiver } from "../../../sensor-ami/src/capture/udp/dgram-receiver.js";
import { openUdpReceiver } from "../../../sensor-ami/src/capture/udp/open.js";
import {
  RecvmmsgReceiver,
  type SocketOptions,
} from "../../../sensor-ami/src/capture/udp/recvmmsg-receiver.js";
import { DATAGRAM_SLOT_BYTES, type UdpReceiver } from "../../../sensor-ami/src/capture/udp/types.js";
import { collect, patterned, requireAddon, sendDatagrams } from "./support.js";

type Open = (options: SocketOptions) => Promise<UdpReceiver>;

const PATHS: [string, Open][] = [
  ["recvmmsg (addon)", async (o) => RecvmmsgReceiver.open(requireAddon(), o)],
  ["dgram (fallback)", (o) => DgramReceiver.open(o, "forced by the test")],
];

const open: UdpReceiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function opened(openFn: Open, options: SocketOptions): Promise<UdpReceiver> {
  const r = await openFn(options);
  open.push(r);
  return r;
}

describe.each(PATHS)("UDP receiver: %s", (kind, openFn) => {
  it("delivers each datagram's bytes, length, sender and arrival time; flags one larger than a slot", async () => {
    // Prepare
    const sizes = [1, 60, 387, 1500, 8508, DATAGRAM_SLOT_BYTES, DATAGRAM_SLOT_BYTES + 784, 200];
    const datagrams = patterned(sizes);
    const r = await opened(openFn, { host: "127.0.0.1", port: 0, receiveBufferBytes: 1 << 20 });
    const before = Date.now() / 1000;

    // Act
    const arriving = collect(r, datagrams.length);
    const sourcePort = await sendDatagrams("127.0.0.1", r.address.port, datagrams);
    const got = await arriving;

    // Assess
    expect(r.kind).toBe(kind.startsWith("recvmmsg") ? "recvmmsg" : "dgram");
    expect(r.address).toMatchObject({ host: "127.0.0.1", family: 4 });
    expect(r.address.port).toBeGreaterThan(0);
    expect(r.receiveBufferBytes).toBeGreaterThanOrEqual(1 << 20);
    expect(got.map((g) => g.wireLength)).toEqual(sizes);
    for (const [i, g] of got.entries()) {
      const whole = datagrams[i];
      expect(g.data.equals(whole.subarray(0, DATAGRAM_SLOT_BYTES)), `datagram ${i} (${sizes[i]} bytes)`).toBe(
        true,
      );
      expect(g).toMatchObject({ source: "127.0.0.1", family: 4, port: sourcePort });
      expect(g.timestamp).toBeGreaterThanOrEqual(before - 1);
      expect(g.timestamp).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    }
    expect(got[6].data.length).toBe(DATAGRAM_SLOT_BYTES);
    expect(r.stats).toMatchObject({ datagrams: sizes.length, truncated: 1 });
    expect(r.stats.batches).toBeGreaterThanOrEqual(1);
    expect(r.stats.bytes).toBe(sizes.reduce((a, n) => a + Math.min(n, DATAGRAM_SLOT_BYTES), 0));
  });

  it("batches a burst: 500 datagrams in at most a few callbacks' worth of batches, none lost", async () => {
    // Prepare
    const datagrams = patterned(Array.from({ length: 500 }, (_, i) => 64 + (i % 300)));
    const r = await opened(openFn, { host: "127.0.0.1", port: 0, receiveBufferBytes: 4 << 20 });

    // Act
    const arriving = collect(r, datagrams.length);
    await sendDatagrams("127.0.0.1", r.address.port, datagrams);
    const got = await arriving;

    // Assess
    expect(got.map((g) => g.data.length)).toEqual(datagrams.map((d) => d.length));
    expect(got.every((g, i) => g.data.equals(datagrams[i]))).toBe(true);
    expect(r.stats.datagrams).toBe(500);
  });

  it("receives from ::1 on an IPv6 socket", async () => {
    // Prepare
    const datagrams = patterned([100, 2000]);
    const r = await opened(openFn, { host: "::1", port: 0, receiveBufferBytes: 0 });

    // Act
    const arriving = collect(r, 2);
    const sourcePort = await sendDatagrams("::1", r.address.port, datagrams);
    const got = await arriving;

    // Assess
    expect(r.address.family).toBe(6);
    expect(got.map((g) => [g.source, g.family, g.port, g.data.length])).toEqual([
      ["::1", 6, sourcePort, 100],
      ["::1", 6, sourcePort, 2000],
    ]);
  });

  it("on '::' takes IPv4 senders too, and reports them as IPv4", async () => {
    // Prepare
    const r = await opened(openFn, { host: "::", port: 0, receiveBufferBytes: 0 });

    // Act
    const arriving = collect(r, 1);
    const sourcePort = await sendDatagrams("127.0.0.1", r.address.port, patterned([42]));
    const [got] = await arriving;

    // Assess
    expect(got).toMatchObject({ source: "127.0.0.1", family: 4, port: sourcePort });
  });

  it("says what to do when the port is taken (EADDRINUSE)", async () => {
    // Prepare
    const holder = createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind(0, "127.0.0.1", () => resolve()));
    const port = holder.address().port;

    // Act
    const attempt = openFn({ host: "127.0.0.1", port, receiveBufferBytes: 0 });

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: "EADDRINUSE",
      syscall: "bind",
      message: `bind 127.0.0.1:${port}: EADDRINUSE — another process is listening on this port (stop it, or start every listener with reusePort)`,
    });
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  });

  it("runs no callback after close, also when closed inside a callback", async () => {
    // Prepare
    const r = await opened(openFn, { host: "127.0.0.1", port: 0, receiveBufferBytes: 1 << 20 });
    let calls = 0;
    let closed: Promise<void> | undefined;
    r.start(() => {
      calls++;
      closed ??= r.close();
    });

    // Act
    await sendDatagrams("127.0.0.1", r.address.port, patterned(new Array(200).fill(100)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Assess
    expect(calls).toBe(1);
  });
});

describe("SO_REUSEPORT", () => {
  it.each(PATHS)("%s: two receivers share one port", async (_kind, openFn) => {
    // Prepare
    const a = await opened(openFn, { host: "127.0.0.1", port: 0, receiveBufferBytes: 0, reusePort: true });

    // Act
    const b = await opened(openFn, {
      host: "127.0.0.1",
      port: a.address.port,
      receiveBufferBytes: 0,
      reusePort: true,
    });

    // Assess
    expect(b.address.port).toBe(a.address.port);
  });
});

describe("openUdpReceiver", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env.SPANLESS_NATIVE = saved.SPANLESS_NATIVE;
    process.env.SPANLESS_NATIVE_ADDON = saved.SPANLESS_NATIVE_ADDON;
    if (saved.SPANLESS_NATIVE === undefined) delete process.env.SPANLESS_NATIVE;
    if (saved.SPANLESS_NATIVE_ADDON === undefined) delete process.env.SPANLESS_NATIVE_ADDON;
  });

  it("uses the addon when it is built", async () => {
    // Prepare
    requireAddon();
    delete process.env.SPANLESS_NATIVE;
    delete process.env.SPANLESS_NATIVE_ADDON;

    // Act
    const r = await openUdpReceiver({ host: "localhost", port: 0, receiveBufferBytes: 1 << 20 });
    open.push(r);

    // Assess
    expect(r.kind).toBe("recvmmsg");
    expect(r.fallbackReason).toBeUndefined();
  });

  it("falls back to dgram with the reason when the addon path is wrong, and still receives", async () => {
    // Prepare
    process.env.SPANLESS_NATIVE_ADDON = "/nonexistent/spanless_udp.node";

    // Act
    const r = await openUdpReceiver({ host: "127.0.0.1", port: 0, receiveBufferBytes: 1 << 20 });
    open.push(r);
    const arriving = collect(r, 1);
    await sendDatagrams("127.0.0.1", r.address.port, patterned([300]));

    // Assess
    expect(r.kind).toBe("dgram");
    expect(r.fallbackReason).toBe(
      "native UDP addon spanless_udp.node SPANLESS_NATIVE_ADDON=/nonexistent/spanless_udp.node: no such file",
    );
    expect((await arriving)[0].data.length).toBe(300);
  });

  it("reports a file that is not an addon as one line", async () => {
    // Prepare
    process.env.SPANLESS_NATIVE_ADDON = new URL(import.meta.url).pathname;

    // Act
    const r = await openUdpReceiver({ host: "127.0.0.1", port: 0, receiveBufferBytes: 0 });
    open.push(r);

    // Assess
    expect(r.kind).toBe("dgram");
    expect(r.fallbackReason).toMatch(/^native UDP addon .*receive\.test\.ts does not load: /);
    expect(r.fallbackReason).not.toContain("\n");
  });

  it("is forced to dgram by SPANLESS_NATIVE=off", async () => {
    // Prepare
    process.env.SPANLESS_NATIVE = "off";

    // Act
    const r = await openUdpReceiver({ host: "127.0.0.1", port: 0, receiveBufferBytes: 0 });
    open.push(r);

    // Assess
    expect(r).toMatchObject({ kind: "dgram", fallbackReason: "SPANLESS_NATIVE=off" });
  });
});
