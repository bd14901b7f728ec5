// The VNI map's fetch from S3 (daemon/vni-map-fetch.ts) against a real S3 API (moto_server): the
// first fetch writes the local copy, an unchanged object is a 304 and no rewrite, a changed one a new
// file, an invalid map or a missing object a warning that keeps the last good copy, an endpoint that
// goes away a warning that clears when it is back; and the health report's vni_map line for each.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { VniMap } from "../../contracts/vni-map/index.js";
import { assessHealth } from "../../sensor-ami/src/daemon/health/checks.js";
import type { DaemonSnapshot } from "../../sensor-ami/src/daemon/snapshot.js";
import {
  describeS3Error,
  parseS3ObjectUrl,
  VniMapFetcher,
  type VniMapFetcherOptions,
} from "../../sensor-ami/src/daemon/vni-map-fetch.js";
import { useMoto } from "../support/moto.js";
import { oneSourceVniMap } from "../support/vni-map.js";

const moto = useMoto();
const BUCKET = "records";
const KEY = "spanless/vni-map.json";
const URL = `s3://${BUCKET}/${KEY}`;
const saved = { ...process.env };
let dir: string;
let client: S3Client;
const fetchers: VniMapFetcher[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vni-map-fetch-"));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
  });
  client = new S3Client(moto.clientConfig);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterEach(async () => {
  for (const f of fetchers.splice(0)) await f.close();
  client.destroy();
  rmSync(dir, { recursive: true, force: true });
  process.env = { ...saved };
});

function map(name: string): VniMap {
  return oneSourceVniMap({ source: "10.0.0.5", name });
}

async function publish(body: string): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body, ContentType: "application/json" }),
  );
}

function fetcher(over: Partial<VniMapFetcherOptions> = {}) {
  const lines: string[] = [];
  const written: VniMap[] = [];
  const f = new VniMapFetcher({
    url: URL,
    file: join(dir, "vni-map", "vni-map.json"),
    endpoint: moto.endpoint,
    intervalMs: 3_600_000,
    log: (l) => lines.push(l),
    onWritten: (m) => written.push(m),
    ...over,
  });
  fetchers.push(f);
  return { f, lines, written, file: join(dir, "vni-map", "vni-map.json") };
}

/** A snapshot holding only what the vni_map line reads. */
function healthOf(f: VniMapFetcher, loaded: { vnis: number; loadedAt?: number; error?: string }) {
  const now = Date.now() / 1000;
  const snapshot = {
    at: now,
    startedAt: now - 10,
    version: "test",
    listen: { host: "127.0.0.1", port: 4789 },
    receiver: { kind: "recvmmsg", receiveBufferBytes: 1, requestedBufferBytes: 1 },
    totals: {
      datagrams: 0,
      bytes: 0,
      notVxlan: 0,
      truncated: 0,
      duplicates: 0,
      kernelDrops: 0,
      socketDrops: 0,
      rcvbufErrors: 0,
      queueDrops: 0,
      oneSidedConnections: 0,
    },
    recent: { datagrams: 0, kernelDrops: 0, queueDrops: 0, seconds: 10 },
    workers: [],
    output: { dir: "/x", writable: true, rotatedFiles: 0 },
    vniMap: { path: "/copy.json", sources: loaded.vnis, ...loaded, s3: f.status() },
    rssBytes: 1,
  } as DaemonSnapshot;
  return assessHealth(snapshot, []).checks.find((c) => c.name === "vni_map");
}

