// `spanless pcap find` as a user runs it (the built CLI), and the ring's settings in the sensor's
// configuration file.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseSensorFile } from "../../contracts/config/sensor-file.js";
import { PcapRing } from "../../sensor-ami/src/pcap/ring.js";
import { CLI, NODE } from "../daemon/support/live.js";
import { udpFrame } from "./support.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pcap-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const find = (args: string[]) => spawnSync(NODE, [CLI, "pcap", "find", ...args], { encoding: "utf8" });

describe("spanless pcap find --5tuple", () => {
  it("names the file holding the flow in either direction, and exits 1 outside its time", () => {
    // Prepare
    const ring = new PcapRing({ dir: join(dir, "w0"), worker: 0, maxBytes: 1 << 30 });
    ring.write(udpFrame(100), 0, 100, 100, 100);
    ring.finish();
    const tuple = ["--5tuple", "udp", "10.0.0.2", "2000", "10.0.0.1", "1000"];

    // Act
    const hit = find([...tuple, "--from", "99", "--to", "101", "--pcap", dir]);
    const miss = find([
      ...tuple,
      "--from",
      "1970-01-01T01:00:00Z",
      "--to",
      "1970-01-01T02:00:00Z",
      "--pcap",
      dir,
    ]);
    const usage = find([...tuple, "--pcap", dir]);

    // Assess
    expect(hit.status, hit.stderr).toBe(0);
    expect(hit.stdout).toBe(`${join(dir, "w0", "100000000-100000000-w0.pcap")}\n`);
    expect(miss.status).toBe(1);
    expect(usage.status).toBe(64);
    expect(usage.stderr).toMatch(/--5tuple needs --from and --to/);
  });
});

describe("the ring's settings", () => {
  it("take pcapMaxGB in GiB and refuse the other pcap fields without it", () => {
    // Prepare / Act
    const ok = parseSensorFile({ out: "/x", pcapMaxGB: 0.25, pcapS3: "s3://bucket/prefix" });
    const orphan = () => parseSensorFile({ out: "/x", pcapDir: "/p" });
    const badUrl = () => parseSensorFile({ out: "/x", pcapMaxGB: 1, pcapS3: "https://bucket" });

    // Assess
    expect(ok.pcapMaxGB).toBe(0.25);
    expect(orphan).toThrow(/pcapDir: needs pcapMaxGB/);
    expect(badUrl).toThrow(/pcapS3: must be "s3:\/\/<bucket>/);
  });
});
