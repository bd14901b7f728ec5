// packer/: the template validates and is formatted with the Packer CI installs (Debian's 1.6.6, the
// oldest the template supports), and its locals pick what the README says for each architecture.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IMAGE_DIR, missingTools, PACKER_DIR, shellAssignments } from "./support.js";

function packer(args: string[]) {
  // No AWS credentials of any kind, and no update check: the tests are offline.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  return spawnSync("packer", args, {
    cwd: PACKER_DIR,
    encoding: "utf8",
    env: {
      ...env,
      CHECKPOINT_DISABLE: "1",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
      AWS_CONFIG_FILE: "/nonexistent/config",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    timeout: 60_000,
  });
}

const skip = missingTools("packer");

describe.skipIf(skip !== undefined)(`packer template${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("is formatted (packer fmt -check)", () => {
    // Prepare / Act
    const r = packer(["fmt", "-check", "."]);

    // Assess
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
  });

  it.each(["arm64", "x86_64"])("validates for %s offline, without AWS credentials", (arch) => {
    // Prepare: 1.6.6 validates the amazon-ebs builder's configuration without calling AWS
    // Act
    const r = packer(["validate", "-var", `arch=${arch}`, "."]);

    // Assess
    expect([r.status, r.stderr]).toEqual([0, ""]);
  });

  it("refuses an architecture other than arm64 and x86_64", () => {
    // Prepare / Act
    const r = packer(["validate", "-var", "arch=mips", "."]);

    // Assess
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain("The arch variable must be arm64 or x86_64.");
  });

  it.each([
    ["arm64", "c7g.large", "arm64"],
    ["x86_64", "c7i.large", "amd64"],
  ])(
    "for %s builds on %s from Canonical's Ubuntu 24.04 %s image, tagged with the pinned Node.js",
    (arch, type, ubuntu) => {
      // Prepare
      const pins = shellAssignments(join(IMAGE_DIR, "pins.env"));

      // Act
      const r = packer(["inspect", "-var", `arch=${arch}`, "."]);
      const local = (name: string) => new RegExp(`^local\\.${name}: "([^"]*)"$`, "m").exec(r.stdout)?.[1];

      // Assess
      expect(r.status, r.stderr).toBe(0);
      expect(local("instance_type")).toBe(type);
      expect(local("ubuntu_arch")).toBe(ubuntu);
      expect(local("canonical_owner")).toBe("099720109477");
      expect(local("node_version")).toBe(pins.get("NODE_VERSION"));
    },
  );
});
