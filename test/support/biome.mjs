#!/usr/bin/env node
// Runs Biome's native binary directly. The @biomejs/biome wrapper pulls one optional package per
// platform, and the registry these machines reach serves only the Linux ones, which breaks `npm ci`;
// so the Linux x64 binary is an optional dependency and other platforms add their own.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const pkg = `@biomejs/cli-${process.platform}-${process.arch}`;
let bin;
try {
  bin = join(
    dirname(require.resolve(`${pkg}/package.json`)),
    process.platform === "win32" ? "biome.exe" : "biome",
  );
} catch {
  bin = undefined;
}
if (!bin || !existsSync(bin)) {
  process.stderr.write(
    `Biome's binary for ${process.platform}-${process.arch} is not installed: run \`npm i --no-save ${pkg}@2.6.8\`.\n`,
  );
  process.exit(2);
}
const r = spawnSync(bin, process.argv.slice(2), { stdio: "inherit" });
process.exit(r.status ?? 1);
