// sensor-ami/image/provision.sh for real, into a scratch root: the inputs an image build uploads
// (pack-inputs.sh over a fresh bundle), a Node.js tarball made from this machine's pinned runtime in the
// nodejs.org layout (bin/node, bin/npm → npm with node-gyp, include/node) and its real checksum, the addon
// compiled by build-native.sh. Then the installed sensor runs from the scratch root, its unit verifies
// with the installed runtime in place, and a tarball whose checksum is not the pinned one is refused.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IMAGE_MANIFEST,
  NODE_BINARY,
  SENSOR_BUNDLE,
  SENSOR_COMMAND,
  SENSOR_LOG_DIR,
  SENSOR_PCAP_DIR,
  SENSOR_SERVICE,
  SENSOR_SPOOL_DIR,
  SENSOR_STATE_DIR,
  SENSOR_USER,
  SENSOR_VNI_MAP_DIR,
  SENSOR_ZEEK_LOG_DIR,
} from "../../contracts/host/index.js";
import { imageManifestSchema } from "../../sensor-ami/src/cli/image-manifest.js";
import { startSensor } from "../daemon/support/live.js";
import { IMAGE_DIR, missingTools, ROOT, shellAssignments } from "./support.js";

const NODE_VERSION = shellAssignments(join(IMAGE_DIR, "pins.env")).get("NODE_VERSION") ?? "";
const PINNED_X64 = shellAssignments(join(IMAGE_DIR, "pins.env")).get("NODE_SHA256_X64") ?? "";
/** Node.js headers and npm (with node-gyp) of this machine, for the tarball the test makes. */
const SYSTEM_HEADERS = "/usr/include/node";
const npmDir = (() => {
  const which = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
  return which === "" ? undefined : dirname(dirname(realpathSync(which)));
})();

function skipReason(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64")
    return "the scratch-root build runs on x86_64 Linux";
  if (process.getuid?.() !== 0)
    return "needs root (the scratch root's directories are chowned to the sensor user)";
  const tools = missingTools(
    "systemd-sysusers",
    "systemd-tmpfiles",
    "systemd-analyze",
    "unshare",
    "make",
    "cc",
  );
  if (tools) return tools;
  if (!existsSync(join(SYSTEM_HEADERS, "node_api.h")))
    return `${SYSTEM_HEADERS}/node_api.h missing (apt-get install nodejs; npm ci builds the addon with the same headers)`;
  if (npmDir === undefined || !existsSync(join(npmDir, "node_modules", "node-gyp")))
    return "npm with node-gyp not found (apt-get install npm)";
  return undefined;
}
const skip = skipReason();

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

let tmp: string;
let tarball: string;
let tarballSha: string;
let inputs: string;
let root: string;
let provisioned: ReturnType<typeof spawnSync>;
const at = (hostPath: string) => join(root, hostPath);

function provision(into: string, extra: string[]) {
  return spawnSync(
    "bash",
    [join(inputs, "sensor-ami", "image", "provision.sh"), "--inputs", inputs, "--root", into, ...extra],
    { encoding: "utf8", timeout: 300_000 },
  );
}

/** The installed sensor, run from the scratch root on the installed runtime. */
function installed(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(at(NODE_BINARY), [at(SENSOR_BUNDLE), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 60_000,
  });
}

/** A tarball in nodejs.org's layout from this machine's pinned runtime. */
function makeNodeTarball(dir: string): string {
  const name = `node-v${NODE_VERSION}-linux-x64`;
  const top = join(dir, name);
  mkdirSync(join(top, "bin"), { recursive: true });
  mkdirSync(join(top, "include", "node"), { recursive: true });
  mkdirSync(join(top, "lib", "node_modules"), { recursive: true });
  copyFileSync(realpathSync(process.execPath), join(top, "bin", "node"));
  // node_api.h and what it includes (uv.h and uv/); the addon needs no V8 or OpenSSL headers.
  for (const e of readdirSync(SYSTEM_HEADERS, { withFileTypes: true }))
    if (e.isFile()) copyFileSync(join(SYSTEM_HEADERS, e.name), join(top, "include", "node", e.name));
  cpSync(join(SYSTEM_HEADERS, "uv"), join(top, "include", "node", "uv"), { recursive: true });
  cpSync(npmDir as string, join(top, "lib", "node_modules", "npm"), { recursive: true, dereference: true });
  symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(top, "bin", "npm"));
  const file = join(dir, `${name}.tar`);
  const tar = spawnSync("tar", ["-cf", file, "-C", dir, name], { encoding: "utf8" });
  expect(tar.stderr).toBe("");
  rmSync(top, { recursive: true, force: true });
  return file;
}

