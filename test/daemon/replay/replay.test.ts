// `spanless replay` end to end over loopback: corpus captures replayed into the sensor's UDP
// receiver arrive as AWS sends mirrored packets (VXLAN, the right VNI, the frame byte for byte)
// from several source ports.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CaptureReader } from "../../../sensor-ami/src/capture/reader.js";
import { openUdpReceiver } from "../../../sensor-ami/src/capture/udp/open.js";
import type { UdpReceiver } from "../../../sensor-ami/src/capture/udp/types.js";
import { parseReplayArgs, runReplay } from "../../../sensor-ami/src/cli/replay.js";
import { type ReplayOptions, replayCapture } from "../../../sensor-ami/src/daemon/replay/replay.js";
import { Frame } from "../../../sensor-ami/src/engine/frame.js";
import { collect, type Received, requireAddon } from "../../capture/udp/support.js";
import { CORPUS_DIR } from "../../support/corpus.js";

const MIXED_VLAN = join(CORPUS_DIR, "zeek/mixed-vlan-mpls.pcap"); // Ethernet, 47 frames, 14 tagged VLAN 4093
const RAW_IP = join(CORPUS_DIR, "pcapplusplus/raw_ip.pcap"); // raw IPv4, 100 frames
const SLL2 = join(CORPUS_DIR, "zeek/linux_dlt_sll2.pcap"); // Linux cooked v2, 6 frames
const BSD_NULL = join(CORPUS_DIR, "ja4/ipv6.pcapng"); // BSD loopback (IPv6), 9 frames

function frames(path: string): { data: Buffer; linkType: number }[] {
  const reader = CaptureReader.open(path);
  const frame = new Frame();
  const out: { data: Buffer; linkType: number }[] = [];
  while (reader.next(frame)) {
    out.push({
      data: Buffer.from(frame.data.subarray(frame.offset, frame.offset + frame.caplen)),
      linkType: frame.linkType,
    });
  }
  reader.close();
  return out;
}

const receivers: UdpReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function replayInto(
  capture: string,
  expected: number,
  options: Partial<ReplayOptions> = {},
): Promise<{ got: Received[]; result: Awaited<ReturnType<typeof replayCapture>> }> {
  requireAddon();
  const receiver = await openUdpReceiver({ host: "127.0.0.1", port: 0, receiveBufferBytes: 4 << 20 });
  receivers.push(receiver);
  const arriving = collect(receiver, expected);
  const result = await replayCapture({
    capture,
    host: "127.0.0.1",
    port: receiver.address.port,
    vni: 1,
    vniFromVlan: false,
    pace: { kind: "top" },
    sourcePorts: 8,
    symmetricPorts: false,
    loops: 1,
    ...options,
  });
  return { got: await arriving, result };
}

const vniOf = (d: Buffer) => d.readUIntBE(4, 3);
const hex = (b: Buffer) => b.toString("hex");
const sorted = (list: Buffer[]) => list.map(hex).sort();

/** Inner IPv4 flow of an Ethernet frame (VLAN tags skipped): "src:port>dst:port/proto" and its reverse. */
function innerFlow(eth: Buffer): { key: string; reverse: string } | undefined {
  let p = 12;
  while (eth.readUInt16BE(p) === 0x8100) p += 4;
  if (eth.readUInt16BE(p) !== 0x0800) return undefined;
  const ip = p + 2;
  const proto = eth[ip + 9];
  if (proto !== 6 && proto !== 17) return undefined;
  const l4 = ip + (eth[ip] & 0x0f) * 4;
  const a = `${eth.subarray(ip + 12, ip + 16).join(".")}:${eth.readUInt16BE(l4)}`;
  const b = `${eth.subarray(ip + 16, ip + 20).join(".")}:${eth.readUInt16BE(l4 + 2)}`;
  return { key: `${a}>${b}/${proto}`, reverse: `${b}>${a}/${proto}` };
}

