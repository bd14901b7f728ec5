// `spanless bootstrap` as the user data runs it: the built CLI's help and its usage errors (the boot
// itself is tested in-process in bootstrap.test.ts, where every host effect can be pointed at a fake).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
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

  it("refuses a boot line without its required flags (64), naming them", () => {
    // Act
    const missing = run("--log-group", "/spanless/prod/sensors");
    const unknown = run("--log-group", "g", "--auto-scaling-group", "a", "--lifecycle-hook", "h", "--bogus");

    // Assess
    expect(missing.status).toBe(64);
    expect(missing.stderr).toContain("missing --auto-scaling-group, --lifecycle-hook");
    expect(unknown.status).toBe(64);
    expect(unknown.stderr).toContain("--bogus");
  });
});
