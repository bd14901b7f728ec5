// Writes the image manifest (contracts/host IMAGE_MANIFEST, /opt/spanless/manifest.json): what the
// build installed, with versions and SHA-256 checksums. Run by provision.sh as its last step, on the
// pinned Node.js it installed (so the image needs no other tool). `spanless version` reads it back
// through sensor-ami/src/cli/image-manifest.ts; test/image checks the two agree on a real build.
//
// Usage: node write-manifest.mjs --root <dir> --arch x86_64|arm64 --source-image <id> --git-commit <sha>
//          --node-sha256 <hex> --node-source <url or file> [--agent-deb <file> --agent-source <url>]
//          [--omit <name>=<reason>]...
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

// contracts/host paths (test/image checks them against the contract).
const INSTALL_DIR = "/opt/spanless";
const NODE_DIR = `${INSTALL_DIR}/node`;
const SENSOR_BUNDLE = `${INSTALL_DIR}/lib/spanless.mjs`;
const SENSOR_ADDON = `${INSTALL_DIR}/lib/spanless_udp.node`;
const IMAGE_MANIFEST = `${INSTALL_DIR}/manifest.json`;
const CLOUDWATCH_AGENT_DIR = "/opt/aws/amazon-cloudwatch-agent";
const MANIFEST_FORMAT = 1;

function fail(message) {
  process.stderr.write(`write-manifest: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    root: { type: "string", default: "/" },
    arch: { type: "string" },
    "source-image": { type: "string" },
    "git-commit": { type: "string" },
    "node-sha256": { type: "string" },
    "node-source": { type: "string" },
    "agent-deb": { type: "string" },
    "agent-source": { type: "string" },
    omit: { type: "string", multiple: true, default: [] },
  },
});
for (const required of ["arch", "source-image", "git-commit", "node-sha256", "node-source"]) {
  if (!values[required]) fail(`--${required} is required`);
}
const root = values.root;
const onHost = (path) => join(root, path);
const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

function run(command, args, env = process.env) {
  const r = spawnSync(command, args, { encoding: "utf8", env });
  if (r.status !== 0) fail(`${command} ${args.join(" ")} failed: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout.trim();
}

const node = onHost(`${NODE_DIR}/bin/node`);
const nodeVersion = run(node, ["--version"]);
// The bundle's own report, so the manifest's version is the one `spanless version` prints. No
// manifest exists yet; the variable points the command at a path that is certainly absent.
const bundleReport = JSON.parse(
  run(node, [onHost(SENSOR_BUNDLE), "version", "--json"], {
    ...process.env,
    SPANLESS_IMAGE_MANIFEST: onHost(`${INSTALL_DIR}/manifest.absent`),
  }),
);
const spanlessVersion = bundleReport.spanless;

const components = [
  {
    name: "node",
    version: nodeVersion,
    sha256: values["node-sha256"],
    path: NODE_DIR,
    source: values["node-source"],
  },
  {
    name: "spanless.mjs",
    version: spanlessVersion,
    sha256: sha256(onHost(SENSOR_BUNDLE)),
    path: SENSOR_BUNDLE,
  },
  {
    name: "spanless_udp.node",
    version: spanlessVersion,
    sha256: sha256(onHost(SENSOR_ADDON)),
    path: SENSOR_ADDON,
  },
];
if (values["agent-deb"]) {
  components.push({
    name: "amazon-cloudwatch-agent",
    version: run("dpkg-query", [
      "--admindir",
      onHost("/var/lib/dpkg"),
      "-W",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format syntax
      "-f=${Version}",
      "amazon-cloudwatch-agent",
    ]),
    sha256: sha256(values["agent-deb"]),
    path: CLOUDWATCH_AGENT_DIR,
    source: values["agent-source"],
  });
}
const omitted = values.omit.map((o) => {
  const at = o.indexOf("=");
  if (at < 1) fail(`--omit "${o}" must be <name>=<reason>`);
  return { name: o.slice(0, at), reason: o.slice(at + 1) };
});

const manifest = {
  format: MANIFEST_FORMAT,
  builtAt: new Date().toISOString(),
  architecture: values.arch,
  sourceImage: values["source-image"],
  gitCommit: values["git-commit"],
  spanlessVersion,
  components,
  omitted,
};
const out = onHost(IMAGE_MANIFEST);
// Written whole or not at all: a half-written manifest would make `spanless version` fail on the host.
writeFileSync(`${out}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
renameSync(`${out}.tmp`, out);
process.stdout.write(`write-manifest: ${IMAGE_MANIFEST} (${components.map((c) => c.name).join(", ")})\n`);
