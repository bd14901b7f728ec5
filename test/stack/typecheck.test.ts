// `npm test` type-checks sst.config.ts and the stack against SST's component types (unknown component
// properties are errors): the typecheck script runs tsconfig.stack.json, after installing .sst/platform.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("stack type-check wiring", () => {
  it("npm test runs the typecheck script, which checks tsconfig.stack.json after installing the platform", () => {
    // Prepare
    const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;

    // Act
    const test = scripts.test;

    // Assess
    expect(test).toMatch(/npm run typecheck/);
    expect(scripts.typecheck).toMatch(/tsc -p tsconfig\.stack\.json --noEmit/);
    expect(scripts.pretypecheck).toMatch(/infra-inventory\.mjs --ensure-platform/);
    expect(scripts["infra:inventory"]).toBe("node tools/infra-inventory.mjs");
  });

  it("tsconfig.stack.json covers sst.config.ts, the stack and its tests; sst.config.ts references SST's types", () => {
    // Prepare
    const text = readFileSync("tsconfig.stack.json", "utf8").replace(/^\s*\/\/.*$/gm, "");

    // Act
    const config = JSON.parse(text) as { include: string[] };
    const sstConfig = readFileSync("sst.config.ts", "utf8");

    // Assess
    expect(config.include).toEqual(
      expect.arrayContaining(["sst.config.ts", "stack/**/*.ts", "test/stack/**/*.ts"]),
    );
    expect(sstConfig.split("\n")[0]).toBe('/// <reference path="./.sst/platform/config.d.ts" />');
  });
});
