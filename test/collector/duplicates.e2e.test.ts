// Duplicates across sensors end to end: two real `spanless sensor` processes upload to one real
// `spanless collector`. Both are fed the same conversation from different mirror sources and VNIs, as when
// both ends are mirrored and the NLB hashes the two sessions to different sensors (a mirrored ENI's session
// carries both directions, so each sensor sees the whole connection). The collector keeps both sensors'
// records and marks one copy of each connection, so the once view has every connection once.
import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { startCollector } from "../daemon/support/collector.js";
import {
  CLI,
  type LiveSensor,
  NODE,
  sendFrom,
  startSensor,
  vxlanDatagrams,
  waitForDatagrams,
} from "../daemon/support/live.js";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";

type Row = Record<string, unknown> & { sensor: string };

const children: ChildProcess[] = [];
const sensors: LiveSensor[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of sensors.splice(0)) if (s.proc.exitCode === null) await s.stop("SIGKILL");
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sensorConfig(dir: string, store: string, port: number, id: string): string {
  const made = spawnSync(NODE, [CLI, "token", "create", id, "--store", store], { encoding: "utf8" });
  expect(made.status, made.stderr).toBe(0);
  const file = join(dir, `${id}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      out: join(dir, id),
      collectorUrl: `https://127.0.0.1:${port}/`,
      pushToken: made.stdout.trim(),
      collectorCaFile: join(store, ".collector", "tls", "collector-cert.pem"),
      sensorId: id,
    }),
    { mode: 0o600 },
  );
  return file;
}

/** Every stored record of `log`, with the sensor of its partition (what Athena's `sensor` column gives). */
function rows(store: string, log: string): Row[] {
  const out: Row[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const sensor = /sensor=([^/]+)\//.exec(relative(store, path))![1]!;
        const text = gunzipSync(readFileSync(path)).toString("utf8");
        for (const line of text.split("\n").filter(Boolean)) out.push({ ...JSON.parse(line), sensor });
      }
    }
  };
  try {
    walk(join(store, log));
  } catch {
    // no batch of this log
  }
  return out;
}

const countBy = (rs: Row[], key: (r: Row) => string) => {
  const m = new Map<string, number>();
  for (const r of rs) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
  return m;
};

describe.skipIf(!corpusAvailable())("two sensors, one conversation, one collector", () => {
  it("stores both sensors' records and marks one copy of each connection", async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-dup-e2e-"));
    dirs.push(dir);
    const store = join(dir, "store");
    const c = await startCollector(store);
    children.push(c.proc);
    const capture = join(CORPUS_DIR, "ja4/tls3.pcapng");
    const fromA = vxlanDatagrams(capture, 10).map((d) => ({ bytes: d.bytes, from: "127.0.0.2" }));
    const fromB = vxlanDatagrams(capture, 20).map((d) => ({ bytes: d.bytes, from: "127.0.0.3" }));
    const a = await startSensor(["--config", sensorConfig(dir, store, c.port, "sensor-a"), "--workers", "1"]);
    sensors.push(a);
    const b = await startSensor(["--config", sensorConfig(dir, store, c.port, "sensor-b"), "--workers", "1"]);
    sensors.push(b);

    // Act: stopping a sensor uploads what it logged.
    await sendFrom(a.port, fromA);
    await sendFrom(b.port, fromB);
    await waitForDatagrams(a, fromA.length);
    await waitForDatagrams(b, fromB.length);
    expect(await a.stop(), a.stderr()).toBe(0);
    expect(await b.stop(), b.stderr()).toBe(0);
    await c.stop();

    // Assess
    const conn = rows(store, "conn").filter((r) => typeof r.community_id === "string");
    const perSensor = countBy(conn, (r) => r.sensor);
    expect(perSensor.get("sensor-a")).toBeGreaterThan(10); // the capture holds a few dozen connections
    expect(perSensor.get("sensor-b")).toBe(perSensor.get("sensor-a"));
    const dup = rows(store, "conn_dup");
    expect(dup).toHaveLength(perSensor.get("sensor-a")!);
    for (const d of dup) {
      expect([d.sensor, d.duplicate_of_sensor].sort()).toEqual(["sensor-a", "sensor-b"]);
      expect([d.mirror_src, d.duplicate_of_mirror_src].sort()).toEqual(["127.0.0.2", "127.0.0.3"]);
      expect([d.vni, d.duplicate_of_vni].sort()).toEqual([10, 20]);
    }
    // The once view (conn minus conn_dup on uid and sensor) holds one sensor's worth of each connection.
    const marked = new Set(dup.map((d) => `${d.sensor}\n${d.uid}`));
    const once = conn.filter((r) => !marked.has(`${r.sensor}\n${r.uid}`));
    const oneSensor = conn.filter((r) => r.sensor === "sensor-a");
    expect(countBy(once, (r) => String(r.community_id))).toEqual(
      countBy(oneSensor, (r) => String(r.community_id)),
    );
  }, 90_000);
});
