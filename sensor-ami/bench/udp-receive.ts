// `npm run bench:receive [-- --seconds 3] [-- --rates 50000,100000,...] [-- --size 387] [-- --buffer-mb 4]`:
// receive-only comparison of the two UDP receive paths. A sender in a child process (the addon's
// sendmmsg) offers datagrams of the bench capture's average mirrored size (379 bytes + the 8-byte
// VXLAN header) at rising rates for N seconds each, over loopback, to (a) the recvmmsg receiver and
// (b) the node:dgram receiver, both in this process and doing nothing per datagram but count it.
// Reports, per receiver, the highest rate with < 0.1 % loss and the receiver's CPU per datagram
// (process.cpuUsage of this process, which only receives). Loopback delivery runs in the sender's
// kernel context, so the receiver's CPU is its syscalls, copies and JavaScript.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DgramReceiver } from "../src/capture/udp/dgram-receiver.js";
import { readKernelDrops } from "../src/capture/udp/kernel-drops.js";
import { nativeAddon } from "../src/capture/udp/native.js";
import { RecvmmsgReceiver } from "../src/capture/udp/recvmmsg-receiver.js";
import { openUdpSender } from "../src/capture/udp/sender.js";
import type { ReceiveBatch, UdpReceiver } from "../src/capture/udp/types.js";

const DEFAULT_RATES = [
  25_000, 50_000, 100_000, 150_000, 200_000, 300_000, 400_000, 600_000, 800_000, 1_000_000,
];
const LOSS_LIMIT = 0.001;

// ---- sender (child process) ------------------------------------------------------------------

async function sender(port: number, rate: number, seconds: number, size: number): Promise<void> {
  const s = await openUdpSender({ host: "127.0.0.1", port });
  if (s.kind !== "sendmmsg") throw new Error(`sender needs the addon: ${s.fallbackReason}`);
  const BATCH = 64;
  const data = Buffer.alloc(BATCH * size);
  const offsets = new Uint32Array(BATCH);
  const lengths = new Uint32Array(BATCH).fill(size);
  for (let i = 0; i < BATCH; i++) {
    offsets[i] = i * size;
    data[i * size] = 0x08; // VXLAN flags
    data[i * size + 6] = 1; // VNI 1
  }
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const start = performance.now();
  const end = start + seconds * 1000;
  let sent = 0;
  let refused = 0;
  for (;;) {
    const t = performance.now();
    if (t >= end) break;
    const due = Math.floor(((t - start) / 1000) * rate);
    if (due - sent <= 0) {
      // Ahead of schedule: sleep a little instead of spinning (the other core is the receiver's).
      Atomics.wait(sleeper, 0, 0, 0.5);
      continue;
    }
    while (sent < due) {
      const n = Math.min(BATCH, due - sent);
      const taken = s.sendBatch(data, offsets, lengths, n);
      sent += taken;
      if (taken < n) {
        refused++;
        break;
      }
    }
  }
  await s.close();
  process.stdout.write(`${JSON.stringify({ sent, seconds: (performance.now() - start) / 1000, refused })}\n`);
}

// ---- receiver (this process) -----------------------------------------------------------------

interface Round {
  rate: number;
  sent: number;
  sendRate: number;
  received: number;
  loss: number;
  cpuUsPerDatagram: number;
  cpuPercent: number;
  kernelDrops: number;
}

