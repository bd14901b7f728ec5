// The Shipper end to end on loopback, against a real HTTPS collector that verifies every request
// with contracts/upload and a real HTTP CONNECT proxy: delivery and signatures, an outage, a restart
// with a spool left behind, a full spool, a collector failing forever, Retry-After, a refused batch,
// a torn spool file, TLS verification, and the proxy with and without credentials. The token's secret
// and the proxy's password must appear in no log line and no status.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Shipper, type ShipperOptions } from "../../sensor-ami/src/ship/index.js";
import {
  type Certificate,
  hasOpenssl,
  makeCertificate,
  PROXY_PASS,
  PROXY_USER,
  records,
  SECRET,
  seqsOf,
  TestCollector,
  TestProxy,
  TOKEN,
  until,
} from "./support.js";

const OPENSSL = hasOpenssl();
if (!OPENSSL)
  console.warn("test/ship/shipper.test.ts: skipped, `openssl` is not on PATH (it makes the test CA)");

const dirs: string[] = [];
/** A fresh spool directory, removed after the file's tests. */
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), "spanless-ship-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe.skipIf(!OPENSSL)("Shipper against a real HTTPS collector", () => {
  let cert: Certificate;
  const cleanup: (() => Promise<unknown>)[] = [];
  const logLines: string[] = [];

  beforeAll(() => {
    cert = makeCertificate();
    dirs.push(cert.dir);
  });

  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
    if (process.env.SHIP_TEST_LOG) console.log(logLines.join("\n"));
    // Assess (every test): neither secret reached a log line.
    for (const line of logLines) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(PROXY_PASS);
    }
    logLines.length = 0;
  });

  async function collector(): Promise<TestCollector> {
    const c = await new TestCollector(cert).start();
    cleanup.push(() => c.stop());
    return c;
  }

  function shipper(url: string, options: Partial<ShipperOptions> = {}): Shipper {
    const s = new Shipper({
      dir: options.dir ?? tmp(),
      collectorUrl: url,
      pushToken: TOKEN,
      proxy: "none",
      caFile: cert.certFile,
      sensorId: "i-0123456789abcdef0",
      spoolMaxBytes: 64 * 1024 * 1024,
      batchMaxAgeMs: 100,
      backoffBaseMs: 20,
      backoffMaxMs: 200,
      log: (line) => logLines.push(line),
      ...options,
    });
    cleanup.push(() => s.close());
    return s;
  }

  it("delivers signed batches per log type whose bodies decompress to the lines given", async () => {
    // Prepare
    const c = await collector();
    const s = shipper(c.url);

    // Act
    s.accept([records("conn", 0, 100), records("dns", 0, 30)]);
    s.accept([records("conn", 100, 50)]);
    const left = await s.close({ flushWithinMs: 10_000 });

    // Assess
    expect(left).toEqual({ leftBatches: 0, leftRecords: 0 });
    expect(seqsOf(c.lines("conn"))).toEqual(range(0, 150));
    expect(seqsOf(c.lines("dns"))).toEqual(range(0, 30));
    expect(c.attempts.every((a) => a.verified && a.status === 200)).toBe(true);
    const status = s.status();
    expect(status).toMatchObject({
      collectorConnectivity: "ok",
      lastError: null,
      spoolBacklogBatches: 0,
      spoolBacklogBytes: 0,
      dropped: 0,
      rejected: 0,
      uploadedBatches: c.stored.size,
      uploadedRecords: 180,
    });
    expect(status.lastUploadAt).toBeGreaterThan(Date.now() - 60_000);
    expect(status.uploadedBytes).toBeGreaterThan(0);
  });

  it("refuses a collector whose certificate it cannot verify (no custom CA)", async () => {
    // Prepare
    const c = await collector();
    const s = shipper(c.url, { caFile: undefined });

    // Act
    s.accept([records("conn", 0, 5)]);
    await until(() => s.status().collectorConnectivity === "failing", "a failing upload");

    // Assess
    expect(c.stored.size).toBe(0);
    expect(s.status().lastError).toMatch(/certificate/i);
    expect(s.status().spoolBacklogBatches).toBe(1);
  });

  it("keeps everything through an outage and delivers it exactly once when the collector is back", async () => {
    // Prepare
    const c = await collector();
    const port = c.port;
    await c.stop();
    const s = shipper(c.url, { batchMaxBytes: 2000 });

    // Act: batches cut while the collector is away
    for (let i = 0; i < 10; i++) s.accept([records("conn", i * 20, 20)]);
    await until(() => s.status().spoolBacklogBatches >= 10, "the batches in the spool");
    await until(() => s.status().collectorConnectivity === "failing", "failing uploads");
    const during = s.status();
    await c.start(port);
    await until(() => s.status().spoolBacklogBatches === 0, "an empty spool");

    // Assess
    expect(during.lastError).toMatch(/ECONNREFUSED/);
    expect(seqsOf(c.lines("conn")).sort((a, b) => a - b)).toEqual(range(0, 200));
    const accepted = c.attempts.filter((a) => a.status === 200).map((a) => a.batchId);
    expect(new Set(accepted).size).toBe(accepted.length);
    expect(s.status()).toMatchObject({ collectorConnectivity: "ok", dropped: 0, uploadedRecords: 200 });
  });

  it("resends what a stopped sensor left in its spool, with the same batch IDs", async () => {
    // Prepare: the collector verifies but answers 503 without Retry-After, so nothing is stored
    const c = await collector();
    c.answer = () => ({ status: 503 });
    const dir = tmp();
    const first = shipper(c.url, { dir, batchMaxBytes: 3000 });
    first.accept([records("conn", 0, 60), records("dns", 0, 10)]);
    await until(() => first.status().spoolBacklogBatches >= 3 && c.attempts.length >= 3, "tried batches");
    const left = await first.close();
    const triedIds = new Set(c.attempts.map((a) => a.batchId));
    const spooledIds = readdirSync(dir)
      .filter((n) => n.endsWith(".batch"))
      .map((n) => n.slice(13, 45));

    // Act
    c.answer = () => undefined;
    const second = shipper(c.url, { dir });
    await until(() => second.status().spoolBacklogBatches === 0, "an empty spool");

    // Assess
    expect(seqsOf(c.lines("conn")).sort((a, b) => a - b)).toEqual(range(0, 60));
    expect(seqsOf(c.lines("dns"))).toEqual(range(0, 10));
    expect([...c.stored.keys()].sort()).toEqual(spooledIds.sort());
    expect([...triedIds].every((id) => spooledIds.includes(id!))).toBe(true);
    expect(left.leftBatches).toBe(spooledIds.length);
    expect(left.leftRecords).toBe(70);
  });

  it("drops the oldest batches when the spool is full, counts them and says so", async () => {
    // Prepare: no collector; room for about three batches of ~3 KB
    const c = await collector();
    const port = c.port;
    await c.stop();
    const s = shipper(c.url, { spoolMaxBytes: 10_000 });

    // Act: ten batches (each accept is cut by age before the next), one at a time
    for (let i = 0; i < 10; i++) {
      s.accept([records("conn", i * 40, 40, 60, true)]);
      await until(() => s.status().pendingBytes === 0, "the batch in the spool");
    }
    const full = s.status();
    await c.start(port);
    await until(() => s.status().spoolBacklogBatches === 0, "an empty spool");

    // Assess: the newest made it, the oldest were dropped, the counts add up
    expect(full.dropped).toBeGreaterThan(0);
    expect(full.spoolBacklogBytes).toBeLessThanOrEqual(10_000);
    const delivered = seqsOf(c.lines("conn"));
    expect(delivered).toContain(399);
    expect(delivered).not.toContain(0);
    expect(delivered.length + full.droppedRecords).toBe(400);
    expect(logLines.some((l) => /dropped \d+ batches \(\d+ records\), spool-full: the oldest/.test(l))).toBe(
      true,
    );
  });

  it("grows the spool to its bound and no further while the collector answers 500", async () => {
    // Prepare
    const c = await collector();
    c.answer = () => ({ status: 500 });
    const dir = tmp();
    const bound = 20_000;
    const s = shipper(c.url, { dir, spoolMaxBytes: bound, batchMaxAgeMs: 30 });

    // Act
    const peaks: number[] = [];
    for (let i = 0; i < 40; i++) {
      s.accept([records("conn", i * 40, 40, 40, true)]);
      await until(() => s.status().pendingBytes === 0, "the batch in the spool");
      peaks.push(s.status().spoolBacklogBytes);
    }
    const onDisk = readdirSync(dir)
      .filter((n) => n.endsWith(".batch"))
      .reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);

    // Assess
    expect(Math.max(...peaks)).toBeLessThanOrEqual(bound);
    expect(peaks.at(-1)).toBeGreaterThan(bound * 0.7);
    expect(onDisk).toBeLessThanOrEqual(bound);
    expect(s.status()).toMatchObject({ collectorConnectivity: "failing", uploadedBatches: 0 });
    expect(s.status().dropped).toBeGreaterThan(20);
    expect(s.status().lastError).toContain("answered 500");
    expect(c.stored.size).toBe(0);
  });

  it("waits as long as a 503's Retry-After says before trying again", async () => {
    // Prepare: the first attempt is answered 503, Retry-After: 1; backoff alone would retry in ≤ 20 ms
    const c = await collector();
    c.answer = (n) => (n === 1 ? { status: 503, headers: { "retry-after": "1" } } : undefined);
    const s = shipper(c.url);

    // Act
    s.accept([records("conn", 0, 10)]);
    await until(() => s.status().uploadedBatches === 1, "the batch uploaded");

    // Assess
    const [first, second] = c.attempts;
    const waited = second!.at - first!.at;
    expect(first!.status).toBe(503);
    expect(second!.batchId).toBe(first!.batchId);
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(waited).toBeLessThan(3000);
    expect(s.status().collectorConnectivity).toBe("ok");
  });

  it("moves a batch refused with 401 to rejected/, counts it and does not retry it", async () => {
    // Prepare
    const c = await collector();
    c.answer = () => ({ status: 401 });
    const dir = tmp();
    const s = shipper(c.url, { dir });

    // Act
    s.accept([records("conn", 0, 10)]);
    await until(() => s.status().rejected === 1, "the batch rejected");
    await new Promise((r) => setTimeout(r, 300));

    // Assess
    expect(c.attempts).toHaveLength(1);
    expect(readdirSync(join(dir, "rejected"))).toEqual([expect.stringContaining(c.attempts[0]!.batchId!)]);
    expect(s.status()).toMatchObject({ rejected: 1, rejectedRecords: 10, spoolBacklogBatches: 0 });
    expect(s.status().lastError).toContain("answered 401");
    expect(logLines.some((l) => l.includes("refused for good (401)"))).toBe(true);
  });

  it("skips and reports a torn spool file, and sends the rest", async () => {
    // Prepare: three batches spooled while the collector is away, then one of them cut short
    const c = await collector();
    const port = c.port;
    await c.stop();
    const dir = tmp();
    const first = shipper(c.url, { dir });
    for (const log of ["conn", "dns", "http"]) {
      first.accept([records(log, 0, 10)]);
      await until(() => first.status().pendingBytes === 0, "the batch in the spool");
    }
    await first.close();
    const files = readdirSync(dir)
      .filter((n) => n.endsWith(".batch"))
      .sort();
    truncateSync(join(dir, files[1]!), 30);

    // Act
    await c.start(port);
    const second = shipper(c.url, { dir });
    await until(() => second.status().spoolBacklogBatches === 0, "an empty spool");

    // Assess
    expect([...c.stored.values()].map((b) => b.meta.log).sort()).toEqual(["conn", "http"]);
    expect(second.status().corrupt).toBe(1);
    expect(readdirSync(join(dir, "corrupt"))).toEqual([files[1]]);
    expect(logLines.some((l) => l.includes("spool_file_corrupt"))).toBe(true);
  });

  it("counts batches it cannot store when the spool directory is gone, tells them once, and keeps running", async () => {
    // Prepare: the spool directory replaced by a file after the start
    const c = await collector();
    const dir = tmp();
    const s = shipper(c.url, { dir, batchMaxAgeMs: 20 });
    rmSync(dir, { recursive: true });
    writeFileSync(dir, "not a directory");

    // Act
    for (let i = 0; i < 5; i++) {
      s.accept([records("conn", i * 10, 10)]);
      await until(() => s.status().pendingBytes === 0, "the batch handled");
    }

    // Assess
    expect(s.status()).toMatchObject({ dropped: 5, droppedRecords: 50, spoolBacklogBatches: 0 });
    const lines = logLines.filter((l) => l.includes("store-failed"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /dropped 1 batches \(10 records\), store-failed: conn records never reached the spool: cannot store batch/,
    );
    await s.close();
    expect(logLines.filter((l) => l.includes("store-failed")).at(-1)).toContain(
      "dropped 4 batches (40 records)",
    );
  });

  it("keeps at most two requests in flight", async () => {
    // Prepare: a slow collector and a backlog of small batches
    const c = await collector();
    c.delayMs = 100;
    const s = shipper(c.url, { batchMaxBytes: 500 });

    // Act
    for (let i = 0; i < 12; i++) s.accept([records("conn", i * 5, 5)]);
    await until(() => s.status().uploadedRecords === 60, "every batch uploaded");

    // Assess
    expect(c.maxInFlight).toBe(2);
    expect(seqsOf(c.lines("conn")).sort((a, b) => a - b)).toEqual(range(0, 60));
  });

  it("retries at once, without backoff or warning, when a kept-alive connection was closed under it", async () => {
    // Prepare: one request at a time, so the second batch reuses the first one's connection
    const c = await collector();
    c.resetReused = true;
    const s = shipper(c.url, { concurrency: 1, backoffBaseMs: 60_000, backoffMaxMs: 60_000 });

    // Act
    s.accept([records("conn", 0, 5)]);
    await until(() => s.status().uploadedBatches === 1, "the first batch");
    s.accept([records("conn", 5, 5)]);
    await until(() => s.status().uploadedBatches === 2, "the second batch");

    // Assess
    expect(c.resets).toBe(1);
    expect(s.status()).toMatchObject({ collectorConnectivity: "ok", failedAttempts: 0 });
    expect(logLines.filter((l) => l.startsWith("warning"))).toEqual([]);
    expect(seqsOf(c.lines("conn"))).toEqual(range(0, 10));
  });

  it("abandons a request the collector never answers, retries it, and still closes by its deadline", async () => {
    // Prepare
    const c = await collector();
    c.delayMs = Number.POSITIVE_INFINITY;
    const s = shipper(c.url, { requestTimeoutMs: 300 });
    s.accept([records("conn", 0, 10)]);
    await until(() => c.attempts.length >= 2, "a second attempt");

    // Act
    const started = performance.now();
    const left = await s.close({ flushWithinMs: 200 });
    const took = performance.now() - started;

    // Assess: the same batch every time; it stays spooled
    expect(new Set(c.attempts.map((a) => a.batchId)).size).toBe(1);
    expect(s.status().lastError).toContain("no progress for 300 ms");
    expect(left).toEqual({ leftBatches: 1, leftRecords: 10 });
    expect(took).toBeLessThan(1500);
  });

  it("loses nothing that reached the spool when the sensor process is killed (SIGKILL)", async () => {
    // Prepare: a child process ships to a collector that answers 503, and is killed mid-run
    const c = await collector();
    c.answer = () => ({ status: 503 });
    const dir = tmp();
    const script = join(tmp(), "child.mjs");
    const source = `
      import { Shipper } from "../../sensor-ami/src/ship/index.ts";
      const [dir, url, caFile, token] = process.argv.slice(2);
      const s = new Shipper({ dir, collectorUrl: url, pushToken: token, caFile, sensorId: "child",
        spoolMaxBytes: 1 << 26, batchMaxAgeMs: 30, backoffBaseMs: 10, backoffMaxMs: 50 });
      let seq = 0;
      setInterval(() => {
        let text = "";
        for (let i = 0; i < 10; i++) text += JSON.stringify({ log: "conn", seq: seq++ }) + "\\n";
        s.accept([{ path: "conn", text, records: 10 }]);
      }, 10);`;
    const built = buildSync({
      stdin: { contents: source, loader: "ts", resolveDir: __dirname },
      bundle: true,
      platform: "node",
      format: "esm",
      write: false,
    });
    writeFileSync(script, built.outputFiles[0]!.text);
    const child = spawn(process.execPath, [script, dir, c.url, cert.certFile, TOKEN], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const spooled = () => readdirSync(dir).filter((n) => n.endsWith(".batch"));
    await until(() => spooled().length >= 8 && c.attempts.length >= 3, "batches spooled and tried");

    // Act
    child.kill("SIGKILL");
    await exited;
    const ids = spooled().map((n) => n.slice(13, 45));
    const tried = new Set(c.attempts.map((a) => a.batchId));
    c.answer = () => undefined;
    const s = shipper(c.url, { dir });
    await until(() => s.status().spoolBacklogBatches === 0, "an empty spool");

    // Assess: every spooled batch arrived once, under the ID it was spooled (and tried) with,
    // each a run of consecutive records from the start
    expect([...c.stored.keys()].sort()).toEqual([...ids].sort());
    expect([...tried].every((id) => ids.includes(id!))).toBe(true);
    const seqs = seqsOf(c.lines("conn")).sort((a, b) => a - b);
    expect(seqs).toEqual(range(0, seqs.length));
    expect(s.status().corrupt).toBe(0);
  });

  describe("through an HTTP CONNECT proxy", () => {
    async function proxy(credentials?: { user: string; pass: string }): Promise<TestProxy> {
      const p = await new TestProxy(credentials).start();
      cleanup.push(() => p.stop());
      return p;
    }

    it("uploads through a proxy that wants no credentials", async () => {
      // Prepare
      const c = await collector();
      const p = await proxy();
      const s = shipper(c.url, { proxy: p.url });

      // Act
      s.accept([records("conn", 0, 20)]);
      await s.close({ flushWithinMs: 10_000 });

      // Assess
      expect(seqsOf(c.lines("conn"))).toEqual(range(0, 20));
      expect(p.connects[0]).toEqual({ target: `127.0.0.1:${c.port}`, authorized: true });
    });

    it("uploads through an https:// proxy, trusting it with the custom CA", async () => {
      // Prepare
      const c = await collector();
      const p = await new TestProxy(undefined, cert).start();
      cleanup.push(() => p.stop());
      const s = shipper(c.url, { proxy: p.url });

      // Act
      s.accept([records("conn", 0, 20)]);
      await s.close({ flushWithinMs: 10_000 });

      // Assess
      expect(p.url).toMatch(/^https:/);
      expect(seqsOf(c.lines("conn"))).toEqual(range(0, 20));
      expect(p.connects).toHaveLength(1);
    });

    it("uploads with the proxy URL's credentials, and is refused (407) without the right ones", async () => {
      // Prepare
      const c = await collector();
      const p = await proxy({ user: PROXY_USER, pass: PROXY_PASS });
      const host = `127.0.0.1:${p.port}`;
      const good = shipper(c.url, {
        proxy: `http://${PROXY_USER}:${encodeURIComponent(PROXY_PASS)}@${host}`,
      });
      const wrong = shipper(c.url, {
        proxy: `http://${PROXY_USER}:not-${encodeURIComponent(PROXY_PASS)}@${host}`,
      });
      const none = shipper(c.url, { proxy: `http://${host}` });

      // Act
      good.accept([records("conn", 0, 20)]);
      wrong.accept([records("dns", 0, 5)]);
      none.accept([records("http", 0, 5)]);
      await until(
        () => good.status().spoolBacklogBatches === 0 && good.status().uploadedBatches === 1,
        "upload",
      );
      await until(
        () =>
          wrong.status().collectorConnectivity === "failing" &&
          none.status().collectorConnectivity === "failing",
        "both refused",
      );

      // Assess
      expect([...c.stored.values()].map((b) => b.meta.log)).toEqual(["conn"]);
      for (const refused of [wrong, none]) {
        const status = refused.status();
        expect(status.lastError).toContain("407");
        expect(status.lastError).toMatch(new RegExp(`proxy http://(\\*\\*\\*@)?${host} refused the tunnel`));
        expect(JSON.stringify(status)).not.toContain(PROXY_PASS);
        expect(status.spoolBacklogBatches).toBe(1);
      }
      expect(p.connects.filter((x) => x.authorized)).toHaveLength(1);
      expect(p.connects.filter((x) => !x.authorized).length).toBeGreaterThanOrEqual(2);
    });
  });
});
