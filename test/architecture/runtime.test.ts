// The tests run on the runtime production runs: Lambda `nodejs24.x` and the AMI's Node.js 24. The
// pinned `node` devDependency puts that runtime first on npm scripts' PATH; if a script or a shell
// bypassed it, the suite would pass on another major and prove nothing about production.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const PRODUCTION_MAJOR = 24;

describe("runtime", () => {
  it("the suite runs on the pinned Node.js", () => {
    // Prepare
    const pinned: string = pkg.devDependencies.node;

    // Act
    const running = process.versions.node;

    // Assess
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(running).toBe(pinned);
    expect(Number(running.split(".")[0])).toBe(PRODUCTION_MAJOR);
  });

  it("engines names the same major", () => {
    // Prepare / Act
    const engines: string = pkg.engines.node;

    // Assess
    expect(engines).toContain(`>=${PRODUCTION_MAJOR}.`);
    expect(engines).toContain(`<${PRODUCTION_MAJOR + 1}`);
  });
});