function runSender(
  port: number,
  rate: number,
  seconds: number,
  size: number,
): Promise<{ sent: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), "--sender", String(port), String(rate), String(seconds), String(size)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`sender exited ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(
  receiver: UdpReceiver,
  rates: number[],
  seconds: number,
  size: number,
): Promise<Round[]> {
  let received = 0;
  let touched = 0;
  receiver.start((batch: ReceiveBatch) => {
    received += batch.count;
    // The least a consumer does: look at each datagram's VNI byte.
    for (let i = 0; i < batch.count; i++) touched += batch.data[batch.offsets[i] + 6];
  });
  const rounds: Round[] = [];
  let failures = 0;
  for (const rate of rates) {
    await wait(200);
    const before = received;
    const dropsBefore = kernelDrops(receiver);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const s = await runSender(receiver.address.port, rate, seconds, size);
    await wait(300); // drain what is still queued
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - t0) / 1000;
    const got = received - before;
    const cpuUs = cpu.user + cpu.system;
    const round: Round = {
      rate,
      sent: s.sent,
      sendRate: s.sent / s.seconds,
      received: got,
      loss: s.sent > 0 ? Math.max(0, 1 - got / s.sent) : 0,
      cpuUsPerDatagram: got > 0 ? cpuUs / got : 0,
      cpuPercent: (cpuUs / 1e6 / wall) * 100,
      kernelDrops: kernelDrops(receiver) - dropsBefore,
    };
    rounds.push(round);
    printRound(receiver.kind, round);
    // Two rates in a row over the loss limit, or a sender that cannot reach the rate: stop.
    failures = round.loss >= LOSS_LIMIT ? failures + 1 : 0;
    if (failures >= 2 || round.sendRate < rate * 0.9) break;
  }
  if (touched < 0) console.log(touched);
  return rounds;
}

function kernelDrops(receiver: UdpReceiver): number {
  if (receiver.kind === "recvmmsg") return receiver.stats.socketDrops;
  return readKernelDrops(receiver.address.port).port?.drops ?? 0;
}

const k = (n: number) => `${(n / 1000).toFixed(0)}k`;

function printRound(kind: string, r: Round): void {
  console.log(
    [
      kind.padEnd(9),
      k(r.rate).padStart(6),
      k(r.sendRate).padStart(7),
      String(r.received).padStart(9),
      `${(r.loss * 100).toFixed(3)}%`.padStart(8),
      String(r.kernelDrops).padStart(8),
      r.cpuUsPerDatagram.toFixed(2).padStart(8),
      `${r.cpuPercent.toFixed(0)}%`.padStart(6),
    ].join("  "),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "3" },
      rates: { type: "string" },
      size: { type: "string", default: String(379 + 8) },
      "buffer-mb": { type: "string", default: "4" },
    },
  });
  const seconds = Number(values.seconds);
  const size = Number(values.size);
  const rates = values.rates ? values.rates.split(",").map(Number) : DEFAULT_RATES;
  const buffer = Number(values["buffer-mb"]) * 1048576;
  const load = nativeAddon();
  if (load.addon === undefined)
    throw new Error(`the benchmark needs the addon (npm run build:native): ${load.reason}`);
  const addon = load.addon;
  console.log(
    `UDP receive, loopback, ${size}-byte datagrams, ${seconds} s per rate, receive buffer ${values["buffer-mb"]} MiB asked`,
  );
  console.log(
    ["receiver ", "offered", "   sent", " received", "    loss", "  kdrops", "µs/dgram", "  CPU"].join("  "),
  );
  const summary: { kind: string; buffer: number; best: Round | undefined }[] = [];
  for (const kind of ["recvmmsg", "dgram"] as const) {
    const options = { host: "127.0.0.1", port: 0, receiveBufferBytes: buffer };
    const receiver: UdpReceiver =
      kind === "recvmmsg"
        ? RecvmmsgReceiver.open(addon, options)
        : await DgramReceiver.open(options, "benchmark");
    const rounds = await measure(receiver, rates, seconds, size);
    await receiver.close();
    const lossless = rounds.filter((r) => r.loss < LOSS_LIMIT && r.sendRate >= r.rate * 0.9);
    summary.push({ kind, buffer: receiver.receiveBufferBytes, best: lossless.at(-1) });
  }
  console.log("\nhighest rate with < 0.1 % loss, and the receiver's CPU per datagram there:");
  for (const s of summary) {
    const b = s.best;
    console.log(
      `  ${s.kind.padEnd(9)} ${b ? `${k(b.rate)} datagrams/s, ${b.cpuUsPerDatagram.toFixed(2)} µs CPU per datagram (${b.cpuPercent.toFixed(0)}% of a core)` : "none"}  [receive buffer granted ${s.buffer} bytes]`,
    );
  }
  console.log(JSON.stringify(summary));
}

if (process.argv[2] === "--sender") {
  const [port, rate, seconds, size] = process.argv.slice(3).map(Number);
  await sender(port, rate, seconds, size);
} else {
  await main();
}
