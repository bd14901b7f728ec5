// The whole data path on loopback: spanless sensor uploads to spanless collector (real processes,
// real TLS with the collector's self-signed certificate, a real push token).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";
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

interface Collector {
  proc: ChildProcess;
  port: number;
  store: string;
  stop: () => Promise<void>;
}

/** Starts `spanless collector` on loopback; resolves with its port once it listens. */
async function startCollector(store: string, port = 0): Promise<Collector> {
  const proc = spawn(NODE, [CLI, "collector", "--listen", `127.0.0.1:${port}`, "--store", store], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(proc);
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  for (let i = 0; i < 500 && !/listening on https:\/\/[^:]+:(\d+)/.test(out); i++)
    await new Promise((r) => setTimeout(r, 20));
  const m = /listening on https:\/\/[^:]+:(\d+)/.exec(out);
  if (m === null) throw new Error(`collector did not start:\n${out}`);
  const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()));
  return {
    proc,
    port: Number(m[1]),
    store,
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

/** Every record the collector stored, per log (the first path component of its layout). */
function stored(store: string): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  const walk = (dir: string, log: string | undefined) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!name.startsWith(".")) walk(path, log ?? name);
      } else if (name.endsWith(".json.gz") && log !== undefined) {
        const lines = gunzipSync(readFileSync(path)).toString().split("\n").filter(Boolean);
        out.set(log, [
          ...(out.get(log) ?? []),
          ...lines.map((l) => JSON.parse(l) as Record<string, unknown>),
        ]);
      }
    }
  };
  walk(store, undefined);
  return out;
}

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
    const got = stored(store);
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
    const got = stored(store);
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
    expect((stored(store).get("conn") ?? []).length).toBe(readLiveLog(out, "conn").length);
  }, 60_000);
});
