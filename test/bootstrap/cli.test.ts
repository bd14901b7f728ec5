// `spanless bootstrap` as the user data runs it: the built CLI's help and its usage errors (the boot
// itself is tested in-process in bootstrap.test.ts, where every host effect can be pointed at a fake).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { diagnoseBoot } from "../../functions/health/decide.js";
import { splitBootArgs } from "../../sensor-ami/src/cli/bootstrap.js";
import { CLI, NODE } from "../daemon/support/live.js";

const run = (...args: string[]) =>
  spawnSync(NODE, [CLI, "bootstrap", ...args], { encoding: "utf8", timeout: 30_000 });

describe("spanless bootstrap (CLI)", () => {
  it("prints its usage with the exit statuses", () => {
    // Act
    const help = run("--help");

    // Assess
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: spanless bootstrap --log-group <group>");
    expect(help.stdout).toContain("exit status: 0 the launch continued");
  });

  it("refuses a boot line without its required flags (64), naming them in a marker the health function reads", () => {
    // Act
    const missing = run("--log-group", "/spanless/prod/sensors", "--newer-setting", "x");

    // Assess
    expect(missing.status).toBe(64);
    expect(missing.stderr).toContain("the boot line has no --auto-scaling-group, --lifecycle-hook");
    const diagnosis = diagnoseBoot(missing.stdout.split("\n"));
    expect(diagnosis.cause).toBe("user-data-invalid");
    expect(diagnosis.failingStep).toBe("read-user-data");
    expect(missing.stdout).toMatch(/step=boot-settings status=skip reason="warning: .*--newer-setting/);
  });
});

describe("splitBootArgs", () => {
  it("keeps what this image knows and sets aside what a newer stack added, with their values", () => {
    // Act
    const split = splitBootArgs([
      "--log-group",
      "/spanless/prod/sensors",
      "--from-the-future",
      "s3://b/k",
      "--auto-scaling-group=spanless-prod-sensors",
      "--flag-alone",
      "--lifecycle-hook",
      "spanless-prod-launch",
      "--other=1",
    ]);

    // Assess
    expect(split.known).toEqual([
      "--log-group",
      "/spanless/prod/sensors",
      "--auto-scaling-group=spanless-prod-sensors",
      "--lifecycle-hook",
      "spanless-prod-launch",
    ]);
    expect(split.unknown).toEqual(["--from-the-future", "--flag-alone", "--other"]);
  });

  it("leaves stray words to the parser, which refuses them", () => {
    expect(splitBootArgs(["stray", "-x"]).known).toEqual(["stray", "-x"]);
  });
});
