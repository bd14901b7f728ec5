// The collector over real HTTPS on loopback with its self-signed certificate: a signed batch is stored once
// at its layout key with the exact bytes sent; everything else is refused with a generic answer, the reason
// in the collector's log, and nothing stored.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TIMESTAMP_WINDOW_SECONDS } from "../../contracts/upload/index.js";
import { type RunningCollector, startCollector, TokenStore } from "../../sensor-ami/src/collector/index.js";
import { memoryLog, post, records, send, signedBatch } from "./support/client.js";

let store: string;
let collector: RunningCollector;
let token: string;
let logged: ReturnType<typeof memoryLog>;
const LIMITS = { maxBodyBytes: 64 * 1024, drainGraceMs: 200 };

/** Every batch file under the store, relative, state directory excluded. */
function storedFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".") || e.name === "tokens.json") continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else out.push(relative(store, path));
    }
  };
  walk(store);
  return out.sort();
}

const rejections = () => logged.entries.filter((e) => e.event === "batch-rejected");

beforeEach(async () => {
  store = mkdtempSync(join(tmpdir(), "spanless-collector-"));
  token = new TokenStore(join(store, "tokens.json")).create("sensor-a");
  logged = memoryLog();
  collector = await startCollector({ host: "127.0.0.1", port: 0, store, log: logged.log, limits: LIMITS });
});

afterEach(async () => {
  await collector.close();
  rmSync(store, { recursive: true, force: true });
});

describe("a signed batch", () => {
  it("is stored at its layout key with the exact bytes sent", async () => {
    // Prepare
    const batch = signedBatch(token, {
      log: "dns",
      records: 5,
      created: Date.UTC(2026, 10, 24, 7, 30) / 1000,
    });

    // Act
    const answer = await send(collector.url, collector.tls.cert, batch);

    // Assess
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: true, duplicate: false });
    const key = `dns/dt=2026-11-24/hour=07/sensor=sensor-1/${batch.meta.batchId}.json.gz`;
    expect(storedFiles()).toEqual([key]);
    expect(readFileSync(join(store, key)).equals(batch.body)).toBe(true);
    expect(logged.entries.find((e) => e.event === "batch-stored")).toMatchObject({
      key,
      records: 5,
      label: "sensor-a",
    });
  });

  it("replayed with the same body is answered 200 and stored once", async () => {
    // Prepare
    const batch = signedBatch(token);
    const retry = { ...batch, headers: signedBatch(token, { ...batch.meta, body: batch.body }).headers };

    // Act
    const first = await send(collector.url, collector.tls.cert, batch);
    const again = await send(collector.url, collector.tls.cert, retry);
    const concurrent = await Promise.all([1, 2, 3].map(() => send(collector.url, collector.tls.cert, batch)));

    // Assess
    expect([first.status, again.status, ...concurrent.map((a) => a.status)]).toEqual([
      200, 200, 200, 200, 200,
    ]);
    expect(JSON.parse(again.body)).toEqual({ ok: true, duplicate: true });
    expect(storedFiles()).toHaveLength(1);
    expect(logged.entries.filter((e) => e.event === "batch-stored")).toHaveLength(1);
  });

  it("replayed with a different body is refused 401 and the first body stays", async () => {
    // Prepare
    const batch = signedBatch(token);
    const other = signedBatch(token, { ...batch.meta, body: records("conn", 3, "other") });

    // Act
    await send(collector.url, collector.tls.cert, batch);
    const answer = await send(collector.url, collector.tls.cert, other);

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).not.toContain("replayed");
    expect(rejections()).toEqual([expect.objectContaining({ reason: "batch-replayed-with-different-body" })]);
    const [file] = storedFiles();
    expect(readFileSync(join(store, file!)).equals(batch.body)).toBe(true);
  });
});

