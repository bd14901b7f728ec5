// config.mirror reaches the mirror-on-launch function as the environment its README documents, and that
// environment is one its own parser accepts.
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../functions/mirror-on-launch/config.js";
import { parseStackConfig } from "../../stack/config/load.js";
import { stackNames } from "../../stack/names.js";
import { baseConfig } from "./support/inventory.js";

describe("mirror policy environment", () => {
  it("passes scope and tags through, drops empty lists and owns sessions per stage", async () => {
    // Prepare
    const { mirrorPolicyEnv } = await import("../../stack/mirror-policy.js");
    const config = parseStackConfig(
      baseConfig({
        mirror: {
          includeVpcIds: ["vpc-0a1b2c3d4e5f60718"],
          selectTags: ["env=prod|staging", "team"],
          selectTagsMode: "any",
          optOutTag: "spanless:mirror=off",
          eniScope: "primary",
          packetLength: 512,
          removeOnStop: false,
        },
      }),
      "prod",
    );
    const fleet = {
      mirrorTarget: { id: "tmt-0123456789abcdef0" },
      mirrorFilter: { id: "tmf-0123456789abcdef0" },
    } as unknown as Parameters<typeof mirrorPolicyEnv>[2];

    // Act
    const env = mirrorPolicyEnv(config, stackNames("prod"), fleet) as Record<string, string>;
    const policy = parsePolicy(env);

    // Assess
    expect(env).toEqual({
      MIRROR_TARGET_ID: "tmt-0123456789abcdef0",
      MIRROR_FILTER_ID: "tmf-0123456789abcdef0",
      INCLUDE_VPC_IDS: "vpc-0a1b2c3d4e5f60718",
      SELECT_TAGS: "env=prod|staging,team",
      SELECT_TAGS_MODE: "any",
      OPT_OUT_TAG: "spanless:mirror=off",
      ENI_SCOPE: "primary",
      PACKET_LENGTH: "512",
      SENSOR_ASG_NAMES: "spanless-prod-sensors",
      OWNER_TAG_VALUE: "spanless-prod",
      REMOVE_ON_STOP: "false",
    });
    expect(policy.includeVpcIds).toEqual(["vpc-0a1b2c3d4e5f60718"]);
    expect(policy.selectTags).toEqual([
      { key: "env", values: ["prod", "staging"] },
      { key: "team", values: [] },
    ]);
    expect(policy.sensorAsgNames).toEqual(["spanless-prod-sensors"]);
    expect(policy.removeOnStop).toBe(false);
  });
});
