// The S3 sink against a real S3 API (moto_server): batches land at the same layout keys as in a directory,
// under the --s3 prefix, with the exact bytes sent; a replay is stored once; a missing bucket is a 503
// the sensor will retry, not a lost batch.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { storageKey } from "../../contracts/upload/index.js";
import {
  parseS3Url,
  type RunningCollector,
  s3Exports,
  startCollector,
  TokenStore,
} from "../../sensor-ami/src/collector/index.js";
import { useMoto } from "../support/moto.js";
import { memoryLog, send, signedBatch } from "./support/client.js";

const moto = useMoto();
const BUCKET = "spanless-records";
let s3: S3Client;
let store: string;
let token: string;
let collector: RunningCollector;
let logged: ReturnType<typeof memoryLog>;

beforeAll(() => {
  s3 = new S3Client(moto.clientConfig);
});
afterAll(() => s3.destroy());

beforeEach(async () => {
  store = mkdtempSync(join(tmpdir(), "spanless-collector-s3-"));
  token = new TokenStore(join(store, "tokens.json")).create("sensor-a");
  logged = memoryLog();
  collector = await startCollector({
    host: "127.0.0.1",
    port: 0,
    store,
    s3: `s3://${BUCKET}/zeek/prod/`,
    s3Options: { ...moto.clientConfig },
    log: logged.log,
  });
});

afterEach(async () => {
  await collector.close();
  rmSync(store, { recursive: true, force: true });
});

async function keys(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

describe("S3 sink", () => {
  it("puts each batch at prefix + layout key with the exact bytes, once per batch id", async () => {
    // Prepare
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const conn = signedBatch(token, { log: "conn", records: 4 });
    const ssl = signedBatch(token, { log: "ssl", records: 2, sensorId: "sensor-2" });

    // Act
    const answers = [
      await send(collector.url, collector.tls.cert, conn),
      await send(collector.url, collector.tls.cert, ssl),
      await send(collector.url, collector.tls.cert, conn),
    ];

    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const key = (b: typeof conn) =>
      `zeek/prod/${storageKey({ log: b.meta.log, ts: b.meta.created, sensor: b.meta.sensorId, batch: b.meta.batchId })}`;
    expect(await keys()).toEqual([key(conn), key(ssl)].sort());
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(conn) }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(conn.body)).toBe(true);
    expect(object.ContentType).toBe("application/gzip");
    expect(collector.sink.description).toBe(`s3://${BUCKET}/zeek/prod`);
  });

  it("answers 503 when the bucket cannot be written, and stores the retry once it can", async () => {
    // Prepare
    const batch = signedBatch(token);

    // Act
    const failed = await send(collector.url, collector.tls.cert, batch);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const retried = await send(
      collector.url,
      collector.tls.cert,
      signedBatch(token, { ...batch.meta, body: batch.body }),
    );

    // Assess
    expect(failed.status).toBe(503);
    expect(failed.headers["retry-after"]).toBeDefined();
    expect(logged.entries).toContainEqual(expect.objectContaining({ reason: "sink-failed" }));
    expect(retried.status).toBe(200);
    expect(JSON.parse(retried.body)).toEqual({ ok: true, duplicate: false });
    expect(await keys()).toHaveLength(1);
  });
});

describe("s3Exports", () => {
  it("finds the client in named exports (a checkout) and in default (the esbuild bundle)", () => {
    // Prepare
    class S3Client {}
    const named = { S3Client };

    // Act / Assess
    expect(s3Exports(named)).toBe(named);
    expect(s3Exports({ default: named } as unknown as typeof named)).toBe(named);
    expect(() => s3Exports({} as typeof named)).toThrow("did not load");
  });
});

describe("parseS3Url", () => {
  it.each([
    ["s3://bucket", { bucket: "bucket", prefix: "" }],
    ["s3://my.bucket-1/a/b/", { bucket: "my.bucket-1", prefix: "a/b" }],
  ])("reads %s", (url, expected) => {
    // Act / Assess
    expect(parseS3Url(url)).toEqual(expected);
  });

  it.each(["https://bucket/x", "s3://UPPER/x", "s3://"])("refuses %s", (url) => {
    // Act / Assess
    expect(() => parseS3Url(url)).toThrow("--s3 must be");
  });
});
