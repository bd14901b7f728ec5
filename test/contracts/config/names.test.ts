import { describe, expect, it } from "vitest";
import {
  checkPrefix,
  keyForParameterName,
  ParameterNamingError,
  sensorConfigPrefixForStage,
  sensorParameterNames,
} from "../../../contracts/config/index.js";

describe("parameter naming convention", () => {
  it("derives /spanless/<stage>/<key> names for a stage", () => {
    // Prepare
    const prefix = sensorConfigPrefixForStage("prod");
    // Act
    const names = sensorParameterNames(prefix);
    // Assess
    expect(names).toEqual({
      "collector-url": "/spanless/prod/collector-url",
      "push-token": "/spanless/prod/push-token",
      proxy: "/spanless/prod/proxy",
      "os-sensor-hmac": "/spanless/prod/os-sensor-hmac",
    });
  });

  it.each(["Prod", "-dev", "dev-", "a_b", "", "x".repeat(33)])(
    "rejects the stage name %j with a fix hint",
    (stage) => {
      // Prepare / Act
      const act = () => sensorConfigPrefixForStage(stage);
      // Assess
      expect(act).toThrow(ParameterNamingError);
      expect(act).toThrow(/lowercase letters, digits or hyphens/);
    },
  );

  it.each([
    ["spanless/prod", 'must start with "/"'],
    ["/spanless/prod/", 'must not end with "/"'],
    ["/spanless//prod", 'must not contain "//"'],
    ["/spanless/pr od", "may only contain"],
    ["/aws/spanless", "reserved by AWS"],
    [`/${Array.from({ length: 15 }, (_, i) => `l${i}`).join("/")}`, "levels deep"],
  ])("rejects the custom prefix %j (%s)", (prefix, hint) => {
    // Prepare / Act
    const act = () => checkPrefix(prefix);
    // Assess
    expect(act).toThrow(hint);
  });

  it("maps parameter names from events back to keys, with or without the leading slash", () => {
    // Prepare
    const names = sensorParameterNames("/spanless/prod");
    // Act
    const withSlash = keyForParameterName(names, "/spanless/prod/push-token");
    const withoutSlash = keyForParameterName(names, "spanless/prod/proxy");
    const foreign = keyForParameterName(names, "/spanless/dev/proxy");
    // Assess
    expect([withSlash, withoutSlash, foreign]).toEqual(["push-token", "proxy", undefined]);
  });
});
