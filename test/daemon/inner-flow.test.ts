import { describe, expect, it } from "vitest";
import { engineFor, InnerFlow, locateInnerIp } from "../../sensor-ami/src/daemon/inner-flow.js";

/** A VXLAN datagram (I flag, VNI) around an Ethernet frame with optional VLAN tags. */
function vxlan(vni: number, etherType: number, ip: number[], vlans: number[] = []): Uint8Array {
  const head = [0x08, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0];
  const eth = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
  for (const v of vlans) eth.push(0x81, 0x00, (v >> 8) & 0x0f, v & 0xff);
  eth.push(etherType >> 8, etherType & 0xff);
  return Uint8Array.from([...head, ...eth, ...ip]);
}

function ipv4(src: number[], dst: number[], frag = 0): number[] {
  return [
    0x45,
    0,
    0,
    40,
    0,
    1,
    frag >> 8,
    frag & 0xff,
    64,
    6,
    0,
    0,
    ...src,
    ...dst,
    0x04,
    0xd2,
    0x00,
    0x50,
    ...new Array(16).fill(0),
  ];
}

function ipv6(src: number[], dst: number[]): number[] {
  return [0x60, 0, 0, 0, 0, 8, 17, 64, ...src, ...dst, 0, 53, 0x30, 0x39, 0, 8, 0, 0];
}

describe("locateInnerIp", () => {
  it("gives both directions of an IPv4 flow one hash, whatever else differs", () => {
    // Prepare
    const a = [10, 0, 0, 1];
    const b = [192, 168, 7, 9];
    const there = vxlan(100, 0x0800, ipv4(a, b));
    const back = vxlan(200, 0x0800, ipv4(b, a), [42]);
    const f1 = new InnerFlow();
    const f2 = new InnerFlow();

    // Act
    locateInnerIp(there, 0, there.length, f1);
    locateInnerIp(back, 0, back.length, f2);

    // Assess
    expect(f1.vxlan && f2.vxlan).toBe(true);
    expect(f1.vni).toBe(100);
    expect(f2.vni).toBe(200);
    expect(f1.ipOffset).toBe(8 + 14);
    expect(f2.ipOffset).toBe(8 + 18);
    expect(f1.hash).toBe(f2.hash);
    expect(f1.hash).not.toBe(0);
  });

  it("hashes a non-first fragment (no ports) like the rest of its flow", () => {
    const a = [10, 1, 2, 3];
    const b = [10, 3, 2, 1];
    const first = vxlan(1, 0x0800, ipv4(a, b, 0x2000));
    const later = vxlan(1, 0x0800, ipv4(b, a, 0x00b9));
    const f1 = new InnerFlow();
    const f2 = new InnerFlow();
    locateInnerIp(first, 0, first.length, f1);
    locateInnerIp(later, 0, later.length, f2);
    expect(f1.hash).toBe(f2.hash);
  });

  it("is symmetric for IPv6 and differs between address pairs", () => {
    const a = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i));
    const b = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : 100 + i));
    const c = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : 50 + i));
    const flows = [
      vxlan(1, 0x86dd, ipv6(a, b)),
      vxlan(1, 0x86dd, ipv6(b, a)),
      vxlan(1, 0x86dd, ipv6(a, c)),
    ].map((d) => {
      const f = new InnerFlow();
      locateInnerIp(d, 0, d.length, f);
      return f;
    });
    expect(flows[0].ipOffset).toBe(22);
    expect(flows[0].hash).toBe(flows[1].hash);
    expect(flows[0].hash).not.toBe(flows[2].hash);
  });

  it("flags what is not VXLAN and leaves non-IP and truncated frames without an IP offset", () => {
    const f = new InnerFlow();
    const notVxlan = Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3]);
    locateInnerIp(notVxlan, 0, notVxlan.length, f);
    expect(f.vxlan).toBe(false);
    const arp = vxlan(5, 0x0806, new Array(28).fill(0));
    locateInnerIp(arp, 0, arp.length, f);
    expect([f.vxlan, f.ipOffset, f.hash]).toEqual([true, 0, 0]);
    const cut = vxlan(5, 0x0800, ipv4([1, 2, 3, 4], [5, 6, 7, 8])).subarray(0, 30);
    locateInnerIp(cut, 0, cut.length, f);
    expect(f.ipOffset).toBe(0);
  });
});

describe("engineFor", () => {
  it("spreads hashes over every engine and keeps non-IP on engine 0", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(engineFor(Math.imul(i + 1, 0x9e3779b1) >>> 0, 4));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    expect(engineFor(0, 4)).toBe(0);
    expect(engineFor(0xffffffff, 3)).toBe(2);
  });
});
