import { describe, expect, it } from "vitest";
import { findVniCollisions, fnv1a32, vniForVpc } from "../../../../functions/mirror-on-launch/decide/vni.js";

describe("VNI per VPC", () => {
  it("implements FNV-1a 32 (published test vectors)", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  it("is stable, in 1..16777214, and pinned values win", () => {
    const vni = vniForVpc("vpc-0a1b2c3d4e5f60718");
    expect(vni).toBe((fnv1a32("vpc-0a1b2c3d4e5f60718") % 16_777_214) + 1);
    expect(vni).toBeGreaterThanOrEqual(1);
    expect(vni).toBeLessThanOrEqual(16_777_214);
    expect(vniForVpc("vpc-0a1b2c3d4e5f60718", { "vpc-0a1b2c3d4e5f60718": 7 })).toBe(7);
  });

  it("reports collisions only between distinct VPCs", () => {
    expect(findVniCollisions(["vpc-1", "vpc-1", "vpc-2"])).toEqual([]);
    expect(findVniCollisions(["vpc-1", "vpc-2"], { "vpc-1": 9, "vpc-2": 9 })).toEqual([
      { vni: 9, vpcIds: ["vpc-1", "vpc-2"] },
    ]);
  });
});
