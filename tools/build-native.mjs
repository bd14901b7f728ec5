#!/usr/bin/env node
// Builds the batched-receive addon (sensor-ami/native, Node-API C) with node-gyp, offline: the
// headers come from the machine (npm's `nodedir`, else the first of <prefix>/include/node of this
// Node.js, /usr/include/node, /usr/local/include/node). Node-API is ABI-stable, so headers of any
// Node.js with Node-API 8 build an addon the Node 24 runtime loads.
//
// `npm ci` runs this as the package's install script: a failed build prints one warning line (the
// daemon falls back to node:dgram) and exits 0. `--strict` (npm run build:native) exits 1 instead.
//
// Usage: node tools/build-native.mjs [--strict] [--verbose]
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const native = join(root, "sensor-ami", "native");
const strict = process.argv.includes("--strict");
const verbose = process.argv.includes("--verbose");
const ADDON = join(native, "build", "Release", "spanless_udp.node");

function fail(reason) {
  if (strict) {
    process.stderr.write(`build-native: ${reason}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `warning: spanless native UDP addon not built (${reason}); the sensor daemon will fall back to node:dgram\n`,
  );
  process.exit(0);
}

/** node-gyp's entry script: npm's own copy (npm ships node-gyp), or null. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    candidates.push(
      join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    );
  }
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const npm = join(dir, "npm");
    if (!dir || !existsSync(npm)) continue;
    try {
      candidates.push(
        join(dirname(realpathSync(npm)), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"),
      );
    } catch {}
  }
  try {
    candidates.push(createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js"));
  } catch {}
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** A directory with include/node/node_api.h, so node-gyp does not try to download headers. */
function findNodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured && existsSync(join(configured, "include", "node", "node_api.h"))) return configured;
  const prefixes = [join(dirname(process.execPath), ".."), "/usr", "/usr/local"];
  return prefixes.find((p) => existsSync(join(p, "include", "node", "node_api.h"))) ?? null;
}

if (process.platform !== "linux") fail(`recvmmsg is Linux-only; this is ${process.platform}`);
const gyp = findNodeGyp();
if (gyp === null) fail("node-gyp not found (it ships with npm)");
const nodedir = findNodeDir();
if (nodedir === null) fail("no Node.js headers found (include/node/node_api.h); install nodejs headers");

const result = spawnSync(process.execPath, [gyp, "rebuild", `--nodedir=${nodedir}`, "--directory", native], {
  cwd: native,
  stdio: verbose || strict ? "inherit" : "pipe",
  encoding: "utf8",
  timeout: 300_000,
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.error) fail(`node-gyp did not run: ${result.error.message}`);
if (result.status !== 0 || !existsSync(ADDON)) {
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  const firstError = output
    .split("\n")
    .find(
      (l) => /error/i.test(l) && !/^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l),
    );
  fail(`node-gyp exited ${result.status}${firstError ? `: ${firstError.trim()}` : ""}`);
}
if (verbose || strict) process.stdout.write(`build-native: built ${ADDON}\n`);
