// Every shell script in the repository passes shellcheck (warnings included, sourced files followed).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";
import { missingTools, ROOT } from "./support.js";

/** Folders that hold no scripts of ours. */
const SKIPPED_DIRS = new Set(["node_modules", ".sst", ".git", "dist", "out"]);

function shellScripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) ? [] : shellScripts(join(dir, e.name));
    return e.name.endsWith(".sh") ? [join(dir, e.name)] : [];
  });
}

const skip = missingTools("shellcheck");

it.skipIf(skip !== undefined)(
  `every *.sh and .ci/run pass shellcheck${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    // Prepare: the image's scripts are among them
    const scripts = [...shellScripts(ROOT), join(ROOT, ".ci", "run")];
    expect(scripts.map((s) => relative(ROOT, s))).toContain("sensor-ami/image/provision.sh");

    // Act
    const r = spawnSync("shellcheck", ["-x", "--severity=style", ...scripts], {
      cwd: ROOT,
      encoding: "utf8",
    });

    // Assess
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  },
);
