import { describe, expect, it } from "vitest";
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_RAW,
} from "../../../sensor-ami/src/capture/link-types.js";
import { innerFlowHash } from "../../../sensor-ami/src/daemon/replay/flow-hash.js";
import { Schedule } from "../../../sensor-ami/src/daemon/replay/pace.js";
import { wrapFrame } from "../../../sensor-ami/src/daemon/replay/wrap.js";
import { Frame } from "../../../sensor-ami/src/engine/frame.js";

function frameOf(hex: string, linkType: number, origlen?: number): Frame {
  const f = new Frame();
  f.data = Buffer.from(`ffff${hex}`, "hex");
  f.offset = 2;
  f.caplen = f.data.length - 2;
  f.origlen = origlen ?? f.caplen;
  f.linkType = linkType;
  return f;
}

// Ethernet / IPv4 / TCP 10.0.0.1:1234 -> 10.0.0.2:80
const ETH_TCP =
  "00000000000200000000000108004500002800000000400600000a0000010a000002" +
  "04d200500000000000000000500200000000000000";
const ETH_TCP_REVERSE =
  "00000000000100000000000208004500002800000000400600000a0000020a000001" +
  "005004d20000000000000000500200000000000000";

describe("wrapFrame", () => {
  const out = Buffer.alloc(2000);

  it("writes AWS's VXLAN header (flags 0x08, 24-bit VNI) and the Ethernet frame unchanged", () => {
    // Act
    const r = wrapFrame(frameOf(ETH_TCP, LINKTYPE_ETHERNET), out, 10, { vni: 0xabcdef, vniFromVlan: false });

    // Assess
    expect(r).toEqual({ ok: true, length: 8 + ETH_TCP.length / 2, vni: 0xabcdef, untagged: false });
    expect(out.subarray(10, 18).toString("hex")).toBe("08000000abcdef00");
    expect(out.subarray(18, 18 + ETH_TCP.length / 2).toString("hex")).toBe(ETH_TCP);
  });

  it("moves an 802.1Q VLAN ID into the VNI and removes the tag", () => {
    // Prepare: the same frame tagged VLAN 300 (priority 5).
    const tagged = `${ETH_TCP.slice(0, 24)}8100a12c${ETH_TCP.slice(24)}`;

    // Act
    const r = wrapFrame(frameOf(tagged, LINKTYPE_ETHERNET), out, 0, { vni: 1, vniFromVlan: true });

    // Assess
    expect(r).toMatchObject({ ok: true, vni: 300, untagged: false });
    expect(out.subarray(0, 8).toString("hex")).toBe("080000000001" + "2c00");
    expect(out.subarray(8, 8 + ETH_TCP.length / 2).toString("hex")).toBe(ETH_TCP);
  });

  it("gives Linux cooked frames an Ethernet header with their protocol as EtherType", () => {
    // Prepare: SLL header (16 bytes, protocol 0x86dd at 14) then 4 bytes of "IPv6".
    const sll = frameOf("0000000100060000000000000000" + "86dd" + "60000000", LINKTYPE_LINUX_SLL);

    // Act
    const r = wrapFrame(sll, out, 0, { vni: 1, vniFromVlan: false });

    // Assess
    expect(r).toMatchObject({ ok: true, length: 8 + 14 + 4 });
    expect(out.subarray(8, 8 + 18).toString("hex")).toBe("020000000002020000000001" + "86dd" + "60000000");
  });

  it("says why a frame cannot be sent", () => {
    const opts = { vni: 1, vniFromVlan: false };
    expect(wrapFrame(frameOf("0102", LINKTYPE_ETHERNET), out, 0, opts)).toEqual({
      ok: false,
      reason: "too short",
    });
    expect(wrapFrame(frameOf("0102", 147), out, 0, opts)).toEqual({
      ok: false,
      reason: "unsupported link type",
    });
    expect(wrapFrame(frameOf("1234", LINKTYPE_RAW), out, 0, opts)).toEqual({
      ok: false,
      reason: "not IP (no EtherType known)",
    });
    const huge = new Frame();
    huge.data = Buffer.alloc(70000, 0x60);
    huge.caplen = 70000;
    huge.linkType = LINKTYPE_IPV6;
    expect(wrapFrame(huge, Buffer.alloc(70100), 0, opts)).toEqual({ ok: false, reason: "too large for UDP" });
  });
});

describe("innerFlowHash", () => {
  const hash = (hex: string, symmetric = false) => {
    const b = Buffer.from(hex, "hex");
    return innerFlowHash(b, 0, b.length, symmetric);
  };

  it("differs between the two directions of a connection unless asked to be symmetric", () => {
    expect(hash(ETH_TCP)).not.toBe(hash(ETH_TCP_REVERSE));
    expect(hash(ETH_TCP, true)).toBe(hash(ETH_TCP_REVERSE, true));
  });

  it("depends on the 5-tuple only, not on MACs, lengths or payload", () => {
    const other = `aaaaaaaaaaaabbbbbbbbbbbb${ETH_TCP.slice(24, 44)}ff${ETH_TCP.slice(46)}00ff`;
    expect(hash(other)).toBe(hash(ETH_TCP));
  });
});

describe("Schedule", () => {
  it("spaces frames by capture time over speed, continues across loops, never runs backwards", () => {
    const s = new Schedule({ kind: "original", speed: 2 });
    expect([s.due(100), s.due(101), s.due(100.5), s.due(103)]).toEqual([0, 0.5, 0.5, 1.5]);
    s.nextLoop();
    expect([s.due(100), s.due(102)]).toEqual([1.5, 2.5]);
  });

  it("caps each pause at maxGap seconds of capture time", () => {
    const s = new Schedule({ kind: "original", speed: 1 }, 10);
    expect([s.due(0), s.due(1000), s.due(1001), s.due(1e9)]).toEqual([0, 10, 11, 21]);
  });

  it("spaces frames evenly at a fixed rate; top speed is always due", () => {
    const pps = new Schedule({ kind: "pps", pps: 4 });
    expect([pps.due(5), pps.due(1), pps.due(9)]).toEqual([0, 0.25, 0.5]);
    expect(new Schedule({ kind: "top" }).due(7)).toBe(0);
  });
});
