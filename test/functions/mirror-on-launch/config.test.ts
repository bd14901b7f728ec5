import { describe, expect, it } from "vitest";
import { parsePolicy, parseRuntimeConfig } from "../../../functions/mirror-on-launch/config.js";
import { PolicyConfigError } from "../../../functions/mirror-on-launch/errors.js";

const MINIMAL = { MIRROR_TARGET_ID: "tmt-0c0ffee0c0ffee001", MIRROR_FILTER_ID: "tmf-0f11e7e70f11e7e71" };

function problemsOf(env: Record<string, string>): string[] {
  try {
    parsePolicy(env);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyConfigError);
    return (error as PolicyConfigError).problems;
  }
  throw new Error("expected a PolicyConfigError");
}

describe("parsePolicy", () => {
  it("fills documented defaults from a minimal environment", () => {
    const p = parsePolicy({ ...MINIMAL, UNRELATED: "x" });
    expect(p).toMatchObject({
      target: { mode: "single", targetId: MINIMAL.MIRROR_TARGET_ID },
      filterId: MINIMAL.MIRROR_FILTER_ID,
      eniScope: "all",
      selectTags: [],
      selectMode: "all",
      optOutTag: { key: "spanless:mirror", values: ["off"] },
      sensorTag: { key: "spanless:role", values: ["sensor"] },
      ownerTagValue: "spanless",
      preferredSessionNumber: 1,
      removeOnStop: true,
      accountSessionQuota: 10_000,
    });
    expect(p.packetLength).toBeUndefined();
  });

  it("parses lists, tag selectors, per-AZ targets and overrides", () => {
    const p = parsePolicy({
      MIRROR_TARGETS_BY_AZ: '{"us-east-1a":"tmt-0aaaaaaaaaaaaaaa1","us-east-1b":"tmt-0bbbbbbbbbbbbbbb2"}',
      MIRROR_FILTER_ID: MINIMAL.MIRROR_FILTER_ID,
      INCLUDE_VPC_IDS: "vpc-0a1b2c3d4e5f60718, vpc-0f9e8d7c6b5a49382",
      EXCLUDE_SUBNET_IDS: "subnet-0aa11bb22cc33dd44",
      SELECT_TAGS: "env=prod|staging,mirror",
      SELECT_TAGS_MODE: "any",
      SENSOR_ASG_NAMES: "spanless-sensors",
      PACKET_LENGTH: "128",
      VNI_OVERRIDES: '{"vpc-0a1b2c3d4e5f60718": 4242}',
      ENI_SCOPE: "primary",
      REMOVE_ON_STOP: "false",
    });
    expect(p.target).toEqual({
      mode: "per-az",
      targetsByAz: { "us-east-1a": "tmt-0aaaaaaaaaaaaaaa1", "us-east-1b": "tmt-0bbbbbbbbbbbbbbb2" },
    });
    expect(p.includeVpcIds).toEqual(["vpc-0a1b2c3d4e5f60718", "vpc-0f9e8d7c6b5a49382"]);
    expect(p.excludeSubnetIds).toEqual(["subnet-0aa11bb22cc33dd44"]);
    expect(p.selectTags).toEqual([
      { key: "env", values: ["prod", "staging"] },
      { key: "mirror", values: [] },
    ]);
    expect(p.selectMode).toBe("any");
    expect(p.packetLength).toBe(128);
    expect(p.vniOverrides).toEqual({ "vpc-0a1b2c3d4e5f60718": 4242 });
    expect(p.eniScope).toBe("primary");
    expect(p.removeOnStop).toBe(false);
  });

  it("lists every problem of a bad environment in one error", () => {
    const problems = problemsOf({
      MIRROR_TARGET_ID: "tmt-0c0ffee0c0ffee001",
      MIRROR_TARGETS_BY_AZ: '{"us-east-1a":"tmt-0aaaaaaaaaaaaaaa1"}',
      PACKET_LENGTH: "9000",
      INCLUDE_VPC_IDS: "subnet-0aa11bb22cc33dd44",
      VNI_OVERRIDES: "{not json",
    });
    expect(problems.join("\n")).toMatch(/MIRROR_FILTER_ID: is required/);
    expect(problems.join("\n")).toMatch(/PACKET_LENGTH: .*8500/);
    expect(problems.join("\n")).toMatch(/INCLUDE_VPC_IDS.*must start with "vpc-"/);
    expect(problems.join("\n")).toMatch(/VNI_OVERRIDES: must be a JSON object/);
    expect(problems.join("\n")).toMatch(/exactly one of MIRROR_TARGET_ID or MIRROR_TARGETS_BY_AZ/);
  });

  it("requires a target", () => {
    expect(problemsOf({ MIRROR_FILTER_ID: MINIMAL.MIRROR_FILTER_ID })).toEqual([
      "MIRROR_TARGET_ID: set exactly one of MIRROR_TARGET_ID or MIRROR_TARGETS_BY_AZ",
    ]);
  });
});

describe("parseRuntimeConfig", () => {
  it("defaults and validates the runtime settings", () => {
    expect(parseRuntimeConfig({})).toEqual({
      vniMapBucket: undefined,
      vniMapKey: "spanless/vni-map.json",
      concurrency: 8,
      dryRun: false,
      selfRoleArn: undefined,
    });
    expect(() => parseRuntimeConfig({ MAX_CONCURRENCY: "500" })).toThrow(/MAX_CONCURRENCY/);
    expect(() => parseRuntimeConfig({ DRY_RUN: "maybe" })).toThrow(
      /DRY_RUN: must be one of true\/false, 1\/0, yes\/no \(any case\), not "maybe"/,
    );
  });

  it("takes SENSOR_NLB_ARN for the listener check, and names it when it is not a load balancer ARN", () => {
    const nlb =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/spanless-dev-sensors/0123456789abcdef";
    expect(parseRuntimeConfig({ SENSOR_NLB_ARN: nlb }).sensorNlbArn).toBe(nlb);
    expect(parseRuntimeConfig({ SENSOR_NLB_ARN: " " }).sensorNlbArn).toBeUndefined();
    expect(() =>
      parseRuntimeConfig({
        SENSOR_NLB_ARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/0123",
      }),
    ).toThrow(/SENSOR_NLB_ARN: must be a Network Load Balancer ARN/);
  });

  it("reads flags in the shared vocabulary", () => {
    expect(parseRuntimeConfig({ DRY_RUN: "Yes" }).dryRun).toBe(true);
    expect(parseRuntimeConfig({ DRY_RUN: "0" }).dryRun).toBe(false);
    expect(parsePolicy({ ...MINIMAL, REMOVE_ON_STOP: "NO" }).removeOnStop).toBe(false);
  });
});
