import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { uploadedMarker } from "../../sensor-ami/src/pcap/names.js";
import { type ClosedPcap, PcapRing } from "../../sensor-ami/src/pcap/ring.js";
import { PcapUploader } from "../../sensor-ami/src/pcap/s3-upload.js";
import { useMoto } from "../support/moto.js";
import { udpFrame } from "./support.js";

const moto = useMoto();
let dir: string;
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pcap-s3-"));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
  });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.env = { ...saved };
});

async function bodyOf(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

describe("PcapUploader", () => {
  it("uploads closed files under pcap/sensor=<id>/dt=<day>/ with their bytes", async () => {
    // Prepare
    const client = new S3Client(moto.clientConfig);
    await client.send(new CreateBucketCommand({ Bucket: "ring" }));
    const uploader = new PcapUploader({
      url: "s3://ring/archive",
      sensorId: "i-123",
      endpoint: moto.endpoint,
      log: () => undefined,
    });
    const closed: ClosedPcap[] = [];
    const ring = new PcapRing({ dir, worker: 2, maxBytes: 1 << 30, onClosed: (f) => closed.push(f) });
    const frame = udpFrame(500);
    ring.write(frame, 0, frame.length, Date.UTC(2026, 0, 2, 23, 59) / 1000, 500);
    ring.finish();

    // Act
    for (const f of closed) uploader.closed(f);
    const left = await uploader.close({ flushWithinMs: 20_000 });

    // Assess
    expect(left).toBe(0);
    expect(uploader.status()).toMatchObject({ uploaded: 1, failed: 0 });
    const key = `archive/pcap/sensor=i-123/dt=2026-01-02/${closed[0]!.name}`;
    expect(uploader.keyOf(closed[0]!.name)).toBe(key);
    expect(await bodyOf(client, "ring", key)).toEqual(readFileSync(closed[0]!.path));
    client.destroy();
  });

  it("retries, then gives up with a warning, and keeps the file on disk", async () => {
    // Prepare: no bucket
    const lines: string[] = [];
    const uploader = new PcapUploader({
      url: "s3://missing-bucket",
      sensorId: "s",
      endpoint: moto.endpoint,
      log: (l) => lines.push(l),
      backoffMs: () => 10,
    });
    const closed: ClosedPcap[] = [];
    const ring = new PcapRing({ dir, worker: 0, maxBytes: 1 << 30, onClosed: (f) => closed.push(f) });
    ring.write(udpFrame(100), 0, 100, 1000, 100);
    ring.finish();

    // Act
    uploader.closed(closed[0]!);
    for (let i = 0; i < 200 && uploader.status().failed === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    await uploader.close({ flushWithinMs: 0 });

    // Assess
    expect(uploader.status()).toMatchObject({ uploaded: 0, failed: 1 });
    expect(lines.join("\n")).toMatch(/cannot upload .* stays on disk/);
    expect(readFileSync(closed[0]!.path).length).toBe(closed[0]!.bytes);
  });

  it("counts a file the ring deleted before its upload as missed", async () => {
    // Prepare
    const uploader = new PcapUploader({
      url: "s3://ring",
      sensorId: "s",
      endpoint: moto.endpoint,
      log: () => undefined,
    });

    // Act
    uploader.closed({ path: join(dir, "1-2-w0.pcap"), name: "1-2-w0.pcap" });
    await uploader.close({ flushWithinMs: 5_000 });

    // Assess
    expect(uploader.status()).toMatchObject({ uploaded: 0, missed: 1 });
  });

  it("after a restart uploads once the closed files the last run did not, and none twice", async () => {
    // Prepare: a run closed 3 files in w0 and uploaded only the first; w1 has one a crash left open
    const client = new S3Client(moto.clientConfig);
    await client.send(new CreateBucketCommand({ Bucket: "ring" }));
    const options = { url: "s3://ring", sensorId: "s", endpoint: moto.endpoint, dir, log: () => undefined };
    const closed: ClosedPcap[] = [];
    const w0 = new PcapRing({
      dir: join(dir, "w0"),
      worker: 0,
      maxBytes: 1 << 30,
      onClosed: (f) => closed.push(f),
    });
    for (let i = 0; i < 3; i++) {
      w0.write(udpFrame(200 + i), 0, 200 + i, 1000 + i * 100, 200 + i);
      w0.finish();
    }
    const first = new PcapUploader(options);
    first.closed(closed[0]!);
    expect(await first.close({ flushWithinMs: 20_000 })).toBe(0);
    mkdirSync(join(dir, "w1"));
    copyFileSync(closed[0]!.path, join(dir, "w1", "900000000-1.pcap"));

    // Act: the restart: the uploader's scan, then the rings' start (which closes the crashed file and says so)
    const second = new PcapUploader(options);
    const resumed = second.resume();
    const started: ClosedPcap[] = [];
    new PcapRing({ dir: join(dir, "w1"), worker: 1, maxBytes: 1 << 30, onClosed: (f) => started.push(f) });
    for (const f of started) second.closed(f);
    second.closed(closed[2]!); // said twice: queued once
    expect(await second.close({ flushWithinMs: 20_000 })).toBe(0);
    // A third start finds nothing left to do
    const third = new PcapUploader(options);
    const again = third.resume();
    await third.close({ flushWithinMs: 5_000 });

    // Assess
    expect(first.status().uploaded).toBe(1);
    expect(resumed).toBe(2);
    expect(second.status()).toMatchObject({ uploaded: 3, failed: 0, missed: 0 });
    expect(again).toBe(0);
    expect(third.status().uploaded).toBe(0);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "ring" }));
    expect(listed.KeyCount).toBe(4);
    for (const f of [...closed, ...started]) expect(existsSync(uploadedMarker(f.path))).toBe(true);
    client.destroy();
  });
});
