import { describe, expect, it } from "vitest";
import { parseVniMap } from "../../contracts/vni-map/index.js";
import { enrichRecord, VniMapIndex } from "../../sensor-ami/src/daemon/enrichment.js";
import { MAX_ORIGINS, OriginTable } from "../../sensor-ami/src/daemon/origins.js";

/** 10.20.1.15 as the socket writes it (network order) read as a little-endian word. */
const SOURCE = 0x0f01140a;

const MAP = parseVniMap({
  version: 1,
  generatedAt: "2026-11-24T01:00:00.000Z",
  owner: "spanless",
  vnis: {
    "8123456": {
      vpcId: "vpc-0a1b2c3d4e5f60718",
      sources: {
        "10.20.1.15": {
          eniId: "eni-0123456789abcdef0",
          instanceId: "i-0123456789abcdef0",
          subnetId: "subnet-0aa11bb22cc33dd44",
          availabilityZone: "us-east-1a",
          sessionId: "tms-0123456789abcdef0",
          sessionNumber: 1,
          tags: { Name: "web-1", env: "prod" },
        },
      },
    },
  },
});

describe("mirror origins and enrichment", () => {
  it("numbers each (VNI, outer source) once and prints the source as Zeek prints addresses", () => {
    const t = new OriginTable();
    const a = t.intern(8123456, 4, SOURCE, 0, 0, 0);
    const b = t.intern(8123456, 4, SOURCE, 0, 0, 0);
    const c = t.intern(7, 4, SOURCE, 0, 0, 0);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(t.get(a)).toEqual({ vni: 8123456, source: "10.20.1.15" });
    const v6 = t.intern(7, 6, 0x000080fe, 0, 0, 0x01000000);
    expect(t.get(v6)?.source).toBe("fe80::1");
  });

  it("adds VNI, mirror source and, from the VNI map, the instance", () => {
    // Prepare
    const t = new OriginTable();
    const origin = t.intern(8123456, 4, SOURCE, 0, 0, 0);
    const known: Record<string, unknown> = { ts: 1, uid: "C1", vni: 8123456 };
    const unknown: Record<string, unknown> = { ts: 1, uid: "C2" };
    const other = t.intern(99, 4, SOURCE, 0, 0, 0);

    // Act
    enrichRecord(known, origin, t, new VniMapIndex(MAP));
    enrichRecord(unknown, other, t, new VniMapIndex(MAP));

    // Assess
    expect(known).toEqual({
      ts: 1,
      uid: "C1",
      vni: 8123456,
      mirror_src: "10.20.1.15",
      vpc_id: "vpc-0a1b2c3d4e5f60718",
      instance_id: "i-0123456789abcdef0",
      eni_id: "eni-0123456789abcdef0",
      instance_name: "web-1",
      subnet_id: "subnet-0aa11bb22cc33dd44",
      availability_zone: "us-east-1a",
    });
    expect(Object.keys(known).slice(0, 3)).toEqual(["ts", "uid", "vni"]);
    expect(unknown).toEqual({ ts: 1, uid: "C2", vni: 99, mirror_src: "10.20.1.15" });
  });

  it("bounds the table: past MAX_ORIGINS every new source shares one overflow origin", () => {
    const t = new OriginTable();
    for (let i = 0; i < MAX_ORIGINS; i++) t.intern(1, 4, i + 1, 0, 0, 0);
    const over1 = t.intern(1, 4, 0xfffffff0, 0, 0, 0);
    const over2 = t.intern(2, 4, 0xfffffff1, 0, 0, 0);
    expect(over1).toBe(over2);
    expect(t.size).toBe(MAX_ORIGINS);
    expect(t.overflowed).toBe(2);
    expect(t.get(over1)?.source).toMatch(/more mirror sources/);
  });
});