describe("refused batches: nothing stored, reason only in the log", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    [
      "a wrong secret",
      () => signedBatch(token.replace(/:.*/, ":wrong-secret-0123456789")),
      401,
      "bad-signature",
    ],
    ["an unknown label", () => signedBatch("nobody:0123456789abcdef0123"), 401, "unknown-label"],
    [
      "a stale timestamp",
      () => signedBatch(token, { now: now() - TIMESTAMP_WINDOW_SECONDS - 60 }),
      401,
      "stale-timestamp",
    ],
    [
      "a timestamp from the future",
      () => signedBatch(token, { now: now() + TIMESTAMP_WINDOW_SECONDS + 60 }),
      401,
      "stale-timestamp",
    ],
    [
      "a body that is not gzip",
      () => signedBatch(token, { body: Buffer.from('{"a":1}\n') }),
      400,
      "malformed-body",
    ],
    [
      "a record count that lies",
      () => signedBatch(token, { records: 4, body: records("conn", 3) }),
      400,
      "malformed-body",
    ],
  ])("%s", async (_what, make, status, reason) => {
    // Prepare
    const batch = make();

    // Act
    const answer = await send(collector.url, collector.tls.cert, batch);

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body).not.toContain(reason);
    expect(rejections()).toEqual([expect.objectContaining({ status, reason })]);
    expect(storedFiles()).toEqual([]);
  });

  it("a revoked label, also on a collector that was running when it was revoked", async () => {
    // Prepare
    const before = signedBatch(token);
    await send(collector.url, collector.tls.cert, before);
    new TokenStore(join(store, "tokens.json")).revoke("sensor-a");

    // Act
    const answer = await send(collector.url, collector.tls.cert, signedBatch(token));

    // Assess
    expect(answer.status).toBe(401);
    expect(rejections()).toEqual([expect.objectContaining({ reason: "revoked-label" })]);
    expect(storedFiles()).toHaveLength(1);
  });

  it("malformed headers are a 400 naming the header in the log", async () => {
    // Prepare
    const batch = signedBatch(token);
    const headers = { ...batch.headers, "x-spanless-batch": "not-hex" };

    // Act
    const answer = await post(collector.url, collector.tls.cert, headers, batch.body);

    // Assess
    expect(answer.status).toBe(400);
    expect(rejections()).toEqual([
      expect.objectContaining({
        reason: "malformed-header",
        detail: expect.stringContaining("x-spanless-batch"),
      }),
    ]);
    expect(storedFiles()).toEqual([]);
  });

  it("an oversize body is a 413 before it is read", async () => {
    // Prepare
    const big = Buffer.alloc(LIMITS.maxBodyBytes + 1);
    const batch = signedBatch(token, { body: big });

    // Act
    const answer = await send(collector.url, collector.tls.cert, batch);

    // Assess
    expect(answer.status).toBe(413);
    expect(rejections()).toEqual([expect.objectContaining({ reason: "body-too-large" })]);
    expect(storedFiles()).toEqual([]);
  });

  it("an oversize body at the contract's limit (16 MiB) is a 413 on a default collector", async () => {
    // Prepare
    await collector.close();
    collector = await startCollector({
      host: "127.0.0.1",
      port: 0,
      store,
      log: logged.log,
      limits: { drainGraceMs: 200 },
    });
    const batch = signedBatch(token, { body: Buffer.alloc(16 * 1024 * 1024 + 1) });

    // Act
    const answer = await send(collector.url, collector.tls.cert, batch);

    // Assess
    expect(answer.status).toBe(413);
    expect(storedFiles()).toEqual([]);
  });
});

describe("the endpoint", () => {
  it("answers its health path, and 404/405 elsewhere", async () => {
    // Act
    const health = await fetchText(`${collector.url}/v1/health`, "GET");
    const other = await post(collector.url, collector.tls.cert, {}, Buffer.from("x"), "/v2/other");
    const get = await fetchText(`${collector.url}/v1/batches`, "GET");

    // Assess
    expect(health).toBe(200);
    expect(other.status).toBe(404);
    expect(get).toBe(405);
  });

  it("stores the directory sink's files atomically (no temporary files left)", async () => {
    // Act
    await send(collector.url, collector.tls.cert, signedBatch(token));

    // Assess
    const [file] = storedFiles();
    expect(file).toMatch(/\.json\.gz$/);
    const dir = join(store, file!, "..");
    expect(readdirSync(dir)).toHaveLength(1);
    expect(statSync(join(store, file!)).size).toBeGreaterThan(0);
  });
});

async function fetchText(url: string, method: string): Promise<number> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: collector.tls.cert }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}
