// The VNI map from S3 into a running sensor, end to end: a real `spanless sensor` with vniMapS3 pointed
// at moto_server fetches the reconciler's object into its local copy, enriches records with it, and
// after the object changes enriches with the new map, without a signal or a restart.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/corpus.js";
import { useMoto } from "../support/moto.js";
import { oneSourceVniMap } from "../support/vni-map.js";
import {
  type LiveSensor,
  readLiveLog,
  replay,
  startSensor,
  vxlanDatagrams,
  waitForDatagrams,
} from "./support/live.js";

const CAPTURE = join(REPO_ROOT, "sensor-ami", "samples", "demo.pcap");
const S3_ENV = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1" };
const BUCKET = "records";
const KEY = "spanless/vni-map.json";
const moto = useMoto();
const running: LiveSensor[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) if (s.proc.exitCode === null) await s.stop("SIGKILL");
});

function map(name: string): string {
  return JSON.stringify(oneSourceVniMap({ source: "127.0.0.1", name }));
}

interface VniMapStatus {
  loadedAt?: number;
  s3?: { written: number; notModified: number; error: string | null };
}

describe("the VNI map from S3, end to end", () => {
  it("the sensor fetches the published map, enriches with it, and follows a new object on its own", async () => {
    // Prepare
    const client = new S3Client(moto.clientConfig);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const publish = (body: string) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body }));
    await publish(map("web-1"));
    const dir = mkdtempSync(join(tmpdir(), "spanless-vni-s3-"));
    const out = join(dir, "logs");
    const copy = join(dir, "vni-map", "vni-map.json");
    const config = join(dir, "sensor.json");
    writeFileSync(
      config,
      JSON.stringify({
        out,
        workers: 1,
        vniMap: copy,
        vniMapS3: `s3://${BUCKET}/${KEY}`,
        vniMapS3Endpoint: moto.endpoint,
        vniMapS3PollSeconds: 1,
      }),
    );
    const s = await startSensor(["--config", config], { env: { ...process.env, ...S3_ENV } });
    running.push(s);
    const vniMap = async () => ((await s.status()).snapshot as { vniMap?: VniMapStatus }).vniMap;
    const until = async (ok: (m: VniMapStatus | undefined) => boolean) => {
      for (let i = 0; i < 200 && !ok(await vniMap()); i++) await new Promise((r) => setTimeout(r, 50));
      return vniMap();
    };
    const frames = vxlanDatagrams(CAPTURE, 1).length;

    // Act: the first map
    const first = await until((m) => m?.loadedAt !== undefined && (m.s3?.written ?? 0) >= 1);
    replay(CAPTURE, s.port, ["--top", "--vni", "100"]);
    await waitForDatagrams(s, frames);
    // a new object: fetched by the sensor's own poll, loaded, used
    await publish(map("web-2"));
    const second = await until((m) => (m?.s3?.written ?? 0) >= 2 && m?.loadedAt !== first?.loadedAt);
    replay(CAPTURE, s.port, ["--top", "--vni", "100"]);
    await waitForDatagrams(s, 2 * frames);
    const check = (await s.status()).report.checks.find((c) => c.name === "vni_map");
    expect(await s.stop()).toBe(0);
    client.destroy();

    // Assess
    expect(first?.s3).toMatchObject({ written: 1, error: null });
    expect(second?.s3).toMatchObject({ written: 2, error: null });
    expect(check).toMatchObject({ status: "OK" });
    expect(check?.value).toContain(`s3://${BUCKET}/${KEY} (copy in ${copy})`);
    expect(JSON.parse(readFileSync(copy, "utf8"))).toEqual(JSON.parse(map("web-2")));
    const dns = readLiveLog(out, "dns");
    expect(new Set(dns.map((r) => r.instance_name))).toEqual(new Set(["web-1", "web-2"]));
    for (const r of dns)
      expect(r).toMatchObject({
        mirror_src: "127.0.0.1",
        instance_id: "i-0123456789abcdef0",
        vpc_id: "vpc-0a1b2c3d4e5f60718",
        eni_id: "eni-0123456789abcdef0",
      });
  }, 30_000);
});