describe("spanless replay into the UDP receiver", () => {
  it("sends each Ethernet frame byte for byte after an AWS VXLAN header (VNI 1), from several source ports", async () => {
    // Prepare
    const want = frames(MIXED_VLAN);

    // Act
    const { got, result } = await replayInto(MIXED_VLAN, want.length);

    // Assess
    expect(result).toMatchObject({
      frames: want.length,
      skipped: {},
      loops: 1,
      sender: { kind: "sendmmsg" },
    });
    for (const g of got) {
      expect(hex(g.data.subarray(0, 8))).toBe("0800000000000100");
      expect(g.source).toBe("127.0.0.1");
    }
    expect(sorted(got.map((g) => g.data.subarray(8)))).toEqual(sorted(want.map((f) => f.data)));
    const ports = new Set(got.map((g) => g.port));
    expect(ports.size).toBeGreaterThanOrEqual(3);
    expect([...ports].sort()).toEqual(
      result.ports
        .filter((p) => p.frames > 0)
        .map((p) => p.port)
        .sort(),
    );
    expect(result.bytes).toBe(got.reduce((a, g) => a + g.data.length, 0));
  });

  it("gives the two directions of a connection different source ports (non-symmetric hash), one port per direction", async () => {
    // Prepare
    const want = frames(MIXED_VLAN);

    // Act
    const { got } = await replayInto(MIXED_VLAN, want.length);

    // Assess
    const portsOf = new Map<string, Set<number>>();
    for (const g of got) {
      const flow = innerFlow(g.data.subarray(8));
      if (flow === undefined) continue;
      const seen = portsOf.get(flow.key) ?? new Set<number>();
      seen.add(g.port);
      portsOf.set(flow.key, seen);
    }
    for (const seen of portsOf.values()) expect(seen.size).toBe(1);
    const asymmetric = [...portsOf].filter(([key]) => {
      const [a, b] = key.split(">");
      const reverse = portsOf.get(`${b.split("/")[0]}>${a}/${b.split("/")[1]}`);
      return reverse !== undefined && [...reverse][0] !== [...portsOf.get(key)!][0];
    });
    expect(asymmetric.length).toBeGreaterThan(0);
  });

  it("with symmetric ports, both directions of each flow share one source port", async () => {
    // Act
    const { got } = await replayInto(MIXED_VLAN, 47, { symmetricPorts: true });

    // Assess
    const portOf = new Map<string, number>();
    for (const g of got) {
      const flow = innerFlow(g.data.subarray(8));
      if (flow === undefined) continue;
      const canonical = [flow.key, flow.reverse].sort()[0];
      expect(portOf.get(canonical) ?? g.port).toBe(g.port);
      portOf.set(canonical, g.port);
    }
  });

  it("--vni-from-vlan: the VLAN ID becomes the VNI and the tag is removed; untagged frames get the default", async () => {
    // Prepare
    const want = frames(MIXED_VLAN).map(({ data }) => {
      if (data.readUInt16BE(12) !== 0x8100) return { vni: 1, inner: data };
      return {
        vni: data.readUInt16BE(14) & 0x0fff,
        inner: Buffer.concat([data.subarray(0, 12), data.subarray(16)]),
      };
    });

    // Act
    const { got, result } = await replayInto(MIXED_VLAN, want.length, { vniFromVlan: true });

    // Assess
    const key = (vni: number, inner: Buffer) => `${vni}/${hex(inner)}`;
    expect(got.map((g) => key(vniOf(g.data), g.data.subarray(8))).sort()).toEqual(
      want.map((w) => key(w.vni, w.inner)).sort(),
    );
    expect(result.vnis).toEqual(
      new Map([
        [1, 33],
        [4093, 14],
      ]),
    );
    expect(result.untagged).toBe(33);
  });

  it("puts a synthetic Ethernet header (IPv4 EtherType) before raw IP frames, VNI as asked", async () => {
    // Prepare
    const want = frames(RAW_IP);
    const ethernet = Buffer.from("020000000002020000000001", "hex");

    // Act
    const { got } = await replayInto(RAW_IP, want.length, { vni: 16777000 });

    // Assess
    expect(new Set(got.map((g) => hex(g.data.subarray(0, 8))))).toEqual(new Set(["08000000ffff2800"]));
    const withHeader = (ip: Buffer) =>
      Buffer.concat([
        ethernet,
        Buffer.from([ip[0] >> 4 === 6 ? 0x86 : 0x08, ip[0] >> 4 === 6 ? 0xdd : 0x00]),
        ip,
      ]);
    expect(sorted(got.map((g) => g.data.subarray(8)))).toEqual(sorted(want.map((f) => withHeader(f.data))));
  });

  it.each([
    ["Linux cooked v2", SLL2, 20, (f: Buffer) => f.readUInt16BE(0)],
    ["BSD loopback", BSD_NULL, 4, () => 0x86dd],
  ])(
    "replaces the %s header with Ethernet carrying its EtherType",
    async (_name, capture, strip, etherType) => {
      // Prepare
      const want = frames(capture).map(({ data }) => {
        const eth = Buffer.from("0200000000020200000000010000", "hex");
        eth.writeUInt16BE(etherType(data), 12);
        return Buffer.concat([eth, data.subarray(strip)]);
      });

      // Act
      const { got, result } = await replayInto(capture, want.length);

      // Assess
      expect(result.skipped).toEqual({});
      expect(sorted(got.map((g) => g.data.subarray(8)))).toEqual(sorted(want));
    },
  );

  it("--pps paces the frames; --loop sends the capture again", async () => {
    // Act
    const { got, result } = await replayInto(RAW_IP, 200, {
      pace: { kind: "pps", pps: 1000 },
      loops: 2,
      sourcePorts: 2,
    });

    // Assess
    expect(got).toHaveLength(200);
    expect(result).toMatchObject({ frames: 200, loops: 2 });
    expect(result.seconds).toBeGreaterThan(0.18);
    expect(result.seconds).toBeLessThan(1.5);
  });

  it("keeps the capture's timing, scaled by --speed", async () => {
    // Prepare: http__get.pcap spans its first to last frame in this many seconds.
    const capture = join(CORPUS_DIR, "zeek/http__get.pcap");
    const reader = CaptureReader.open(capture);
    const frame = new Frame();
    const ts: number[] = [];
    while (reader.next(frame)) ts.push(frame.ts);
    reader.close();
    const span = ts[ts.length - 1] - ts[0];
    const speed = span / 0.25;

    // Act
    const { result } = await replayInto(capture, ts.length, { pace: { kind: "original", speed } });

    // Assess
    expect(result.seconds).toBeGreaterThan(0.24);
    expect(result.seconds).toBeLessThan(1);
  });
});