describe.skipIf(skip !== undefined)(
  `provision.sh into a scratch root${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), "spanless-image-"));
      tarball = makeNodeTarball(tmp);
      tarballSha = sha256(tarball);
      const bundled = spawnSync(
        process.execPath,
        [join(ROOT, "tools", "bundle.mjs"), "--out", join(tmp, "bundle")],
        {
          cwd: ROOT,
          encoding: "utf8",
          timeout: 120_000,
        },
      );
      expect([bundled.status, bundled.stderr]).toEqual([0, ""]);
      const packed = spawnSync(
        "bash",
        [
          join(IMAGE_DIR, "pack-inputs.sh"),
          "--bundle",
          join(tmp, "bundle", "sensor", "spanless.mjs"),
          "--out",
          join(tmp, "inputs.tar.gz"),
        ],
        { encoding: "utf8" },
      );
      expect([packed.status, packed.stderr]).toEqual([0, ""]);
      inputs = join(tmp, "inputs");
      mkdirSync(inputs);
      spawnSync("tar", ["-xzf", join(tmp, "inputs.tar.gz"), "-C", inputs]);
      root = join(tmp, "root");
      mkdirSync(root);
      provisioned = provision(root, ["--node-tarball", tarball, "--node-sha256", tarballSha]);
    }, 300_000);

    afterAll(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it("succeeds, and says what a scratch root skips", () => {
      // Prepare / Act: beforeAll ran it
      // Assess
      expect(provisioned.status, `${provisioned.stdout}${provisioned.stderr}`).toBe(0);
      const out = String(provisioned.stdout);
      expect(out).toContain(`Node.js ${NODE_VERSION} (node-v${NODE_VERSION}-linux-x64) checksum verified`);
      expect(out).toMatch(/build-native: .*spanless_udp\.node \(x86_64, Node-API addon for v24/);
      expect(out).toContain("scratch root: skipped CloudWatch agent download and install");
      expect(out).toContain("scratch root: skipped the listener check");
    });

    it("installs the runtime, the sensor, its wrapper, unit, sysctl and upgrade settings where the contract says", () => {
      // Prepare / Act
      const mode = (p: string) => (statSync(at(p)).mode & 0o7777).toString(8);

      // Assess
      expect(mode(NODE_BINARY)).toBe("755");
      expect(mode(SENSOR_BUNDLE)).toBe("644");
      expect(mode(SENSOR_COMMAND)).toBe("755");
      expect(sha256(at(SENSOR_BUNDLE))).toBe(sha256(join(tmp, "bundle", "sensor", "spanless.mjs")));
      for (const file of [
        `/usr/lib/systemd/system/${SENSOR_SERVICE}`,
        "/etc/sysctl.d/60-spanless.conf",
        "/etc/logrotate.d/spanless",
        "/usr/lib/sysusers.d/spanless.conf",
        "/usr/lib/tmpfiles.d/spanless.conf",
        "/etc/chrony/conf.d/spanless.conf",
      ]) {
        expect(mode(file), file).toBe("644");
      }
      expect(readFileSync(at("/etc/apt/apt.conf.d/20auto-upgrades"), "utf8")).toContain(
        'APT::Periodic::Unattended-Upgrade "1";',
      );
      expect(readFileSync(at("/etc/apt/apt.conf.d/52spanless-unattended-upgrades"), "utf8")).toContain(
        'Unattended-Upgrade::Automatic-Reboot "false";',
      );
    });

    it("makes the sensor user (no shell) and its directories, owned by it", () => {
      // Prepare
      const entry = readFileSync(at("/etc/passwd"), "utf8")
        .split("\n")
        .find((l) => l.startsWith(`${SENSOR_USER}:`));

      // Act
      const [, , uid, gid, , , shell] = (entry ?? "").split(":");

      // Assess
      expect(shell).toBe("/usr/sbin/nologin");
      expect(Number(uid)).toBeLessThan(1000);
      for (const dir of [
        SENSOR_LOG_DIR,
        SENSOR_ZEEK_LOG_DIR,
        SENSOR_STATE_DIR,
        SENSOR_SPOOL_DIR,
        SENSOR_PCAP_DIR,
        SENSOR_VNI_MAP_DIR,
      ]) {
        const s = statSync(at(dir));
        expect([s.uid, s.gid, (s.mode & 0o777).toString(8)], dir).toEqual([Number(uid), Number(gid), "750"]);
      }
    });

    it("the installed bundle starts from the scratch root on the installed runtime", () => {
      // Prepare / Act
      const help = installed(["--help"]);

      // Assess
      expect([help.status, help.stderr]).toEqual([0, ""]);
      expect(help.stdout).toMatch(/^usage: spanless analyze/);
    });

    it("spanless version shows the manifest: what went in, with checksums of the installed files", () => {
      // Prepare
      const env = { SPANLESS_IMAGE_MANIFEST: at(IMAGE_MANIFEST) };

      // Act
      const json = installed(["version", "--json"], env);
      const text = installed(["version"], env);

      // Assess
      expect([json.status, json.stderr]).toEqual([0, ""]);
      const report = JSON.parse(json.stdout) as { node: string; manifest: unknown };
      expect(report.node).toBe(`v${NODE_VERSION}`);
      const manifest = imageManifestSchema.parse(report.manifest);
      // A commit of this repository (other work may have moved HEAD since the inputs were packed).
      const commit = /^([0-9a-f]{40})(-dirty)?$/.exec(manifest.gitCommit)?.[1] ?? "";
      const known = spawnSync("git", ["cat-file", "-e", `${commit}^{commit}`], { cwd: ROOT });
      expect(manifest).toMatchObject({ architecture: "x86_64", sourceImage: "scratch-root" });
      expect(known.status, manifest.gitCommit).toBe(0);
      const byName = new Map(manifest.components.map((c) => [c.name, c]));
      expect([...byName.keys()]).toEqual(["node", "spanless.mjs", "spanless_udp.node"]);
      expect(byName.get("node")).toMatchObject({ version: `v${NODE_VERSION}`, sha256: tarballSha });
      for (const c of manifest.components.slice(1)) expect(c.sha256, c.name).toBe(sha256(at(c.path)));
      expect(manifest.omitted.map((o) => o.name)).toEqual(["amazon-cloudwatch-agent"]);
      expect(text.status).toBe(0);
      expect(text.stdout).toContain(`image: ${at(IMAGE_MANIFEST)}`);
      expect(text.stdout).toContain(`sha256:${tarballSha}`);
    });

    it("the installed sensor receives with the addon build-native.sh compiled, its workers from the same file", async () => {
      // Prepare
      const logs = join(tmp, "live-logs");

      // Act: the installed runtime and bundle, from a directory with no node_modules
      const sensor = await startSensor(["--out", logs, "--workers", "2"], {
        program: { node: at(NODE_BINARY), script: at(SENSOR_BUNDLE) },
        cwd: root,
        env: { PATH: process.env.PATH ?? "" },
      });
      await fetch(`http://127.0.0.1:${sensor.healthPort}/healthcheck`).then((r) => r.arrayBuffer());
      const code = await sensor.stop();
      const stderr = sensor.stderr();

      // Assess
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/with 2 engine worker\(s\), receive path recvmmsg/);
    }, 30_000);

    it("the unit passes systemd-analyze verify with the installed runtime at its real path, silently", () => {
      // Prepare: in a mount namespace of its own, /opt is a tmpfs holding the scratch root's /opt/spanless,
      // so verify finds ExecStart's runtime where the image has it and this machine's /opt is untouched
      const install = dirname(dirname(dirname(NODE_BINARY)));
      const script = [
        "mount -t tmpfs tmpfs /opt",
        `mkdir -p ${install}`,
        `mount --bind ${at(install)} ${install}`,
        `exec systemd-analyze verify ${at(`/usr/lib/systemd/system/${SENSOR_SERVICE}`)}`,
      ].join(" && ");

      // Act
      const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
        encoding: "utf8",
      });

      // Assess: verify exits 0 on bad keys, so any output at all is a failure
      expect(`${r.stdout}${r.stderr}`).toBe("");
      expect(r.status).toBe(0);
    });

    it("runs again over its own result (a rebuilt image, a retried build)", () => {
      // Prepare / Act
      const again = provision(root, ["--node-tarball", tarball, "--node-sha256", tarballSha]);

      // Assess
      expect(again.status, `${again.stdout}${again.stderr}`).toBe(0);
      expect(readFileSync(at("/etc/passwd"), "utf8").match(/^spanless:/gm)).toHaveLength(1);
    });

    it("refuses a Node.js tarball whose SHA-256 is not the pinned one, and installs nothing", () => {
      // Prepare: this machine's runtime is not nodejs.org's tarball, so the pinned checksum cannot match
      const other = join(tmp, "root-bad-checksum");
      mkdirSync(other);

      // Act
      const r = provision(other, ["--node-tarball", tarball]);

      // Assess
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `provision: SHA-256 mismatch for node-v${NODE_VERSION}-linux-x64.tar: got ${tarballSha}, expected ${PINNED_X64} ` +
          `(pinned in sensor-ami/image/pins.env for node-v${NODE_VERSION}-linux-x64); not installing it`,
      );
      expect(existsSync(join(other, "opt"))).toBe(false);
    });
  },
);
