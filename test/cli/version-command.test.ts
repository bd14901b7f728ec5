// `spanless version`: the sensor's and Node.js's versions, and the image manifest when there is one
// (contracts/host IMAGE_MANIFEST; the path overridable for tests). Run as the CLI, in real processes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ImageManifest } from "../../sensor-ami/src/cli/image-manifest.js";
import { SPANLESS_VERSION } from "../../sensor-ami/src/cli/version.js";
import { REPO_ROOT } from "../support/corpus.js";

const BIN = join(REPO_ROOT, "sensor-ami", "bin", "spanless.js");
const tmp = mkdtempSync(join(tmpdir(), "spanless-version-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MANIFEST: ImageManifest = {
  format: 1,
  builtAt: "2026-12-07T15:00:00.000Z",
  architecture: "arm64",
  sourceImage: "ami-0123456789abcdef0",
  gitCommit: "0123456789abcdef0123456789abcdef01234567",
  spanlessVersion: SPANLESS_VERSION,
  components: [
    {
      name: "node",
      version: "v24.21.0",
      sha256: "6ad1325edbdb5649c379b75a237147a666c95d4f9ae8d340fef2d1575d289ad2",
      path: "/opt/spanless/node",
      source: "https://nodejs.org/dist/v24.21.0/node-v24.21.0-linux-arm64.tar.xz",
    },
    {
      name: "spanless.mjs",
      version: SPANLESS_VERSION,
      sha256: "a".repeat(64),
      path: "/opt/spanless/lib/spanless.mjs",
    },
  ],
  omitted: [],
};

function manifestFile(name: string, content: unknown): string {
  const file = join(tmp, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

function version(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, "version", ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
}

describe("spanless version", () => {
  it("without a manifest: the versions, and that this is not a sensor image", () => {
    // Prepare
    const absent = join(tmp, "absent.json");

    // Act
    const r = version(["--manifest", absent]);

    // Assess
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(
      `spanless ${SPANLESS_VERSION}\nnode ${process.version} (${process.platform}-${process.arch})\n` +
        `image: no manifest at ${absent} (not a sensor image)\n`,
    );
  });

  it("with a manifest: when, from what, and each component's version and checksum", () => {
    // Prepare
    const file = manifestFile("good.json", MANIFEST);

    // Act
    const r = version(["--manifest", file]);

    // Assess
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain(`image: ${file}\n`);
    expect(r.stdout).toContain(
      `built 2026-12-07T15:00:00.000Z for arm64 from ami-0123456789abcdef0, commit ${MANIFEST.gitCommit}`,
    );
    expect(r.stdout).toMatch(
      / {2}node {10}v24\.21\.0 {2}sha256:6ad1325e[0-9a-f]{56} {2}\/opt\/spanless\/node\n/,
    );
    expect(r.stdout).toContain(`sha256:${"a".repeat(64)}  /opt/spanless/lib/spanless.mjs`);
  });

  it("--json: one object with the manifest, found through SPANLESS_IMAGE_MANIFEST", () => {
    // Prepare
    const file = manifestFile("env.json", MANIFEST);

    // Act
    const r = version(["--json"], { SPANLESS_IMAGE_MANIFEST: file });

    // Assess
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toEqual({
      spanless: SPANLESS_VERSION,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      manifestPath: file,
      manifest: MANIFEST,
    });
  });

  it("--json without a manifest: manifest null", () => {
    // Prepare / Act
    const r = version(["--json", "--manifest", join(tmp, "none.json")]);

    // Assess
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).manifest).toBeNull();
  });

  it.each([
    ["not JSON", "{", /is not JSON/],
    [
      "a bad checksum",
      { ...MANIFEST, components: [{ ...MANIFEST.components[0], sha256: "xyz" }] },
      /components\.0\.sha256: must be a SHA-256/,
    ],
    ["an unknown format", { ...MANIFEST, format: 2 }, /format: /],
  ])("a manifest that is %s: exit 65 and what is wrong, nothing on stdout", (_, content, message) => {
    // Prepare
    const file = manifestFile("bad.json", content);

    // Act
    const r = version(["--manifest", file]);

    // Assess
    expect(r.status).toBe(65);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^spanless version: the image manifest ${file} `));
    expect(r.stderr).toMatch(message);
  });

  it("an unknown option: usage, exit 64", () => {
    // Prepare / Act
    const r = version(["--bogus"]);

    // Assess
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("usage: spanless version");
  });
});
