import { describe, expect, it } from "vitest";
import { z } from "zod";
import { commaList, envFlag, parseEnv } from "../../../functions/shared/env.js";
import { ConfigError } from "../../../functions/shared/errors.js";

class TestConfigError extends ConfigError {}

const schema = z.object({
  NAME: z.string({ message: "is required" }),
  FLAG: envFlag(true),
  LIST: commaList,
});

const parse = (env: Record<string, string | undefined>) =>
  parseEnv(schema, env, { what: "test environment", error: TestConfigError });

describe("envFlag: the one boolean vocabulary", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    [" yes ", true],
    ["1", true],
    ["false", false],
    ["No", false],
    ["0", false],
  ])("reads %j as %s", (raw, value) => {
    // Prepare / Act
    const config = parse({ NAME: "n", FLAG: raw });
    // Assess
    expect(config.FLAG).toBe(value);
  });

  it("falls back to the default when unset or blank", () => {
    // Prepare / Act / Assess
    expect(parse({ NAME: "n" }).FLAG).toBe(true);
    expect(parse({ NAME: "n", FLAG: "  " }).FLAG).toBe(true);
  });

  it.each(["on", "off", "y", "maybe", "2"])("refuses %j, naming the variable and the vocabulary", (raw) => {
    // Prepare / Act
    const act = () => parse({ NAME: "n", FLAG: raw });
    // Assess
    expect(act).toThrow(TestConfigError);
    expect(act).toThrow(`FLAG: must be one of true/false, 1/0, yes/no (any case), not "${raw}"`);
  });
});

describe("parseEnv", () => {
  it("reads only the schema's variables and treats blank values as unset", () => {
    // Prepare / Act
    const config = parse({ NAME: "n", LIST: " a, ,b ", UNRELATED: "x" });
    // Assess
    expect(config).toEqual({ NAME: "n", FLAG: true, LIST: ["a", "b"] });
  });

  it("lists every problem in one error of the function's class", () => {
    // Prepare
    let error: unknown;
    // Act
    try {
      parse({ NAME: " ", FLAG: "maybe" });
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(TestConfigError);
    expect((error as TestConfigError).name).toBe("TestConfigError");
    expect((error as TestConfigError).problems).toEqual([
      "NAME: is required",
      'FLAG: must be one of true/false, 1/0, yes/no (any case), not "maybe"',
    ]);
    expect((error as Error).message).toMatch(/^invalid test environment: NAME: is required; FLAG: /);
  });
});
