// Duplicates across sensors, through a real collector over HTTPS: two sensors post conn batches holding the
// same connection (both ends mirrored, the copies hashed to different sensors). The collector stores both
// batches as sent and writes a conn_dup marker batch beside the later one; the "once" view (conn minus
// conn_dup, as the documented Athena query computes it) shows each connection once.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  type DuplicateLimits,
  markerBatchId,
  type RunningCollector,
  startCollector,
  TokenStore,
} from "../../sensor-ami/src/collector/index.js";
import { memoryLog, send, signedBatch } from "./support/client.js";

const T0 = 1_795_000_000;

interface Conn {
  ts: number;
  uid: string;
  community_id?: string;
  duration?: number;
  mirror_src?: string;
  vni?: number;
  instance_id?: string;
}

/** A stored record as Athena reads it: its JSON fields plus the `sensor` partition of its key. */
type Row = Record<string, unknown> & { sensor: string };

let store: string;
let collector: RunningCollector | undefined;
let logged: ReturnType<typeof memoryLog>;
let tokenA: string;
let tokenB: string;

async function start(duplicates: Partial<DuplicateLimits> = {}): Promise<RunningCollector> {
  store = mkdtempSync(join(tmpdir(), "spanless-dup-"));
  const tokens = new TokenStore(join(store, "tokens.json"));
  tokenA = tokens.create("sensor-a");
  tokenB = tokens.create("sensor-b");
  logged = memoryLog();
  collector = await startCollector({ host: "127.0.0.1", port: 0, store, log: logged.log, duplicates });
  return collector;
}

afterEach(async () => {
  await collector?.close();
  collector = undefined;
  rmSync(store, { recursive: true, force: true });
});

function connBatch(token: string, sensorId: string, conns: Conn[]) {
  const body = gzipSync(conns.map((c) => `${JSON.stringify({ ...c, proto: "tcp" })}\n`).join(""));
  return signedBatch(token, { sensorId, log: "conn", records: conns.length, body, created: T0 });
}

async function post(batch: ReturnType<typeof connBatch>): Promise<void> {
  const answer = await send(collector!.url, collector!.tls.cert, batch);
  expect(answer.status, answer.body).toBe(200);
}

/** Every record of `log` in the store, with the sensor of its partition, and the files they came from. */
function rows(log: string): { files: string[]; rows: Row[] } {
  const files: string[] = [];
  const out: Row[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else files.push(relative(join(store, log), path));
    }
  };
  try {
    walk(join(store, log));
  } catch {
    return { files, rows: out };
  }
  for (const file of files.sort()) {
    const sensor = /sensor=([^/]+)\//.exec(file)![1]!;
    const text = gunzipSync(readFileSync(join(store, log, file))).toString("utf8");
    for (const line of text.split("\n").filter(Boolean)) out.push({ ...JSON.parse(line), sensor });
  }
  return { files, rows: out };
}

/** The documented query: conn rows with no conn_dup row of the same uid and sensor. */
function onceView(): Row[] {
  const marked = new Set(rows("conn_dup").rows.map((d) => `${d.sensor}\n${d.uid}`));
  return rows("conn").rows.filter((c) => !marked.has(`${c.sensor}\n${c.uid}`));
}

/** One connection as sensor a's and sensor b's copies log it: same community_id, other mirror source, uid. */
const shared = {
  a: {
    ts: T0,
    uid: "CaShared",
    community_id: "1:shared=",
    duration: 10,
    mirror_src: "10.0.1.5",
    vni: 101,
    instance_id: "i-client",
  },
  b: {
    ts: T0 + 0.2,
    uid: "CbShared",
    community_id: "1:shared=",
    duration: 9.7,
    mirror_src: "10.0.2.9",
    vni: 202,
    instance_id: "i-server",
  },
};

