// `npm run bench:live [-- --seconds 20] [-- --rates 50000,100000,...] [-- --workers 1,2] [-- --paths recvmmsg,dgram]`
// `npm run bench:live -- --ship ...`: the same with the sensor uploading to `spanless collector` on
// loopback; per round the metadata uploaded against the traffic, and whether the spool grew.
// `npm run bench:live -- --syn-flood 1000000 [--flood-rate 200000] [--memory-budget <MB>]`: RSS and
// the memory budget while a million distinct SYNs arrive.
//
// The live sensor under load, as deployed: `spanless sensor` (full inspection) in one process, a
// sender in another offering the bench capture's frames as AWS-style VXLAN (sendmmsg, several
// source ports, the capture looped) at rising rates for N seconds each. For every configuration
// (receive path × workers) it reports the highest rate with < 0.1 % loss, in packets/s and
// Gbit/s at the capture's frame sizes, the sensor's CPU and the receiving thread's share of it.
//
// Loss counts everything offered and not analysed: kernel drops, full engine queues, and what the
// engines had not processed 3 s after the sender stopped. Loopback delivery runs in the SENDER's
// kernel context, so the sensor's CPU is its own receive syscalls, copies and analysis; on a
// 2-core machine the sender takes part of a core from the sensor, so "all cores" here is a lower
// bound of what a dedicated sensor does.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CaptureReader } from "../src/capture/reader.js";
import { openUdpSender } from "../src/capture/udp/sender.js";
import { Frame } from "../src/engine/frame.js";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, "..", "..", "..");
const CLI = join(ROOT, "sensor-ami", "bin", "spanless.js");
const BENCH =
  process.env.SPANLESS_BENCH_PCAP ?? resolve(ROOT, "..", "shared", "corpus", "bench", "bench.pcap");
const LOSS_LIMIT = 0.001;
const DRAIN_MS = 3000;
const SOURCE_PORTS = 8;

// ---- sender (child process) ------------------------------------------------------------------

function loadDatagrams(): { data: Buffer; offsets: Uint32Array; lengths: Uint32Array; ports: Uint8Array } {
  const reader = CaptureReader.open(BENCH);
  const f = new Frame();
  const parts: Buffer[] = [];
  try {
    while (reader.next(f)) {
      const d = Buffer.alloc(8 + f.caplen);
      d[0] = 0x08;
      d[6] = 1;
      d.set(f.data.subarray(f.offset, f.offset + f.caplen), 8);
      parts.push(d);
    }
  } finally {
    reader.close();
  }
  const data = Buffer.concat(parts);
  const offsets = new Uint32Array(parts.length);
  const lengths = new Uint32Array(parts.length);
  const ports = new Uint8Array(parts.length);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    offsets[i] = o;
    lengths[i] = parts[i].length;
    // The outer source port as AWS picks it: from the inner flow (here: its addresses' bytes).
    const p = parts[i];
    let h = 0;
    for (let k = 8 + 26; k < Math.min(p.length, 8 + 38); k++) h = (h * 31 + p[k]) >>> 0;
    ports[i] = h % SOURCE_PORTS;
    o += parts[i].length;
  }
  return { data, offsets, lengths, ports };
}

