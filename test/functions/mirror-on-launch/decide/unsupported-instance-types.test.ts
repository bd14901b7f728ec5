import { describe, expect, it } from "vitest";
import { instanceTypeSupport } from "../../../../functions/mirror-on-launch/decide/unsupported-instance-types.js";

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
