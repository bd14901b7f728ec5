// sensor-ami/image/build-native.sh refuses, naming what is missing, before it compiles anything. Its
// successful build (the addon the installed sensor then receives with) runs in provision.test.ts.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IMAGE_DIR, ROOT } from "./support.js";

const tmp = mkdtempSync(join(tmpdir(), "spanless-build-native-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function buildNative(args: string[]) {
  return spawnSync("bash", [join(IMAGE_DIR, "build-native.sh"), ...args], { encoding: "utf8" });
}

describe("build-native.sh", () => {
  it("a runtime without headers: says so, builds nothing", () => {
    // Prepare: a Node.js directory with bin/node only
    const node = join(tmp, "node");
    mkdirSync(join(node, "bin"), { recursive: true });
    symlinkSync(process.execPath, join(node, "bin", "node"));
    const out = join(tmp, "out", "spanless_udp.node");

    // Act
    const r = buildNative(["--node", node, "--source", ROOT, "--out", out]);

    // Assess
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `build-native: ${node}/include/node/node_api.h is missing: the runtime has no headers\n`,
    );
  });

  it("a missing argument or an unknown one: usage", () => {
    // Prepare / Act
    const missing = buildNative(["--node", tmp]);
    const unknown = buildNative(["--bogus"]);

    // Assess
    expect([missing.status, missing.stderr]).toEqual([
      1,
      "build-native: --node, --source and --out are required\n",
    ]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown argument "--bogus"');
  });
});