async function sender(port: number, rate: number, seconds: number): Promise<void> {
  const { data, offsets, lengths, ports } = loadDatagrams();
  const senders = await Promise.all(
    Array.from({ length: SOURCE_PORTS }, () => openUdpSender({ host: "127.0.0.1", port })),
  );
  if (senders[0].kind !== "sendmmsg")
    throw new Error(`the sender needs the addon: ${senders[0].fallbackReason}`);
  const BATCH = 64;
  // Per source port, a batch of (offset, length) to send.
  const qOff = senders.map(() => new Uint32Array(BATCH));
  const qLen = senders.map(() => new Uint32Array(BATCH));
  const qN = new Uint32Array(SOURCE_PORTS);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const start = performance.now();
  const end = start + seconds * 1000;
  let sent = 0;
  let bytes = 0;
  let next = 0;
  let pass = 0;
  const flush = (k: number) => {
    let done = 0;
    while (done < qN[k]) {
      const n = senders[k].sendBatch(data, qOff[k].subarray(done), qLen[k].subarray(done), qN[k] - done);
      if (n === 0) Atomics.wait(sleeper, 0, 0, 0.2);
      done += n;
    }
    qN[k] = 0;
  };
  for (;;) {
    const t = performance.now();
    if (t >= end) break;
    const due = Math.floor(((t - start) / 1000) * rate);
    if (due <= sent) {
      Atomics.wait(sleeper, 0, 0, 0.5);
      continue;
    }
    while (sent < due) {
      const i = next;
      if (++next === offsets.length) {
        // Another pass over the capture as another session (VNI): new connections, as fresh
        // traffic would be, not the previous pass's connections seeing old sequence numbers.
        next = 0;
        pass++;
        for (let k = 0; k < SOURCE_PORTS; k++) if (qN[k] > 0) flush(k);
        for (let j = 0; j < offsets.length; j++) data.writeUIntBE(1 + (pass % 0xfffffe), offsets[j] + 4, 3);
      }
      const k = ports[i];
      qOff[k][qN[k]] = offsets[i];
      qLen[k][qN[k]] = lengths[i];
      bytes += lengths[i] - 8;
      sent++;
      if (++qN[k] === BATCH) flush(k);
    }
    for (let k = 0; k < SOURCE_PORTS; k++) if (qN[k] > 0) flush(k);
  }
  await Promise.all(senders.map((s) => s.close()));
  process.stdout.write(`${JSON.stringify({ sent, bytes, seconds: (performance.now() - start) / 1000 })}\n`);
}

/** One's-complement sum of 16-bit words (RFC 1071), folded. */
function sum16(b: Buffer, start: number, end: number, initial = 0): number {
  let s = initial;
  for (let i = start; i < end; i += 2) s += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** n distinct SYNs (10.a.b.c:port → 10.200.0.1:443), valid checksums, as VXLAN datagrams at `rate`. */
async function floodSender(port: number, n: number, rate: number): Promise<void> {
  const s = await openUdpSender({ host: "127.0.0.1", port });
  const BATCH = 64;
  const LEN = 8 + 14 + 40;
  const data = Buffer.alloc(BATCH * LEN);
  const offsets = new Uint32Array(BATCH).map((_, i) => i * LEN);
  const lengths = new Uint32Array(BATCH).fill(LEN);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const start = performance.now();
  let sent = 0;
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - start) / 1000) * rate));
    if (due <= sent) {
      Atomics.wait(sleeper, 0, 0, 0.5);
      continue;
    }
    const count = Math.min(BATCH, due - sent);
    for (let k = 0; k < count; k++) {
      const i = sent + k;
      const d = k * LEN;
      data.fill(0, d, d + LEN);
      data[d] = 0x08;
      data[d + 6] = 1;
      data.writeUInt16BE(0x0800, d + 8 + 12);
      const ip = d + 8 + 14;
      data.set(
        [
          0x45,
          0,
          0,
          40,
          0,
          0,
          0x40,
          0,
          64,
          6,
          0,
          0,
          10,
          (i >>> 16) & 0x7f,
          (i >>> 8) & 0xff,
          i & 0xff,
          10,
          200,
          0,
          1,
        ],
        ip,
      );
      data.writeUInt16BE(~sum16(data, ip, ip + 20) & 0xffff, ip + 10);
      const tcp = ip + 20;
      data.writeUInt16BE(1024 + ((i >>> 23) & 0x3fff), tcp);
      data.writeUInt16BE(443, tcp + 2);
      data.writeUInt32BE(i, tcp + 4);
      data[tcp + 12] = 0x50;
      data[tcp + 13] = 0x02;
      data.writeUInt16BE(64240, tcp + 14);
      // Pseudo-header: addresses, protocol 6, TCP length 20.
      const pseudo = sum16(data, ip + 12, ip + 20, 6 + 20);
      data.writeUInt16BE(~sum16(data, tcp, tcp + 20, pseudo) & 0xffff, tcp + 16);
    }
    let done = 0;
    while (done < count) {
      const taken = s.sendBatch(data, offsets.subarray(done), lengths.subarray(done), count - done);
      if (taken === 0) Atomics.wait(sleeper, 0, 0, 0.2);
      done += taken;
    }
    sent += count;
  }
  await s.close();
  process.stdout.write(
    `${JSON.stringify({ sent, bytes: sent * (LEN - 8), seconds: (performance.now() - start) / 1000 })}\n`,
  );
}

