#!/usr/bin/env node
// Builds one self-contained bundle per deployable, so what ships is exactly what each part imports:
//
//   <out>/sensor/                 what the AMI installs in /opt/spanless/lib: spanless.mjs (the CLI
//                                 with every dependency inlined, one file that is also the engine
//                                 workers' script) and spanless_udp.node (the receive addon)
//   <out>/functions/<name>/       index.mjs: one Lambda handler file for `nodejs24.x`
//
// Each bundle has a meta.json (esbuild's metafile: every input that went in and its size), which
// test/tools/bundle.test.ts reads to prove the separation (no AWS SDK in the sensor, no sensor
// code in a function). SST bundles the functions with esbuild the same way at deploy time; this
// script is the offline, testable statement of the same split.
//
// Usage: node tools/bundle.mjs [--out dist/bundle]
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string", default: join(root, "dist", "bundle") } } });
const out = values.out;

/** The Lambda functions: each `functions/<name>/index.ts` is a handler entry point. */
export const FUNCTIONS = ["mirror-on-launch", "instance-refresh", "health"];

// Production runtime of every deployable (Lambda `nodejs24.x`, the AMI's Node.js 24).
const TARGET = "node24";

const common = {
  bundle: true,
  platform: "node",
  target: TARGET,
  format: "esm",
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
  legalComments: "linked",
  // Error classes are matched and reported by name (`err.name`, log fields): keep them through minification.
  keepNames: true,
  // Some dependencies are CommonJS and call require() for Node built-ins; an ESM bundle has no
  // require of its own, so give it Node's.
  banner: {
    js: "import { createRequire as __spanlessRequire } from 'node:module'; const require = __spanlessRequire(import.meta.url);",
  },
};

async function writeMeta(dir, metafile) {
  await writeFile(join(dir, "meta.json"), `${JSON.stringify(metafile, null, 1)}\n`);
}

/** The image's sensor: one file, its native addon beside it (contracts/host: SENSOR_BUNDLE). */
export const SENSOR_FILE = "spanless.mjs";
const ADDON_FILE = "spanless_udp.node";

async function bundleSensor() {
  const dir = join(out, "sensor");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const result = await build({
    ...common,
    // One file: no splitting, so esbuild inlines what the CLI imports lazily (the live sensor's
    // commands, the S3 client) as modules evaluated only when first imported. The entry is also the
    // engine workers' script (src/cli/single-file.ts).
    entryPoints: [join(root, "sensor-ami/src/cli/single-file.ts")],
    outfile: join(dir, SENSOR_FILE),
    banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
  });
  // The batched-receive addon, when this machine built it (the image build runs
  // sensor-ami/image/build-native.sh for its architecture first); without it the sensor falls
  // back to dgram and says so. The loader looks beside the bundle (src/capture/udp/native.ts).
  const addon = join(root, "sensor-ami/native/build/Release", ADDON_FILE);
  if (existsSync(addon)) await copyFile(addon, join(dir, ADDON_FILE));
  await writeMeta(dir, result.metafile);
  return dir;
}

async function bundleFunction(name) {
  const dir = join(out, "functions", name);
  await rm(dir, { recursive: true, force: true });
  const result = await build({
    ...common,
    entryPoints: [join(root, "functions", name, "index.ts")],
    // Smaller code loads faster on a cold start; the source map keeps stack traces readable.
    minify: true,
    outfile: join(dir, "index.mjs"),
  });
  await writeMeta(dir, result.metafile);
  return dir;
}

const dirs = [await bundleSensor(), ...(await Promise.all(FUNCTIONS.map(bundleFunction)))];
for (const dir of dirs) {
  const meta = JSON.parse(await readFile(join(dir, "meta.json"), "utf8"));
  const bytes = Object.entries(meta.outputs)
    .filter(([file]) => !file.endsWith(".map"))
    .reduce((sum, [, o]) => sum + o.bytes, 0);
  process.stdout.write(`${relative(root, dir)}: ${(bytes / 1024).toFixed(0)} KiB\n`);
}
