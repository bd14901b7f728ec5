// The metrics file: one JSON line per document appended, the directory created, a rotated file
// followed, and failures (a full device, a path below a file) reported once without a throw.

import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emfDocuments, emfRecord } from "../../../sensor-ami/src/daemon/metrics/emf.js";
import {
  DEFAULT_METRICS_PATH,
  localMetricsPath,
  MetricsFile,
} from "../../../sensor-ami/src/daemon/metrics/emf-file.js";
import { snap } from "../health/snapshots.js";

const DIMS = { instanceId: "i-0abc", availabilityZone: "eu-west-1b" };

function lines(path: string): unknown[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe("MetricsFile", () => {
  const tmp = mkdtempSync(join(tmpdir(), "spanless-metrics-"));

  it("appends one JSON line per document, creating the directory", () => {
    // Prepare
    const path = join(tmp, "a", "b", "metrics.log");
    const f = new MetricsFile(path);
    // Act
    const first = f.write(emfRecord(snap(), undefined, DIMS));
    const second = f.write(emfDocuments(snap({ at: snap().at + 60 }), snap(), DIMS));
    // Assess
    expect(first).toBe(true);
    expect(second).toBe(true);
    const got = lines(path) as Record<string, unknown>[];
    expect(got).toHaveLength(1 + 3);
    expect(got[0].Packets).toBe(100_000);
    expect(got[1].Packets).toBe(0);
    expect(got.slice(2).map((d) => d.Log)).toEqual(["conn", "dns"]);
    expect(f.lines).toBe(4);
    expect(f.lastError).toBeUndefined();
  });

  it("follows a rotation: after the file is moved away, the next line starts a new file", () => {
    const path = join(tmp, "rotate", "metrics.log");
    const f = new MetricsFile(path);
    f.write(emfRecord(snap(), undefined, DIMS));
    renameSync(path, `${path}.1`);
    f.write(emfRecord(snap(), undefined, DIMS));
    expect(lines(path)).toHaveLength(1);
    expect(lines(`${path}.1`)).toHaveLength(1);
  });

  it("a full device: false, the error told once, never thrown", () => {
    // Prepare
    const errors: string[] = [];
    const f = new MetricsFile("/dev/full", { onError: (m) => errors.push(m) });
    // Act
    const results = [1, 2, 3].map(() => f.write(emfRecord(snap(), undefined, DIMS)));
    // Assess
    expect(results).toEqual([false, false, false]);
    expect(errors).toEqual(["cannot write metrics to /dev/full: no space left on device (ENOSPC)"]);
    expect(f.lastError).toBe(errors[0]);
    expect(f.lines).toBe(0);
  });

  it("a path below a file: false with the reason; an onError that throws is contained", () => {
    const file = join(tmp, "plain-file");
    writeFileSync(file, "x");
    const f = new MetricsFile(join(file, "metrics.log"), {
      onError: () => {
        throw new Error("reporter broke");
      },
    });
    expect(f.write(emfRecord(snap(), undefined, DIMS))).toBe(false);
    expect(f.lastError).toMatch(
      /^cannot write metrics to .*plain-file\/metrics\.log: .*plain-file exists and is not a directory$/,
    );
  });

  it("recovers: a write that succeeds after failures clears the error, and a closed file takes no more", async () => {
    const dir = join(tmp, "recover");
    writeFileSync(dir, "in the way");
    const path = join(dir, "metrics.log");
    const errors: string[] = [];
    const f = new MetricsFile(path, { onError: (m) => errors.push(m) });
    expect(f.write(emfRecord(snap(), undefined, DIMS))).toBe(false);
    renameSync(dir, `${dir}.moved`);
    expect(f.write(emfRecord(snap(), undefined, DIMS))).toBe(true);
    expect(f.lastError).toBeUndefined();
    await f.close();
    expect(f.write(emfRecord(snap(), undefined, DIMS))).toBe(false);
    expect(lines(path)).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it("paths: the AMI's default, and metrics.log in the output directory for local runs", () => {
    expect(DEFAULT_METRICS_PATH).toBe("/var/log/spanless/metrics.log");
    expect(localMetricsPath("/tmp/out")).toBe("/tmp/out/metrics.log");
    expect(existsSync(tmp)).toBe(true);
  });
});