describe("VniMapFetcher", () => {
  it("writes the first fetch to the file, answers an unchanged object with a 304 and no rewrite, and writes a changed one", async () => {
    // Prepare
    await publish(JSON.stringify(map("web-1")));
    const { f, written, file } = fetcher();

    // Act: first fetch
    await f.fetchNow();
    const first = {
      text: readFileSync(file, "utf8"),
      mtime: statSync(file).mtimeMs,
      ino: statSync(file).ino,
    };
    // unchanged
    await new Promise((r) => setTimeout(r, 20));
    await f.fetchNow();
    const unchanged = { mtime: statSync(file).mtimeMs, ino: statSync(file).ino, status: f.status() };
    // changed
    await publish(JSON.stringify(map("web-2")));
    await f.fetchNow();

    // Assess
    expect(JSON.parse(first.text)).toEqual(map("web-1"));
    expect(unchanged).toMatchObject({ mtime: first.mtime, ino: first.ino });
    expect(unchanged.status).toMatchObject({
      fetches: 2,
      notModified: 1,
      written: 1,
      failures: 0,
      error: null,
    });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(map("web-2"));
    expect(statSync(file).ino).not.toBe(first.ino); // replaced by rename, never rewritten in place
    expect(written.map((m) => m.vnis["100"]?.sources["10.0.0.5"]?.tags.Name)).toEqual(["web-1", "web-2"]);
    expect(f.status()).toMatchObject({
      fetches: 3,
      notModified: 1,
      written: 2,
      error: null,
      bucket: BUCKET,
      key: KEY,
    });
    expect(readdirSync(join(dir, "vni-map"))).toEqual(["vni-map.json"]); // no temporary file left
    expect(healthOf(f, { vnis: 1, loadedAt: Date.now() / 1000 })?.status).toBe("OK");
  });

  it("asks again every interval on its own", async () => {
    // Prepare
    await publish(JSON.stringify(map("web-1")));
    const { f, file } = fetcher({ intervalMs: 100 });

    // Act
    f.start();
    for (let i = 0; i < 100 && f.status().fetches < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await publish(JSON.stringify(map("web-2")));
    for (let i = 0; i < 100 && f.status().written < 2; i++) await new Promise((r) => setTimeout(r, 20));

    // Assess
    expect(f.status().notModified).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(map("web-2"));
  });

  it("does not rewrite a copy that already holds the object (a restart)", async () => {
    // Prepare
    const text = JSON.stringify(map("web-1"));
    await publish(text);
    const { f, written, file } = fetcher();
    await f.fetchNow();
    const before = statSync(file);
    const again = fetcher();

    // Act
    await again.f.fetchNow();

    // Assess
    expect(written).toHaveLength(1);
    expect(again.written).toEqual([]);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect(again.f.status()).toMatchObject({ fetches: 1, written: 0, error: null });
  });

  it("keeps the last good copy when the object is not a valid VNI map, with a WARNING naming the field", async () => {
    // Prepare
    await publish(JSON.stringify(map("web-1")));
    const { f, lines, written, file } = fetcher();
    await f.fetchNow();
    const bad = { ...map("web-2"), version: 2 };

    // Act
    await publish(JSON.stringify(bad));
    await f.fetchNow();
    await f.fetchNow(); // the same bad object: a 304, still not usable
    const check = healthOf(f, { vnis: 1, loadedAt: Date.now() / 1000 - 30 });
    await publish("{ not json");
    await f.fetchNow();
    const notJson = f.status().error;
    await publish(JSON.stringify(map("web-3")));
    await f.fetchNow();

    // Assess
    expect(written).toHaveLength(2);
    expect(check?.status).toBe("WARNING");
    expect(check?.reason).toContain(`bucket ${BUCKET}, key ${KEY}`);
    expect(check?.reason).toMatch(/is not a valid VNI map \(invalid VNI map: version: must be 1/);
    expect(check?.reason).toContain("the last good map stays in use");
    expect(notJson).toMatch(/VNI map is not JSON/);
    expect(lines.filter((l) => l.startsWith("warning: VNI map not updated"))).toHaveLength(2);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(map("web-3"));
    expect(f.status()).toMatchObject({ error: null, notModified: 1, written: 2 });
  });

  it("says the reconciler has not published the map yet when the object is missing", async () => {
    // Prepare: the bucket exists, the object does not
    const { f, lines, file } = fetcher();

    // Act
    await f.fetchNow();
    const check = healthOf(f, { vnis: 0, error: `${file}: no copy fetched yet` });

    // Assess
    expect(existsSync(file)).toBe(false);
    expect(f.status().error).toMatch(/^s3:\/\/records\/spanless\/vni-map\.json: NoSuchKey \(HTTP 404\)/);
    expect(f.status().error).toContain("the mirror-on-launch reconciler publishes it after its first pass");
    expect(check).toMatchObject({ status: "WARNING" });
    expect(check?.reason).toContain("NoSuchKey");
    expect(check?.reason).toContain("records carry no VNI enrichment");
    expect(lines).toHaveLength(1);
  });

  it("keeps the copy while the endpoint is down, with a WARNING, and recovers when it is back", async () => {
    // Prepare: a port that refuses connections, then a TCP proxy to moto on it
    await publish(JSON.stringify(map("web-1")));
    const port = await freePort();
    const { f, lines, file } = fetcher({ endpoint: `http://127.0.0.1:${port}` });

    // Act
    await f.fetchNow();
    const down = f.status();
    const check = healthOf(f, { vnis: 0, error: `${file}: no copy fetched yet` });
    const proxy = await forward(port, moto.port);
    try {
      await f.fetchNow();
    } finally {
      await proxy.close();
    }

    // Assess
    expect(down.error).toMatch(/^s3:\/\/records\/spanless\/vni-map\.json: .*ECONNREFUSED/);
    expect(down.failures).toBe(1);
    expect(check?.status).toBe("WARNING");
    expect(check?.reason).toMatch(
      /could not be brought from S3 \(bucket records, key spanless\/vni-map\.json\): .*ECONNREFUSED/,
    );
    expect(lines[0]).toMatch(/^warning: VNI map not fetched: s3:\/\/records\//);
    expect(f.status()).toMatchObject({ error: null, written: 1 });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(map("web-1"));
  });

  it("refuses anything but one object's URL", () => {
    expect(parseS3ObjectUrl(URL)).toEqual({ bucket: BUCKET, key: KEY });
    expect(parseS3ObjectUrl("s3://records")).toBeUndefined();
    expect(parseS3ObjectUrl("s3://records/prefix/")).toBeUndefined();
    expect(() => fetcher({ url: "s3://records/" })).toThrow(/must be s3:\/\/<bucket>\/<key>/);
  });

  it("explains AccessDenied: a missing permission, or a missing object without s3:ListBucket", () => {
    const denied = Object.assign(new Error("Access Denied"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    expect(describeS3Error(denied)).toMatch(
      /^AccessDenied \(HTTP 403\): Access Denied: .*s3:GetObject.*s3:ListBucket/,
    );
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

/** A TCP forwarder from `from` to `to` on loopback: the endpoint comes back. */
async function forward(from: number, to: number): Promise<{ close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((c) => {
    const up = connect(to, "127.0.0.1");
    for (const s of [c, up]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    c.pipe(up).pipe(c);
  });
  await new Promise<void>((r) => srv.listen(from, "127.0.0.1", () => r()));
  return {
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}
