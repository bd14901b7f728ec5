// The inventory harness itself: the real sst.config.ts runs under mocks, the output is stable JSON lines, and
// a refused config exits non-zero with the config's problems.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { baseConfig, evaluateStack, inventory, OUTPUTS_TYPE, parseInventory } from "./support/inventory.js";

describe("infra inventory harness", () => {
  it("prints one JSON line per resource, sorted by type then name, outputs last", async () => {
    // Prepare
    const config = baseConfig();

    // Act
    const result = await evaluateStack(config);

    // Assess
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    const parsed = lines.map((l) => JSON.parse(l) as { type: string; name: string; inputs: unknown });
    expect(parsed.every((r) => typeof r.type === "string" && typeof r.name === "string")).toBe(true);
    expect(parsed.at(-1)?.type).toBe(OUTPUTS_TYPE);
    const keys = parsed.slice(0, -1).map((r) => `${r.type}\u0000${r.name}`);
    expect(keys).toEqual([...keys].sort());
  });

  it("prints the same bytes for the same config twice", async () => {
    // Prepare
    const first = await evaluateStack(baseConfig());

    // Act
    const second = await evaluateStack(baseConfig(), { stage: "dev", region: "us-east-1" });

    // Assess
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  it("exits 1 and names the field when the config is refused", async () => {
    // Prepare
    const config = baseConfig({ alarms: {} });

    // Act
    const result = await evaluateStack(config);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/alarms: set alarms\.email/);
    expect(result.stdout).toBe("");
  });

  it("gives tests finders over the parsed inventory", async () => {
    // Prepare
    const inv = await inventory(baseConfig());

    // Act
    const reparsed = parseInventory(`${inv.resources.map((r) => JSON.stringify(r)).join("\n")}\n`);

    // Assess
    expect(reparsed.resources).toEqual(inv.resources);
    expect(inv.outputs).toBeTypeOf("object");
    expect(() => inv.named("aws:ec2/vpc:Vpc", "NoSuchThing")).toThrow(
      /no aws:ec2\/vpc:Vpc named NoSuchThing/,
    );
  });

  it("answers a call without --config or with an unknown flag with exit 2 and the usage", () => {
    // Prepare
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["tools/infra-inventory.mjs", ...args], { encoding: "utf8" });

    // Act
    const missing = run();
    const unknown = run("--config", "examples/stack/new-vpc.json", "--bogus", "x");
    const absent = run("--config", "no/such/file.json");

    // Assess
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /--config <file> is required\nusage: npm run infra:inventory -- --config <file>/,
    );
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown or incomplete argument "--bogus"/);
    expect(absent.status).toBe(2);
    expect(absent.stderr).toMatch(/config file no\/such\/file\.json does not exist/);
  });
});
