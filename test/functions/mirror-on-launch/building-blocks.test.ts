import { describe, expect, it } from "vitest";
import { clientToken } from "../../../functions/mirror-on-launch/client-token.js";
import { mapWithConcurrency } from "../../../functions/mirror-on-launch/concurrency.js";
import { classifyError } from "../../../functions/mirror-on-launch/errors.js";
import { allocateSessionNumber } from "../../../functions/mirror-on-launch/session-numbers.js";
import { instanceTypeSupport } from "../../../functions/mirror-on-launch/unsupported-instance-types.js";
import { findVniCollisions, fnv1a32, vniForVpc } from "../../../functions/mirror-on-launch/vni.js";

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: "client" });
}

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

describe("ClientToken", () => {
  const base = { eniId: "eni-1", targetId: "tmt-1", filterId: "tmf-1", sessionNumber: 1, vni: 5 };
  it("is 64 hex characters and changes with every part", () => {
    const t = clientToken(base);
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(clientToken({ ...base })).toBe(t);
    for (const change of [
      { eniId: "eni-2" },
      { targetId: "tmt-2" },
      { filterId: "tmf-2" },
      { sessionNumber: 2 },
      { vni: 6 },
      { packetLength: 100 },
      { launchTime: "2026-11-20T10:00:00.000Z" },
    ]) {
      expect(clientToken({ ...base, ...change })).not.toBe(t);
    }
  });
});

describe("session numbers", () => {
  it("takes the preferred number, else the next free above, else below", () => {
    expect(allocateSessionNumber([], 1)).toBe(1);
    expect(allocateSessionNumber([1, 2], 1)).toBe(3);
    expect(allocateSessionNumber([5], 5)).toBe(6);
    expect(allocateSessionNumber([32766], 32766)).toBe(32765);
  });
});

describe("unsupported instance types", () => {
  it.each([
    ["m6i.large", false],
    ["c7g.xlarge", false],
    ["M7I-FLEX.large", false],
    ["t2.micro", false],
    ["c5.metal", false],
    ["m5.large", true],
    ["c4.large", true],
    ["t3.micro", true],
    ["m5zn.large", true],
  ])("%s supported=%s", (type, supported) => {
    expect(instanceTypeSupport(type).supported).toBe(supported);
  });
});

describe("classifyError", () => {
  it.each([
    ["TrafficMirrorSessionsPerInterfaceLimitExceeded", "limit", "eni-limit"],
    ["TrafficMirrorSessionLimitExceeded", "limit", "quota"],
    ["RequestLimitExceeded", "Request limit exceeded.", "throttled"],
    ["InvalidTrafficMirrorFilterId.NotFound", "The filter ID 'tmf-1' does not exist", "config"],
    ["InvalidTrafficMirrorTargetId.NotFound", "The target ID 'tmt-1' does not exist", "config"],
    ["InvalidNetworkInterfaceID.NotFound", "The networkInterface ID 'eni-1' does not exist", "gone"],
    ["IdempotentParameterMismatch", "token reused", "conflict"],
    ["UnauthorizedOperation", "You are not authorized", "denied"],
    [
      "InvalidParameterValue",
      "The instance type m6i.large is not supported as a traffic mirror source",
      "unsupported-source",
    ],
    ["InvalidParameterValue", "Invalid value for SessionNumber", "unknown"],
  ])("%s (%s) -> %s", (name, message, expected) => {
    const c = classifyError(awsError(name, message));
    expect(c).toEqual({ code: name, message, failureClass: expected });
  });

  it("copes with things that are not errors", () => {
    expect(classifyError("boom")).toEqual({ code: "Unknown", message: "boom", failureClass: "unknown" });
    expect(classifyError(undefined).failureClass).toBe("unknown");
  });
});

describe("mapWithConcurrency", () => {
  it("keeps order and never exceeds the limit", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
  });
});
