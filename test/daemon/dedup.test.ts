import { describe, expect, it } from "vitest";
import { DuplicateFilter } from "../../sensor-ami/src/daemon/dedup.js";

function tcpPacket(ttl: number, checksum: number, seq: number, id = 7): Uint8Array {
  const p = new Uint8Array(60);
  p.set([
    0x45,
    0,
    0,
    60,
    (id >> 8) & 0xff,
    id & 0xff,
    0x40,
    0,
    ttl,
    6,
    checksum >> 8,
    checksum & 0xff,
    10,
    0,
    0,
    1,
    10,
    0,
    0,
    2,
  ]);
  p.set(
    [
      0x04,
      0xd2,
      0x01,
      0xbb,
      (seq >>> 24) & 0xff,
      (seq >>> 16) & 0xff,
      (seq >>> 8) & 0xff,
      seq & 0xff,
      0,
      0,
      0,
      0,
      0x50,
      0x18,
    ],
    20,
  );
  p.set([1, 2, 3, 4], 40);
  return p;
}

describe("DuplicateFilter", () => {
  it("suppresses another origin's copy within the window, even with another TTL and checksum", () => {
    // Prepare
    const f = new DuplicateFilter(0.05);
    const sent = tcpPacket(64, 0x1234, 1000);
    const received = tcpPacket(63, 0x1334, 1000);

    // Act
    const first = f.isDuplicate(sent, 0, sent.length, 1, 100.0);
    const copy = f.isDuplicate(received, 0, received.length, 2, 100.0004);

    // Assess
    expect([first, copy]).toEqual([false, true]);
    expect(f.duplicates).toBe(1);
  });

  it("never suppresses a packet seen again from the same origin (a retransmission)", () => {
    const f = new DuplicateFilter(0.05);
    const p = tcpPacket(64, 1, 5000);
    expect(f.isDuplicate(p, 0, p.length, 1, 1.0)).toBe(false);
    expect(f.isDuplicate(p, 0, p.length, 1, 1.001)).toBe(false);
    // Its copy from the other end is still suppressed.
    expect(f.isDuplicate(p, 0, p.length, 2, 1.0012)).toBe(true);
  });

  it("keeps another origin's identical packet that arrives after the window", () => {
    const f = new DuplicateFilter(0.05);
    const p = tcpPacket(64, 1, 5000);
    f.isDuplicate(p, 0, p.length, 1, 1.0);
    expect(f.isDuplicate(p, 0, p.length, 2, 1.2)).toBe(false);
  });

  it("tells packets apart by IP ID, sequence number and payload", () => {
    const f = new DuplicateFilter(0.05);
    const a = tcpPacket(64, 1, 5000);
    const b = tcpPacket(64, 1, 5001);
    const c = tcpPacket(64, 1, 5000, 8);
    const d = tcpPacket(64, 1, 5000);
    d[41] = 9;
    f.isDuplicate(a, 0, a.length, 1, 1);
    expect(f.isDuplicate(b, 0, b.length, 2, 1)).toBe(false);
    expect(f.isDuplicate(c, 0, c.length, 2, 1)).toBe(false);
    expect(f.isDuplicate(d, 0, d.length, 2, 1)).toBe(false);
  });

  it("is off with a zero window", () => {
    const off = new DuplicateFilter(0);
    const p = tcpPacket(64, 1, 1);
    off.isDuplicate(p, 0, p.length, 1, 1);
    expect(off.isDuplicate(p, 0, p.length, 2, 1)).toBe(false);
  });

  it("compares a frame that is not IP (ARP) by its bytes", () => {
    const f = new DuplicateFilter(0.05);
    const arp = new Uint8Array(42).fill(0x11);
    const other = new Uint8Array(42).fill(0x12);
    expect(f.isDuplicate(arp, 0, arp.length, 1, 1)).toBe(false);
    expect(f.isDuplicate(other, 0, other.length, 2, 1)).toBe(false);
    expect(f.isDuplicate(arp, 0, arp.length, 2, 1.01)).toBe(true);
  });
});
