// Helpers of the image tests: the repository's paths, the tools they run (each skip names the Debian
// package that installs it; .ci/run installs them all, so CI never skips) and small parsers for the
// shell, systemd and sysctl files the image installs.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const IMAGE_DIR = join(ROOT, "sensor-ami", "image");
export const SYSTEMD_DIR = join(ROOT, "sensor-ami", "systemd");
export const PACKER_DIR = join(ROOT, "packer");

/** Tool → the apt package that installs it. */
export const TOOL_PACKAGES = {
  packer: "packer",
  shellcheck: "shellcheck",
  "systemd-analyze": "systemd",
  "systemd-sysusers": "systemd",
  "systemd-tmpfiles": "systemd",
  unshare: "util-linux",
  ss: "iproute2",
  make: "build-essential",
  cc: "build-essential",
} as const;

export function hasTool(tool: keyof typeof TOOL_PACKAGES): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).status === 0;
}

/** A skip reason when any tool is missing, naming the package to install; undefined when all are there. */
export function missingTools(...tools: (keyof typeof TOOL_PACKAGES)[]): string | undefined {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return undefined;
  const packages = [...new Set(missing.map((t) => TOOL_PACKAGES[t]))];
  return `${missing.join(", ")} not installed (apt-get install ${packages.join(" ")}; .ci/run does)`;
}

/** `NAME=value` lines of a shell file (assignments at the start of a line, unquoted values). */
export function shellAssignments(file: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=([^\s"'(]*)$/.exec(line);
    if (m)
      vars.set(
        m[1],
        m[2].replace(/\$([A-Z_]+)/g, (_, name: string) => vars.get(name) ?? `$${name}`),
      );
  }
  return vars;
}

/** A systemd unit's `Key=value` settings per section (repeated keys keep every value, in order). */
export function unitSettings(file: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const at = line.indexOf("=");
    if (current === undefined || at < 0) throw new Error(`${file}: not a unit line: ${line}`);
    const key = line.slice(0, at);
    current.set(key, [...(current.get(key) ?? []), line.slice(at + 1)]);
  }
  return sections;
}

/** `key = value` lines of a sysctl.d file. */
export function sysctlSettings(file: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const m = /^([a-z0-9_.]+)\s*=\s*(\S+)$/.exec(line);
    if (!m) throw new Error(`${file}: not a sysctl line: ${line}`);
    settings.set(m[1], m[2]);
  }
  return settings;
}