describe("spanless replay command line", () => {
  const out = () => vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const err = () => vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("parses the options, with AWS's defaults", () => {
    expect(parseReplayArgs(["c.pcap", "--to", "[::1]:4789"])).toEqual({
      capture: "c.pcap",
      host: "::1",
      port: 4789,
      vni: 1,
      vniFromVlan: false,
      pace: { kind: "original", speed: 1 },
      sourcePorts: 8,
      symmetricPorts: false,
      loops: 1,
      quiet: false,
    });
    expect(
      parseReplayArgs([
        "c.pcap",
        "--to",
        "10.0.0.1:4789",
        "--speed",
        "2.5",
        "--vni",
        "7",
        "--source-ports",
        "3",
        "--max-gap",
        "0.5",
      ]),
    ).toMatchObject({
      host: "10.0.0.1",
      pace: { kind: "original", speed: 2.5 },
      vni: 7,
      sourcePorts: 3,
      maxGap: 0.5,
    });
  });

  it.each([
    [["c.pcap"], "--to <host:port> is required"],
    [["--to", "127.0.0.1:4789"], "a capture file is required"],
    [["c.pcap", "--to", "127.0.0.1"], "is not host:port"],
    [["c.pcap", "--to", "127.0.0.1:1", "--vni", "5", "--vni-from-vlan"], "exclude each other"],
    [["c.pcap", "--to", "127.0.0.1:1", "--top", "--pps", "5"], "choose one of"],
    [["c.pcap", "--to", "127.0.0.1:1", "--vni", "16777216"], "--vni"],
    [["c.pcap", "--to", "127.0.0.1:1", "--bogus"], "bogus"],
    [["c.pcap", "--to", "127.0.0.1:1", "--max-gap", "-1"], "--max-gap"],
  ])("exits 64 on a usage error: %j", async (argv, message) => {
    // Prepare
    const stderr = err();

    // Act
    const code = await runReplay(argv);

    // Assess
    expect(code).toBe(64);
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain(message);
  });

  it("exits 74 when the capture cannot be read and 65 when it is not a capture", async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-replay-"));
    writeFileSync(join(dir, "not.pcap"), "this is not a capture file at all, not even close");
    const stderr = err();

    // Act
    const missing = await runReplay([join(dir, "missing.pcap"), "--to", "127.0.0.1:9"]);
    const garbage = await runReplay([join(dir, "not.pcap"), "--to", "127.0.0.1:9"]);

    // Assess
    expect([missing, garbage]).toEqual([74, 65]);
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain("missing.pcap");
  });

  it("prints what it sent and exits 0", async () => {
    // Prepare
    requireAddon();
    const receiver = await openUdpReceiver({ host: "127.0.0.1", port: 0, receiveBufferBytes: 1 << 20 });
    receivers.push(receiver);
    const arriving = collect(receiver, 100);
    const stdout = out();

    // Act
    const code = await runReplay([
      RAW_IP,
      "--to",
      `127.0.0.1:${receiver.address.port}`,
      "--top",
      "--source-ports",
      "4",
    ]);
    await arriving;

    // Assess
    expect(code).toBe(0);
    const text = stdout.mock.calls.map((c) => String(c[0])).join("");
    expect(text).toMatch(
      new RegExp(
        `^sent 100 frames, \\d+ bytes \\(VXLAN payloads\\) to 127\\.0\\.0\\.1:${receiver.address.port} in `,
      ),
    );
    expect(text).toContain("VNIs: 1 (100)");
    expect(text).toContain("skipped: none");
    expect(text.match(/source ports: (.*)/)?.[1].split(", ")).toHaveLength(4);
  });
});
