// What the CLI leaves in its output directory when things go wrong or must be reproducible: a
// file-size limit hit mid-run (real `ulimit -f`), an output path where directories cannot be made,
// the completion record (summary.json) and byte-identical TSV with --seed. Real processes on real
// corpus captures.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusAvailable, REPO_ROOT } from "../support/corpus.js";

const BIN = join(REPO_ROOT, "sensor-ami", "bin", "spanless.js");
const BENCH = join(CORPUS_DIR, "bench", "bench.pcap");
const built = existsSync(join(REPO_ROOT, "dist", "sensor-ami", "src", "cli", "main.js"));

function spanless(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
}

function readSummary(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
}

describe.skipIf(!built || !corpusAvailable())("spanless output directory", () => {
  const tmp = mkdtempSync(join(tmpdir(), "spanless-output-"));

  it("a file-size limit hit mid-run: exit 74 naming the file and EFBIG, every log ends on a whole record", () => {
    // Prepare: 64 KiB per file; SIGXFSZ ignored as a service manager would, so write(2) says EFBIG
    const out = join(tmp, "ulimit");
    const cmd = `trap '' XFSZ; ulimit -f 64; exec "$0" "$@"`;
    // Act
    const r = spawnSync(
      "bash",
      ["-c", cmd, process.execPath, BIN, "analyze", BENCH, "--out", out, "--seed", "1", "-q"],
      { encoding: "utf8", timeout: 60_000 },
    );
    // Assess
    expect(r.status).toBe(74);
    expect(r.stderr).toMatch(
      /^spanless: cannot write \S+\/\w+\.log: file too large \(EFBIG.*\); it ends at its last whole record \(\d+ bytes\)\n$/,
    );
    const logs = readdirSync(out).filter((f) => f.endsWith(".log"));
    expect(logs.length).toBeGreaterThan(3);
    for (const f of logs) {
      const text = readFileSync(join(out, f), "utf8");
      expect(statSync(join(out, f)).size).toBeLessThanOrEqual(64 * 1024);
      expect(text.endsWith("\n")).toBe(true);
      for (const line of text.split("\n").filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    }
    const summary = readSummary(out);
    expect(summary.exit_status).toBe(74);
    expect(summary.outcome).toBe("error");
    expect(summary.message).toMatch(/EFBIG/);
  });

  it("refuses an output path under /proc with exit 74 instead of spinning", () => {
    // Act
    const r = spanless("analyze", "sensor-ami/samples/demo.pcap", "--out", "/proc/self/x/y", "-q");
    // Assess
    expect(r.signal).toBeNull();
    expect(r.status).toBe(74);
    expect(r.stderr).toMatch(
      /cannot create output directory \/proc\/self\/x\/y: cannot create \/proc\/self\/x: /,
    );
  });

  it("refuses an output path below a file with exit 74", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const r = spanless("analyze", "sensor-ami/samples/demo.pcap", "--out", join(file, "logs"), "-q");
    expect(r.status).toBe(74);
    expect(r.stderr).toMatch(/a-file exists and is not a directory/);
  });

  it("writes summary.json last: exit status, versions, times and the records of every log", () => {
    // Act
    const out = join(tmp, "summary");
    const r = spanless("analyze", join(CORPUS_DIR, "zeek/http__get.pcap"), "--out", out, "-q");
    // Assess
    expect(r.status).toBe(0);
    const s = readSummary(out);
    expect(s).toMatchObject({
      exit_status: 0,
      outcome: "ok",
      time_source: "wall",
      spanless: expect.any(String),
    });
    expect(s.node).toBe(process.version);
    expect(Date.parse(s.finished as string)).toBeGreaterThanOrEqual(Date.parse(s.started as string));
    const logs = s.logs as Record<string, number>;
    for (const [name, n] of Object.entries(logs)) {
      const lines = readFileSync(join(out, `${name}.log`), "utf8")
        .split("\n")
        .filter(Boolean);
      expect(lines.length).toBe(n);
    }
    expect(logs.http).toBeGreaterThan(0);
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("records a capture cut off mid-record as exit 3, outcome truncated", () => {
    const src = readFileSync(join(CORPUS_DIR, "zeek/http__get.pcap"));
    const f = join(tmp, "cut.pcap");
    writeFileSync(f, src.subarray(0, src.length - 30));
    const out = join(tmp, "cut");
    expect(spanless("analyze", f, "--out", out, "-q").status).toBe(3);
    expect(readSummary(out)).toMatchObject({ exit_status: 3, outcome: "truncated" });
  });

  it("--format tsv --seed: two runs write byte-identical files, #open/#close from the capture", () => {
    // Prepare
    const capture = join(CORPUS_DIR, "zeek/http__get.pcap");
    const a = join(tmp, "tsv-a");
    const b = join(tmp, "tsv-b");
    // Act
    expect(spanless("analyze", capture, "--out", a, "--format", "tsv", "--seed", "5", "-q").status).toBe(0);
    expect(spanless("analyze", capture, "--out", b, "--format", "tsv", "--seed", "5", "-q").status).toBe(0);
    // Assess
    const files = readdirSync(a).sort();
    expect(files).toEqual(readdirSync(b).sort());
    expect(files).toContain("summary.json");
    for (const f of files) expect(readFileSync(join(b, f)), f).toEqual(readFileSync(join(a, f)));
    const conn = readFileSync(join(a, "conn.log"), "utf8");
    const s = readSummary(a) as { capture: { first_ts: number; last_ts: number }; time_source: string };
    expect(s.time_source).toBe("capture");
    const zeekTime = (t: number) =>
      new Date(Math.floor(t) * 1000).toISOString().slice(0, 19).replace("T", "-").replaceAll(":", "-");
    expect(conn).toContain(`#open\t${zeekTime(s.capture.first_ts)}\n`);
    expect(conn.endsWith(`#close\t${zeekTime(s.capture.last_ts)}\n`)).toBe(true);
  });
});
