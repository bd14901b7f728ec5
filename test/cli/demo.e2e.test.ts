// `spanless demo`: collector, sensor and replay as real processes; what the collector stores
// equals `spanless analyze --seed` of the same capture, timing and mirror-session fields aside.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { storedRecords } from "../daemon/support/collector.js";
import { comparable, readLiveLog } from "../daemon/support/live.js";
import { CORPUS_DIR, corpusAvailable, REPO_ROOT } from "../support/corpus.js";

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const CLI = join(REPO_ROOT, "sensor-ami", "bin", "spanless.js");

describe("spanless demo", () => {
  it("runs the bundled sample through collector, sensor and replay and prints the summary", () => {
    const out = join(mkdtempSync(join(tmpdir(), "spanless-demo-")), "out");
    const r = spawnSync(NODE, [CLI, "demo", "--out", out], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/packets replayed: 136 /);
    expect(r.stdout).toMatch(/records stored by the collector: \d+/);
    expect(r.stdout).toMatch(/drops: kernel 0, queue 0\n/);
    expect(storedRecords(out).get("conn")?.length).toBeGreaterThan(0);
  }, 120_000);

  it.skipIf(!corpusAvailable()).each(["ndpi/443-firefox.pcap", "ja4/tls3.pcapng"])(
    "%s: the collector stores what analyze --seed logs",
    (name) => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), "spanless-demo-"));
      const capture = join(CORPUS_DIR, name);

      // Act
      const demo = spawnSync(NODE, [CLI, "demo", capture, "--out", join(dir, "store")], {
        encoding: "utf8",
        timeout: 120_000,
      });
      const analyze = spawnSync(
        NODE,
        [CLI, "analyze", capture, "--out", join(dir, "analyze"), "--seed", "1", "-q"],
        {
          encoding: "utf8",
        },
      );

      // Assess
      expect(demo.status, demo.stderr).toBe(0);
      expect(analyze.status, analyze.stderr).toBe(0);
      const stored = storedRecords(join(dir, "store"));
      for (const log of ["conn", "dns", "http", "ssl", "quic", "x509", "weird"]) {
        // Per-host checksum judgement and weird sampling are per engine (the demo runs one per core).
        const records = (rs: Record<string, unknown>[]) =>
          log === "weird"
            ? [...new Set(comparable(rs.filter((r) => r.name !== "checksum_offload_detected")))].sort()
            : comparable(rs);
        expect(records(stored.get(log) ?? []), log).toEqual(records(readLiveLog(join(dir, "analyze"), log)));
      }
    },
    120_000,
  );
});
