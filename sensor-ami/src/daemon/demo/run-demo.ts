// `spanless demo`: the whole data path on one machine, as real processes over real sockets:
// a reference collector on loopback with a fresh push token and its self-signed certificate, a
// live sensor uploading to it, and the capture replayed into the sensor as AWS sends mirrored
// traffic. The output directory ends up holding what the collector stored.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type DaemonSnapshot, handledDatagrams } from "../snapshot.js";

/** How long the demo waits for each step before it says which one did not finish. */
const STEP_TIMEOUT_MS = 60_000;

export interface DemoOptions {
  capture: string;
  out: string;
  /** The CLI launcher to start the collector, sensor and replay with (this process's own). */
  launcher: string;
  log: (line: string) => void;
}

export interface DemoResult {
  frames: number;
  wireBytes: number;
  records: Map<string, number>;
  batches: number;
  storedBytes: number;
  kernelDrops: number;
  queueDrops: number;
  spooledLeft: boolean;
}

export class DemoError extends Error {
  override name = "DemoError";
}

interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(launcher: string, args: string[]): Child {
  const proc = spawn(process.execPath, [launcher, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  proc.stdout?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, output: () => text, exited };
}

async function waitFor<T>(
  what: string,
  child: Child | undefined,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const end = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (child !== undefined && child.proc.exitCode !== null)
      throw new DemoError(`${what}: the process ended (${child.proc.exitCode}):\n${child.output()}`);
    if (Date.now() > end) throw new DemoError(`${what}: not done after ${STEP_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(launcher: string, args: string[]): Promise<string> {
  const c = start(launcher, args);
  const code = await c.exited;
  if (code !== 0) throw new DemoError(`spanless ${args[0]} failed (${code}):\n${c.output()}`);
  return c.output();
}

interface SensorStatus {
  snapshot: DaemonSnapshot;
}

/**
 * A previous demo's store in `dir` (its .collector state and <log>/dt=… trees) is removed, so the
 * directory holds this run's records only; anything else in it is left alone.
 */
function clearPreviousStore(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    const isLayout = name === ".collector" || readdirSync(path).every((child) => child.startsWith("dt="));
    if (isLayout) rmSync(path, { recursive: true, force: true });
  }
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  mkdirSync(o.out, { recursive: true });
  clearPreviousStore(o.out);
  const work = mkdtempSync(join(tmpdir(), "spanless-demo-"));
  const children: Child[] = [];
  try {
    // 1. A push token, kept outside the output (the collector's token file holds only its key).
    const tokens = join(work, "tokens.json");
    const token = (await run(o.launcher, ["token", "create", "demo", "--tokens", tokens]))
      .trim()
      .split("\n")[0];
    // 2. The collector, storing into the output directory.
    const collector = start(o.launcher, [
      "collector",
      "--listen",
      "127.0.0.1:0",
      "--store",
      o.out,
      "--tokens",
      tokens,
    ]);
    children.push(collector);
    const collectorPort = await waitFor(
      "collector start",
      collector,
      () => /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(collector.output())?.[1],
    );
    o.log(`collector on https://127.0.0.1:${collectorPort}, storing into ${o.out}`);
    // 3. The sensor, uploading to it with the token, trusting its certificate.
    const config = join(work, "sensor.json");
    writeFileSync(
      config,
      JSON.stringify({
        out: join(work, "sensor-logs"),
        collectorUrl: `https://127.0.0.1:${collectorPort}/`,
        pushToken: token,
        collectorCaFile: join(o.out, ".collector", "tls", "collector-cert.pem"),
        sensorId: "demo",
        memoryBudgetMB: 512,
      }),
      { mode: 0o600 },
    );
    const sensor = start(o.launcher, [
      "sensor",
      "--config",
      config,
      "--listen",
      "127.0.0.1:0",
      "--health-port",
      "0",
      "--health-host",
      "127.0.0.1",
    ]);
    children.push(sensor);
    const [port, healthPort] = await waitFor("sensor start", sensor, () => {
      const l = /listening on 127\.0\.0\.1:(\d+) /.exec(sensor.output());
      const h = /health on http:\/\/[^:]+:(\d+)\//.exec(sensor.output());
      return l && h ? [Number(l[1]), Number(h[1])] : undefined;
    });
    o.log(`sensor on udp://127.0.0.1:${port}`);
    // 4. The capture, replayed as AWS Traffic Mirroring sends it.
    const sent = await run(o.launcher, ["replay", o.capture, "--to", `127.0.0.1:${port}`, "--top"]);
    const frames = Number(/sent (\d+) frames/.exec(sent)?.[1] ?? 0);
    const wireBytes = Number(/frames, (\d+) bytes/.exec(sent)?.[1] ?? 0);
    o.log(`replayed ${frames} frames of ${o.capture}`);
    const status = async (): Promise<SensorStatus | undefined> => {
      try {
        return (await (await fetch(`http://127.0.0.1:${healthPort}/status`)).json()) as SensorStatus;
      } catch {
        return undefined;
      }
    };
    const last = await waitFor("sensor analysis", sensor, async () => {
      const st = await status();
      if (st === undefined) return undefined;
      return st.snapshot.totals.datagrams >= frames && handledDatagrams(st.snapshot) >= frames
        ? st
        : undefined;
    });
    // 5. Stop: the sensor logs every open connection and uploads before it exits.
    sensor.proc.kill("SIGTERM");
    const sensorExit = await sensor.exited;
    if (sensorExit !== 0) throw new DemoError(`the sensor exited with ${sensorExit}:\n${sensor.output()}`);
    collector.proc.kill("SIGTERM");
    await collector.exited;
    const result = summarise(o.out);
    return {
      frames,
      wireBytes,
      ...result,
      kernelDrops: last.snapshot.totals.kernelDrops,
      queueDrops: last.snapshot.totals.queueDrops,
      spooledLeft: /stay in the spool/.test(sensor.output()),
    };
  } finally {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  }
}

/** Records per log, batches and their bytes, from the collector's layout in `store`. */
function summarise(store: string): { records: Map<string, number>; batches: number; storedBytes: number } {
  const records = new Map<string, number>();
  let batches = 0;
  let storedBytes = 0;
  const walk = (dir: string, log: string | undefined) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith(".")) continue;
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path, log ?? name);
      else if (log !== undefined && name.endsWith(".json.gz")) {
        batches++;
        storedBytes += st.size;
        const lines = gunzipSync(readFileSync(path)).toString().split("\n").filter(Boolean).length;
        records.set(log, (records.get(log) ?? 0) + lines);
      }
    }
  };
  walk(store, undefined);
  return { records, batches, storedBytes };
}
