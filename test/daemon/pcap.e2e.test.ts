// The PCAP ring end to end: a real sensor with pcapMaxGB, a corpus capture replayed as VXLAN, the
// files it leaves (every frame once, byte for byte), `spanless pcap find` on a uid from its
// conn.log, and the upload of the closed files to S3 (moto_server).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { CaptureReader } from "../../sensor-ami/src/capture/reader.js";
import { Frame } from "../../sensor-ami/src/engine/frame.js";
import { flowMatches, frameFlow } from "../../sensor-ami/src/pcap/flow.js";
import { parseClosedName } from "../../sensor-ami/src/pcap/names.js";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";
import { useMoto } from "../support/moto.js";
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

const CAPTURE = join(CORPUS_DIR, "zeek", "wikipedia.pcap");
const S3_ENV = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1" };
const moto = useMoto();
const running: LiveSensor[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) if (s.proc.exitCode === null) await s.stop("SIGKILL");
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "spanless-pcap-"));
}

/** Every closed ring file under `dir` (all workers). */
function ringFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".pcap"))
    .map((f) => join(dir, f));
}

function framesIn(path: string): Buffer[] {
  const reader = CaptureReader.open(path);
  const f = new Frame();
  const out: Buffer[] = [];
  try {
    while (reader.next(f)) out.push(Buffer.from(f.data.subarray(f.offset, f.offset + f.caplen)));
  } finally {
    reader.close();
  }
  return out;
}

const sortedHex = (frames: Buffer[]) => frames.map((b) => b.toString("hex")).sort();

/** Runs the capture through a sensor started with `args` (and env) and stops it. */
async function runSensor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const s = await startSensor(["--workers", "2", "--seed", "1", ...args], {
    env: { ...process.env, ...env },
  });
  running.push(s);
  replay(CAPTURE, s.port);
  await waitForDatagrams(s, vxlanDatagrams(CAPTURE, 1).length);
  expect(await s.stop()).toBe(0);
}

describe.skipIf(!corpusAvailable())("the PCAP ring, end to end", () => {
  it("holds exactly the capture's frames, and pcap find names a file holding a logged connection", async () => {
    // Prepare
    const out = join(tmp(), "logs");

    // Act
    await runSensor(["--out", out, "--pcap-max-gb", "1"]);

    // Assess: every frame once, byte for byte, across the workers' files
    const files = ringFiles(join(out, ".pcap"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(parseClosedName(f.split("/").at(-1)!)).toBeDefined();
    const original = vxlanDatagrams(CAPTURE, 1).map((d) => d.bytes.subarray(8));
    expect(sortedHex(files.flatMap(framesIn))).toEqual(sortedHex(original));

    // Act: find a TCP connection's files by its uid
    const conn = readLiveLog(out, "conn").find((r) => r.proto === "tcp")!;
    const found = spawnSync(NODE, [CLI, "pcap", "find", "--uid", String(conn.uid), "--logs", out], {
      encoding: "utf8",
    });

    // Assess
    expect(found.status, found.stderr).toBe(0);
    const paths = found.stdout.trim().split("\n");
    expect(paths.length).toBeGreaterThan(0);
    const key = {
      proto: "tcp" as const,
      origH: String(conn["id.orig_h"]),
      origP: Number(conn["id.orig_p"]),
      respH: String(conn["id.resp_h"]),
      respP: Number(conn["id.resp_p"]),
    };
    for (const p of paths) {
      const flows = framesIn(p).map((b) => frameFlow(b, 0, b.length));
      expect(flows.some((fl) => fl !== undefined && flowMatches(fl, key))).toBe(true);
    }

    // Act / Assess: an unknown uid finds nothing
    const none = spawnSync(NODE, [CLI, "pcap", "find", "--uid", "Cnothing", "--logs", out], {
      encoding: "utf8",
    });
    expect(none.status).toBe(1);
  });

  it("uploads every closed file to S3 under pcap/sensor=<id>/dt=<day>/, bytes equal", async () => {
    // Prepare
    const client = new S3Client(moto.clientConfig);
    await client.send(new CreateBucketCommand({ Bucket: "pcap-ring" }));
    const dir = tmp();
    const out = join(dir, "logs");
    const config = join(dir, "sensor.json");
    writeFileSync(
      config,
      JSON.stringify({
        out,
        pcapMaxGB: 0.5,
        pcapS3: "s3://pcap-ring/archive",
        pcapS3Endpoint: moto.endpoint,
        sensorId: "e2e-sensor",
      }),
    );

    // Act
    await runSensor(["--config", config], S3_ENV);

    // Assess
    const files = ringFiles(join(out, ".pcap"));
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: "pcap-ring", Prefix: "archive/pcap/" }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
    const expected = files
      .map((f) => {
        const name = f.split("/").at(-1)!;
        const day = new Date(parseClosedName(name)!.startMicros / 1000).toISOString().slice(0, 10);
        return `archive/pcap/sensor=e2e-sensor/dt=${day}/${name}`;
      })
      .sort();
    expect(keys).toEqual(expected);
    for (const f of files) {
      const key = expected.find((k) => k.endsWith(f.split("/").at(-1)!))!;
      const got = await client.send(new GetObjectCommand({ Bucket: "pcap-ring", Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(readFileSync(f));
    }

    // Act / Assess: pcap find with the sensor's config prints each file's S3 URL beside it
    const conn = readLiveLog(out, "conn").find((r) => r.proto === "tcp")!;
    const found = spawnSync(NODE, [CLI, "pcap", "find", "--uid", String(conn.uid), "--config", config], {
      encoding: "utf8",
    });
    expect(found.status, found.stderr).toBe(0);
    for (const line of found.stdout.trim().split("\n"))
      expect(line).toMatch(
        /^\S+\.pcap\ts3:\/\/pcap-ring\/archive\/pcap\/sensor=e2e-sensor\/dt=\d{4}-\d\d-\d\d\/\S+\.pcap$/,
      );
    client.destroy();
  });
});
