// The whole data path on loopback: spanless sensor uploads to spanless collector (real processes,
// real TLS with the collector's self-signed certificate, a real push token).
import { type ChildProcess, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";
import { startCollector, storedRecords } from "./support/collector.js";
import {
  CLI,
  type LiveSensor,
  NODE,
  readLiveLog,
  replay,
  startSensor,
  vxlanDatagrams,
  waitForDatagrams,
} from "./support/live.js";

const children: ChildProcess[] = [];
const sensors: LiveSensor[] = [];

afterEach(async () => {
  for (const s of sensors.splice(0)) if (s.proc.exitCode === null) await s.stop("SIGKILL");
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

const key = (r: Record<string, unknown>) => JSON.stringify(r);
const sortedLines = (rs: Record<string, unknown>[]) => rs.map(key).sort();

function tokenFor(store: string): string {
  const r = spawnSync(NODE, [CLI, "token", "create", "sensor-a", "--store", store], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

function sensorConfig(dir: string, out: string, store: string, port: number, token: string): string {
  const file = join(dir, "sensor.json");
  writeFileSync(
    file,
    JSON.stringify({
      out,
      collectorUrl: `https://127.0.0.1:${port}/`,
      pushToken: token,
      collectorCaFile: join(store, ".collector", "tls", "collector-cert.pem"),
      sensorId: "sensor-a",
    }),
    { mode: 0o600 },
  );
  return file;
}

const LOGS = ["conn", "dns", "http", "ssl", "weird"];

describe.skipIf(!corpusAvailable())("sensor to collector", () => {
  it("every record the sensor logs reaches the collector once, signed, over TLS", async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-ship-"));
    const store = join(dir, "store");
    const out = join(dir, "logs");
    const token = tokenFor(store);
    const collector = await startCollector(store);
    children.push(collector.proc);
    const config = sensorConfig(dir, out, store, collector.port, token);
    const s = await startSensor(["--config", config, "--workers", "2"]);
    sensors.push(s);
    const capture = join(CORPUS_DIR, "zeek/wikipedia.pcap");

    // Act
    replay(capture, s.port, ["--top"]);
    await waitForDatagrams(s, vxlanDatagrams(capture, 1).length);
    expect(await s.stop()).toBe(0);
    await collector.stop();

    // Assess
    const got = storedRecords(store);
    for (const log of LOGS)
      expect(sortedLines(got.get(log) ?? []), log).toEqual(sortedLines(readLiveLog(out, log)));
    expect((got.get("conn") ?? []).length).toBeGreaterThan(0);
    expect(readFileSync(config, "utf8")).toContain(token);
    expect(s.stderr()).not.toContain(token.split(":")[1]);
  }, 60_000);

  it("a collector down for a while and a sensor restarted mid-run: nothing lost, nothing twice", async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-ship-"));
    const store = join(dir, "store");
    const out = join(dir, "logs");
    const token = tokenFor(store);
    let collector = await startCollector(store);
    children.push(collector.proc);
    const port = collector.port;
    const config = sensorConfig(dir, out, store, port, token);
    const capture = join(CORPUS_DIR, "zeek/wikipedia.pcap");
    const frames = vxlanDatagrams(capture, 1).length;

    // Act: the collector goes away; a first sensor run ends with its batches spooled.
    await collector.stop();
    const first = await startSensor(["--config", config, "--workers", "1"]);
    sensors.push(first);
    replay(capture, first.port, ["--top", "--vni", "1"]);
    await waitForDatagrams(first, frames);
    expect(await first.stop()).toBe(0);
    expect(first.stderr()).toMatch(/stay in the spool for the next start/);
    // The collector comes back on the same port; a second run resends the spool and adds its own.
    collector = await startCollector(store, port);
    children.push(collector.proc);
    const second = await startSensor(["--config", config, "--workers", "1"]);
    sensors.push(second);
    replay(capture, second.port, ["--top", "--vni", "2"]);
    await waitForDatagrams(second, frames);
    for (let i = 0; i < 100; i++) {
      const st = (await second.status()) as unknown as {
        snapshot: { shipping?: { spoolBacklogBatches: number } };
      };
      if (st.snapshot.shipping?.spoolBacklogBatches === 0 && i > 5) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await second.stop()).toBe(0);
    await collector.stop();

    // Assess: the collector holds exactly what the two runs logged locally.
    const got = storedRecords(store);
    for (const log of LOGS) {
      const local = sortedLines(readLiveLog(out, log));
      expect(sortedLines(got.get(log) ?? []), log).toEqual(local);
      expect(new Set(local).size, `${log}: no duplicate lines`).toBe(local.length);
    }
    expect(new Set((got.get("conn") ?? []).map((r) => r.vni))).toEqual(new Set([1, 2]));
    expect(existsSync(join(out, ".spool"))).toBe(true);
  }, 90_000);

  it("a torn spool file (a power cut) is set aside with a weird, and the sensor runs on", async () => {
    // Prepare: a spool holding a file that ends mid-batch.
    const dir = mkdtempSync(join(tmpdir(), "spanless-ship-"));
    const store = join(dir, "store");
    const out = join(dir, "logs");
    const token = tokenFor(store);
    const collector = await startCollector(store);
    children.push(collector.proc);
    const config = sensorConfig(dir, out, store, collector.port, token);
    mkdirSync(join(out, ".spool"), { recursive: true });
    writeFileSync(join(out, ".spool", `000000000001-${"ab".repeat(16)}.batch`), "SPANLESS-SPOOL torn");

    // Act
    const s = await startSensor(["--config", config, "--workers", "1"]);
    sensors.push(s);
    const capture = join(CORPUS_DIR, "zeek/wikipedia.pcap");
    replay(capture, s.port, ["--top"]);
    await waitForDatagrams(s, vxlanDatagrams(capture, 1).length);
    expect(await s.stop()).toBe(0);
    await collector.stop();

    // Assess
    const weirds = readLiveLog(out, "weird").filter((r) => r.name === "spool_file_corrupt");
    expect(weirds).toHaveLength(1);
    expect(weirds[0]).toMatchObject({ peer: "spanless", source: "ship" });
    expect(existsSync(join(out, ".spool", "corrupt"))).toBe(true);
    expect((storedRecords(store).get("conn") ?? []).length).toBe(readLiveLog(out, "conn").length);
  }, 60_000);
});
