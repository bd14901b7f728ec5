// The command-line contract scripts rely on: `npx spanless analyze <capture> --out <dir>` from the
// repository root, its files, its summary and its exit codes for bad input. Runs the real binary.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/corpus.js";

const BIN = join(REPO_ROOT, "sensor-ami", "bin", "spanless.js");
const built = existsSync(join(REPO_ROOT, "dist", "sensor-ami", "src", "cli", "main.js"));

function spanless(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
}

describe.skipIf(!built)("spanless CLI", () => {
  const tmp = mkdtempSync(join(tmpdir(), "spanless-cli-"));

  it("analyzes the bundled capture into conn.log and weird.log with a readable summary", () => {
    // Act
    const r = spanless("analyze", "sensor-ami/samples/demo.pcap", "--out", join(tmp, "demo"), "--seed", "7");
    // Assess
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/packets\s+136/);
    expect(r.stdout).toMatch(/connections\s+\d+/);
    const conn = readFileSync(join(tmp, "demo", "conn.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(conn.length).toBeGreaterThan(30);
    expect(conn[0]).toHaveProperty("uid");
    expect(existsSync(join(tmp, "demo", "weird.log"))).toBe(true);
  });

  it("gives identical logs for the same --seed", () => {
    spanless("analyze", "sensor-ami/samples/demo.pcap", "--out", join(tmp, "a"), "--seed", "3", "-q");
    spanless("analyze", "sensor-ami/samples/demo.pcap", "--out", join(tmp, "b"), "--seed", "3", "-q");
    expect(readFileSync(join(tmp, "a", "conn.log"), "utf8")).toBe(
      readFileSync(join(tmp, "b", "conn.log"), "utf8"),
    );
  });

  it("exits 65 with an actionable message for a file that is not a capture", () => {
    const f = join(tmp, "x.txt");
    writeFileSync(f, "hello, I am a text file and not a pcap\n");
    const r = spanless("analyze", f, "--out", join(tmp, "x"));
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/not a capture file/);
  });

  it("exits 74 for an unreadable path", () => {
    const r = spanless("analyze", join(tmp, "nope.pcap"), "--out", join(tmp, "nope"));
    expect(r.status).toBe(74);
    expect(r.stderr).toMatch(/cannot open capture .*no such file/);
  });

  it("processes a capture cut off mid-record, then exits 3 saying where it stopped", () => {
    const src = readFileSync(join(REPO_ROOT, "sensor-ami/samples/demo.pcap"));
    const f = join(tmp, "cut.pcap");
    writeFileSync(f, src.subarray(0, src.length - 50));
    const r = spanless("analyze", f, "--out", join(tmp, "cut"));
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(
      /file ends inside a pcap packet record at byte \d+ .* \(135 packets\) was processed/,
    );
    expect(readFileSync(join(tmp, "cut", "conn.log"), "utf8").length).toBeGreaterThan(0);
  });

  it("exits 64 with usage for a missing --out or a bad option value", () => {
    expect(spanless("analyze", "sensor-ami/samples/demo.pcap").status).toBe(64);
    const r = spanless(
      "analyze",
      "sensor-ami/samples/demo.pcap",
      "--out",
      join(tmp, "z"),
      "--local-nets",
      "10.0.0.0/33",
    );
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/prefix length must be 0-32/);
  });
});