// ---- the sensor under test -------------------------------------------------------------------

interface Status {
  snapshot: {
    totals: Record<string, number>;
    rssBytes: number;
    shipping?: { uploadedBytes: number; uploadedRecords: number; spoolBacklogBytes: number; dropped: number };
    workers: {
      packets: number;
      liveConnections: number;
      evictions: number;
      memoryUsedBytes: number;
      memoryLimitBytes: number;
    }[];
  };
}

interface Sensor {
  port: number;
  pid: number;
  status(): Promise<Status>;
  stop(): Promise<void>;
}

/**
 * `spanless collector` on loopback with a fresh token, and a sensor config file that uploads to
 * it: the `--ship` mode measures the upload beside the analysis.
 */
async function startCollector(): Promise<{
  config: (out: string) => string;
  stop: () => Promise<void>;
  dir: string;
}> {
  const dir = mkdtempSync(join(tmpdir(), "spanless-bench-collector-"));
  const store = join(dir, "store");
  const token = execFileSync(process.execPath, [CLI, "token", "create", "bench", "--store", store], {
    encoding: "utf8",
  }).trim();
  const child = spawn(process.execPath, [CLI, "collector", "--listen", "127.0.0.1:0", "--store", store], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  for (let i = 0; i < 500 && !/listening on https:\/\/[^:]+:\d+/.test(out); i++) await wait(20);
  const port = /listening on https:\/\/[^:]+:(\d+)/.exec(out)?.[1];
  if (port === undefined) throw new Error(`collector did not start:\n${out}`);
  return {
    dir,
    config: (logs: string) => {
      const file = join(dir, "sensor.json");
      writeFileSync(
        file,
        JSON.stringify({
          out: logs,
          collectorUrl: `https://127.0.0.1:${port}/`,
          pushToken: token,
          collectorCaFile: join(store, ".collector", "tls", "collector-cert.pem"),
          sensorId: "bench",
        }),
        { mode: 0o600 },
      );
      return file;
    },
    stop: async () => {
      const exited = new Promise((r) => child.on("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let collector: Awaited<ReturnType<typeof startCollector>> | undefined;

async function startSensor(workers: number, path: string, extra: string[] = []): Promise<Sensor> {
  const out = mkdtempSync(join(tmpdir(), "spanless-bench-live-"));
  const env = { ...process.env, ...(path === "dgram" ? { SPANLESS_NATIVE: "off" } : {}) };
  if (collector !== undefined) extra = [...extra, "--config", collector.config(out)];
  const child = spawn(
    process.execPath,
    [
      CLI,
      "sensor",
      "--listen",
      "127.0.0.1:0",
      "--health-port",
      "0",
      "--health-host",
      "127.0.0.1",
      "--out",
      out,
      "--workers",
      String(workers),
      ...extra,
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env,
    },
  );
  let err = "";
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  for (let i = 0; i < 500 && !/health on/.test(err); i++) await wait(20);
  const port = Number(/listening on [^ ]+:(\d+) /.exec(err)?.[1]);
  const health = Number(/health on http:\/\/[^:]+:(\d+)\//.exec(err)?.[1]);
  if (!port || !health) throw new Error(`sensor did not start:\n${err}`);
  if (!err.includes(`receive path ${path}`)) throw new Error(`expected receive path ${path}:\n${err}`);
  // The launcher may run the CLI in a child of its own: the sensor is the process listening.
  const pid = sensorPid(child.pid ?? 0);
  return {
    port,
    pid,
    status: async () => (await (await fetch(`http://127.0.0.1:${health}/status`)).json()) as Status,
    stop: async () => {
      const exited = new Promise((r) => child.on("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(out, { recursive: true, force: true });
    },
  };
}

function sensorPid(launcher: number): number {
  try {
    const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return children.length > 0 ? Number(children[0]) : launcher;
  } catch {
    return launcher;
  }
}

/** CPU seconds of the whole process, and of its main (receiving) thread. */
function cpu(pid: number): { all: number; main: number } {
  const ticks = (stat: string) => {
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  try {
    return {
      all: ticks(readFileSync(`/proc/${pid}/stat`, "utf8")),
      main: ticks(readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8")),
    };
  } catch {
    return { all: Number.NaN, main: Number.NaN };
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runSender(
  port: number,
  rate: number,
  seconds: number,
  mode = "--sender",
): Promise<{ sent: number; bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), mode, String(port), String(rate), String(seconds)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}"))
        : reject(new Error(`sender exited ${code}`)),
    );
  });
}

interface Round {
  rate: number;
  offered: number;
  analysed: number;
  loss: number;
  gbps: number;
  sensorCpu: number;
  receiveShare: number;
}

const processed = (s: Status) => s.snapshot.workers.reduce((n, w) => n + w.packets, 0);

async function measure(workers: number, path: string, rates: number[], seconds: number): Promise<Round[]> {
  const sensor = await startSensor(workers, path);
  const rounds: Round[] = [];
  try {
    for (const rate of rates) {
      const before = await sensor.status();
      const c0 = cpu(sensor.pid);
      const sent = await runSender(sensor.port, rate, seconds);
      // Let the engines finish what is queued; whatever is still unprocessed then counts as lost.
      let after = await sensor.status();
      for (let t = 0; t < DRAIN_MS && processed(after) - processed(before) < sent.sent; t += 100) {
        await wait(100);
        after = await sensor.status();
      }
      const c1 = cpu(sensor.pid);
      const analysed = processed(after) - processed(before);
      const loss = Math.max(0, sent.sent - analysed) / sent.sent;
      const round: Round = {
        rate,
        offered: sent.sent / sent.seconds,
        analysed,
        loss,
        gbps: (sent.bytes * 8) / sent.seconds / 1e9,
        sensorCpu: (c1.all - c0.all) / sent.seconds,
        receiveShare: (c1.main - c0.main) / (c1.all - c0.all),
      };
      rounds.push(round);
      process.stdout.write(
        `  ${path} ${workers}w  ${String(rate).padStart(8)} pps offered ${round.offered.toFixed(0).padStart(8)}  ` +
          `loss ${(loss * 100).toFixed(3).padStart(7)} %  ${round.gbps.toFixed(2)} Gbit/s  ` +
          `sensor CPU ${(round.sensorCpu * 100).toFixed(0)} % (receive thread ${(round.receiveShare * 100).toFixed(0)} %)` +
          `  [kernel drops ${after.snapshot.totals.kernelDrops - before.snapshot.totals.kernelDrops}, queue drops ${after.snapshot.totals.queueDrops - before.snapshot.totals.queueDrops}, RSS ${(after.snapshot.rssBytes / 1048576).toFixed(0)} MB]\n`,
      );
      const sb = before.snapshot.shipping;
      const sa = after.snapshot.shipping;
      if (sa !== undefined && sb !== undefined) {
        // The upload keeps up when the spool does not grow from round to round.
        const metadata = sa.uploadedBytes - sb.uploadedBytes;
        process.stdout.write(
          `      upload: ${(metadata / 1048576).toFixed(1)} MB of metadata for ${(sent.bytes / 1048576).toFixed(0)} MB ` +
            `of traffic (${((metadata / sent.bytes) * 100).toFixed(2)} %), spool ${(sb.spoolBacklogBytes / 1048576).toFixed(1)}` +
            ` -> ${(sa.spoolBacklogBytes / 1048576).toFixed(1)} MB, dropped ${sa.dropped - sb.dropped}\n`,
        );
      }
      if (loss >= LOSS_LIMIT) break;
      await wait(500);
    }
  } finally {
    await sensor.stop();
  }
  return rounds;
}

/** RSS and the memory budget while `n` distinct SYNs arrive (sampled every 100 ms; the peak is reported). */
async function synFlood(n: number, rate: number, budgetMb: string | undefined): Promise<void> {
  const sensor = await startSensor(
    1,
    "recvmmsg",
    budgetMb === undefined ? [] : ["--memory-budget", budgetMb],
  );
  try {
    const idle = await sensor.status();
    let peakRss = idle.snapshot.rssBytes;
    let peakUsed = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const st = await sensor.status();
        peakRss = Math.max(peakRss, st.snapshot.rssBytes);
        peakUsed = Math.max(peakUsed, st.snapshot.workers[0]?.memoryUsedBytes ?? 0);
        await wait(100);
      }
    })();
    const sent = await runSender(sensor.port, n, rate, "--flood-sender");
    let after = await sensor.status();
    for (let t = 0; t < 10_000 && processed(after) - processed(idle) < sent.sent; t += 200) {
      await wait(200);
      after = await sensor.status();
    }
    await wait(500);
    sampling = false;
    await sampler;
    const w = after.snapshot.workers[0];
    const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
    process.stdout.write(
      `SYN flood: ${sent.sent} distinct SYNs at ${(sent.sent / sent.seconds).toFixed(0)} pps; analysed ${processed(after) - processed(idle)}\n` +
        `  memory budget ${mb(w.memoryLimitBytes)}: peak used ${mb(peakUsed)}, live connections ${w.liveConnections}, evictions ${w.evictions}\n` +
        `  RSS: idle ${mb(idle.snapshot.rssBytes)}, peak ${mb(peakRss)} (the whole process: receive buffers, rings, heap)\n`,
    );
  } finally {
    await sensor.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sender: { type: "boolean", default: false },
      "flood-sender": { type: "boolean", default: false },
      "syn-flood": { type: "string" },
      "flood-rate": { type: "string", default: "200000" },
      "memory-budget": { type: "string" },
      ship: { type: "boolean", default: false },
      seconds: { type: "string", default: "20" },
      rates: {
        type: "string",
        default: "25000,50000,75000,100000,125000,150000,175000,200000,250000,300000,350000",
      },
      workers: { type: "string", default: "1,2" },
      paths: { type: "string", default: "recvmmsg,dgram" },
    },
    allowPositionals: true,
  });
  if (values.sender) {
    const [, , , port, rate, seconds] = process.argv;
    await sender(Number(port), Number(rate), Number(seconds));
    return;
  }
  if (values["flood-sender"]) {
    const [, , , port, n, rate] = process.argv;
    await floodSender(Number(port), Number(n), Number(rate));
    return;
  }
  if (values["syn-flood"] !== undefined) {
    await synFlood(Number(values["syn-flood"]), Number(values["flood-rate"]), values["memory-budget"]);
    return;
  }
  if (values.ship) collector = await startCollector();
  const seconds = Number(values.seconds);
  const rates = values.rates.split(",").map(Number);
  process.stdout.write(`bench:live: ${BENCH}, ${seconds} s per rate, loss limit ${LOSS_LIMIT * 100} %\n`);
  const summary: string[] = [];
  for (const path of values.paths.split(",")) {
    for (const workers of values.workers.split(",").map(Number)) {
      const rounds = await measure(workers, path, rates, seconds);
      const best = rounds.filter((r) => r.loss < LOSS_LIMIT).at(-1);
      summary.push(
        best === undefined
          ? `${path.padEnd(9)} ${workers} worker(s): lossless at none of the rates`
          : `${path.padEnd(9)} ${workers} worker(s): ${best.offered.toFixed(0)} pps lossless (${best.gbps.toFixed(2)} Gbit/s), ` +
              `sensor CPU ${(best.sensorCpu * 100).toFixed(0)} %, receive thread ${(best.receiveShare * 100).toFixed(0)} % of it`,
      );
    }
  }
  process.stdout.write(
    `\nhighest rate with < ${LOSS_LIMIT * 100} % loss, full inspection:\n${summary.join("\n")}\n`,
  );
  await collector?.stop();
}

await main();