describe("a connection logged by two sensors", () => {
  it("is marked once, naming both copies, and the once view shows each connection once", async () => {
    // Prepare
    await start();
    const a = connBatch(tokenA, "sensor-a", [
      shared.a,
      { ts: T0 + 1, uid: "CaOnly", community_id: "1:a-only=", duration: 1, mirror_src: "10.0.1.5", vni: 101 },
    ]);
    const b = connBatch(tokenB, "sensor-b", [
      { ts: T0 + 2, uid: "CbOnly", community_id: "1:b-only=", duration: 1, mirror_src: "10.0.2.9", vni: 202 },
      shared.b,
    ]);

    // Act
    await post(a);
    await post(b);

    // Assess
    const dup = rows("conn_dup");
    expect(dup.rows).toEqual([
      {
        ts: shared.b.ts,
        uid: "CbShared",
        sensor: "sensor-b",
        community_id: "1:shared=",
        duplicate_of_uid: "CaShared",
        duplicate_of_sensor: "sensor-a",
        mirror_src: "10.0.2.9",
        duplicate_of_mirror_src: "10.0.1.5",
        vni: 202,
        duplicate_of_vni: 101,
        instance_id: "i-server",
        duplicate_of_instance_id: "i-client",
      },
    ]);
    // Beside its source batch: same partition, id derived from the source's.
    expect(dup.files).toEqual([
      `dt=2026-11-18/hour=11/sensor=sensor-b/${markerBatchId(b.meta.batchId)}.json.gz`,
    ]);
    const bKey = `dt=2026-11-18/hour=11/sensor=sensor-b/${b.meta.batchId}.json.gz`;
    expect(rows("conn").files).toContain(bKey);
    expect(readFileSync(join(store, "conn", bKey)).equals(b.body)).toBe(true);
    expect(rows("conn").rows).toHaveLength(4); // both batches stored exactly as sent
    const once = onceView();
    expect(once.map((r) => r.uid).sort()).toEqual(["CaOnly", "CaShared", "CbOnly"]);
    const perConnection = once.map((r) => r.community_id);
    expect(new Set(perConnection).size).toBe(perConnection.length);
    expect(logged.entries.filter((e) => e.event === "batch-stored").map((e) => e.conn_dup)).toEqual([
      undefined,
      1,
    ]);
  });

  it("is not marked when one sensor logs it twice", async () => {
    // Prepare
    await start();
    const first = connBatch(tokenA, "sensor-a", [shared.a]);
    const second = connBatch(tokenA, "sensor-a", [{ ...shared.b, mirror_src: "10.0.1.5" }]);

    // Act
    await post(first);
    await post(second);

    // Assess
    expect(rows("conn_dup").rows).toEqual([]);
    expect(onceView()).toHaveLength(2);
  });

  it("is not marked when the two copies do not overlap in time (beyond the slack)", async () => {
    // Prepare
    await start({ slackSeconds: 5 });
    const a = connBatch(tokenA, "sensor-a", [
      { ...shared.a, duration: 10 },
      { ts: T0, uid: "CaNear", community_id: "1:near=", duration: 10, mirror_src: "10.0.1.5" },
    ]);
    const b = connBatch(tokenB, "sensor-b", [
      { ...shared.b, ts: T0 + 10 + 6 }, // starts 6 s after a's copy ended
      { ts: T0 + 10 + 4, uid: "CbNear", community_id: "1:near=", duration: 1, mirror_src: "10.0.2.9" },
    ]);

    // Act
    await post(a);
    await post(b);

    // Assess
    expect(rows("conn_dup").rows.map((d) => [d.uid, d.duplicate_of_uid])).toEqual([["CbNear", "CaNear"]]);
  });

  it("is never matched without a community_id, nor on the same mirror source", async () => {
    // Prepare
    await start();
    const { community_id: _a, ...aWithout } = shared.a;
    const { community_id: _b, ...bWithout } = shared.b;
    const a = connBatch(tokenA, "sensor-a", [
      aWithout,
      { ...shared.a, uid: "CaSame", community_id: "1:same=" },
    ]);
    // Same mirror source on both sensors: the NLB moved one flow, each sensor saw half of the same packets.
    const b = connBatch(tokenB, "sensor-b", [
      bWithout,
      { ...shared.b, uid: "CbSame", community_id: "1:same=", mirror_src: shared.a.mirror_src },
    ]);

    // Act
    await post(a);
    await post(b);

    // Assess
    expect(rows("conn_dup").rows).toEqual([]);
  });

  it("replayed (same id, same body) does not add a second marker", async () => {
    // Prepare
    await start();
    const a = connBatch(tokenA, "sensor-a", [shared.a]);
    const b = connBatch(tokenB, "sensor-b", [shared.b]);
    const retry = { ...b, headers: signedBatch(tokenB, { ...b.meta, body: b.body }).headers };

    // Act
    await post(a);
    await post(b);
    await post(retry);
    await Promise.all([1, 2, 3].map(() => post(b)));

    // Assess
    const dup = rows("conn_dup");
    expect(dup.files).toHaveLength(1);
    expect(dup.rows.map((d) => d.uid)).toEqual(["CbShared"]);
    expect(onceView().map((r) => r.uid)).toEqual(["CaShared"]);
    expect(collector!.duplicates.stats().entries).toBe(2);
  });

  it("is not marked once the first copy was evicted, oldest first, and evictions are counted", async () => {
    // Prepare: room for two entries, and an hour of record time.
    await start({ maxEntries: 2, maxAgeSeconds: 3_600 });
    const a = connBatch(tokenA, "sensor-a", [
      shared.a,
      { ts: T0 + 1, uid: "CaY", community_id: "1:y=", mirror_src: "10.0.1.5" },
      { ts: T0 + 2, uid: "CaZ", community_id: "1:z=", mirror_src: "10.0.1.5" },
    ]);
    const late = connBatch(tokenA, "sensor-a", [
      { ts: T0 + 2 * 3_600, uid: "CaLate", community_id: "1:late=", mirror_src: "10.0.1.5" },
    ]);
    const b = connBatch(tokenB, "sensor-b", [
      shared.b,
      { ts: T0 + 2, uid: "CbZ", community_id: "1:z=", mirror_src: "10.0.2.9" },
    ]);

    // Act
    await post(a);
    const afterA = collector!.duplicates.stats();
    await post(late);
    const afterLate = collector!.duplicates.stats();
    await post(b);

    // Assess
    expect(afterA).toEqual({ entries: 2, evictedForSpace: 1, evictedForAge: 0 });
    expect(afterLate).toEqual({ entries: 1, evictedForSpace: 2, evictedForAge: 1 });
    // The shared connection's first copy went for space, CaZ for age: both of b's copies stand (seen twice,
    // never hidden).
    expect(rows("conn_dup").rows).toEqual([]);
    expect(collector!.duplicates.stats().entries).toBeLessThanOrEqual(2);
  });
});

describe("the conn_dup log type", () => {
  it("is the collector's own: a sensor's conn_dup batch is refused and not stored", async () => {
    // Prepare
    await start();
    const forged = signedBatch(tokenA, {
      log: "conn_dup",
      records: 1,
      body: gzipSync('{"uid":"CaShared"}\n'),
    });

    // Act
    const answer = await send(collector!.url, collector!.tls.cert, forged);

    // Assess
    expect(answer.status).toBe(400);
    expect(rows("conn_dup").files).toEqual([]);
    expect(logged.entries.find((e) => e.event === "batch-rejected")).toMatchObject({
      reason: "malformed-header",
      detail: "log conn_dup is reserved",
    });
  });
});
