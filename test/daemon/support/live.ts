// Runs the real `spanless sensor` process (the built CLI) on loopback for end-to-end tests, and
// sends it VXLAN datagrams: through `spanless replay`, or datagram by datagram from a chosen
// source address (a second mirror session).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CaptureReader } from "../../../sensor-ami/src/capture/reader.js";
import { type DaemonSnapshot, handledDatagrams } from "../../../sensor-ami/src/daemon/snapshot.js";
import { Frame } from "../../../sensor-ami/src/engine/frame.js";
import { REPO_ROOT } from "../../support/corpus.js";

export const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
export const CLI = join(REPO_ROOT, "sensor-ami", "bin", "spanless.js");

export interface LiveSensor {
  proc: ChildProcess;
  port: number;
  healthPort: number;
  stderr: () => string;
  /** Sends the signal and resolves with the exit code (null: killed by a signal). */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  status: () => Promise<StatusDoc>;
}

export interface StatusDoc {
  snapshot: {
    totals: Record<string, number>;
    workers: { records: Record<string, number>; evictions: number; packets: number }[];
  };
  report: { status: string; checks: { name: string; status: string; value: string; reason: string }[] };
}

export interface StartOptions {
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Another build of the CLI (the one-file bundle, an installed image): its runtime and script. */
  program?: { node: string; script: string };
}

/** Starts the sensor; resolves once it listens (ports parsed from its start lines), rejects with its stderr if it exits. */
export function startSensor(
  args: string[],
  options: StartOptions = {},
  listen = "127.0.0.1:0",
): Promise<LiveSensor> {
  const { program = { node: NODE, script: CLI }, ...spawnOptions } = options;
  const proc = spawn(
    program.node,
    [
      program.script,
      "sensor",
      "--listen",
      listen,
      "--health-port",
      "0",
      "--health-host",
      "127.0.0.1",
      ...args,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      ...spawnOptions,
    },
  );
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sensor did not start in 15 s:\n${err}`)), 15_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`sensor exited with ${code}:\n${err}`), { code, stderr: err }));
    });
    const poll = setInterval(() => {
      const listen = /listening on [^ ]+:(\d+) /.exec(err);
      const health = /health on http:\/\/[^:]+:(\d+)\//.exec(err);
      if (listen === null || health === null) return;
      clearInterval(poll);
      clearTimeout(timer);
      const healthPort = Number(health[1]);
      resolve({
        proc,
        port: Number(listen[1]),
        healthPort,
        stderr: () => err,
        stop: async (signal = "SIGTERM") => {
          proc.kill(signal);
          return exited;
        },
        status: async () =>
          (await (await fetch(`http://127.0.0.1:${healthPort}/status`)).json()) as StatusDoc,
      });
    }, 20);
    void exited.then(() => clearInterval(poll));
  });
}

/** `spanless replay` into the sensor; returns its stdout. */
export function replay(capture: string, port: number, args: string[] = ["--top"]): string {
  const r = spawnSync(NODE, [CLI, "replay", capture, "--to", `127.0.0.1:${port}`, ...args], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`replay failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Resolves when the sensor has received `datagrams` and its engines have taken each of them (or
 * counted it as a duplicate, not VXLAN or a queue drop); throws after the timeout.
 */
export async function waitForDatagrams(s: LiveSensor, datagrams: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const st = await s.status();
    const t = st.snapshot.totals;
    const handled = handledDatagrams(st.snapshot as unknown as DaemonSnapshot);
    if (t.datagrams >= datagrams && handled >= datagrams) return;
    if (Date.now() > end)
      throw new Error(`sensor received ${t.datagrams} and handled ${handled} of ${datagrams} datagrams`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves when `file` exists (a worker's lines reach the files within a report interval). */
export async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`${file} did not appear`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A capture's frames as VXLAN datagrams of one mirror session. */
export function vxlanDatagrams(capture: string, vni: number): { bytes: Buffer; ts: number }[] {
  const reader = CaptureReader.open(capture);
  const f = new Frame();
  const out: { bytes: Buffer; ts: number }[] = [];
  try {
    while (reader.next(f)) {
      const d = Buffer.alloc(8 + f.caplen);
      d[0] = 0x08;
      d.writeUIntBE(vni, 4, 3);
      d.set(f.data.subarray(f.offset, f.offset + f.caplen), 8);
      out.push({ bytes: d, ts: f.ts });
    }
  } finally {
    reader.close();
  }
  return out;
}

/** Sends datagrams in order, each from the socket (source address) its `from` names, pacing to stay under the socket buffer. */
export async function sendFrom(port: number, datagrams: { bytes: Buffer; from: string }[]): Promise<void> {
  const sockets = new Map<string, ReturnType<typeof createSocket>>();
  for (const from of new Set(datagrams.map((d) => d.from))) {
    const s = createSocket("udp4");
    await new Promise<void>((resolve) => s.bind({ address: from, port: 0 }, resolve));
    sockets.set(from, s);
  }
  let i = 0;
  for (const d of datagrams) {
    const s = sockets.get(d.from);
    await new Promise<void>((resolve, reject) =>
      s?.send(d.bytes, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
    );
    if (++i % 200 === 0) await new Promise((r) => setTimeout(r, 2));
  }
  for (const s of sockets.values()) s.close();
}

/** Every JSON record of a log in a sensor's output directory, current and rotated (gzipped or not). */
export function readLiveLog(dir: string, log: string): Record<string, unknown>[] {
  if (!existsSync(dir)) return [];
  const out: Record<string, unknown>[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!(f === `${log}.log` || (f.startsWith(`${log}.`) && /\.log(\.gz)?$/.test(f)))) continue;
    const raw = readFileSync(join(dir, f));
    const text = f.endsWith(".gz") ? gunzipSync(raw).toString() : raw.toString();
    for (const line of text.split("\n"))
      if (line !== "") out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

/** Fields that depend on when packets arrived, which a replay cannot keep, or on the mirror session. */
const TIMING_OR_SESSION = new Set([
  "ts",
  "uid",
  "uids",
  "duration",
  "rtt",
  "tunnel_parents",
  "vni",
  "mirror_src",
  "packet",
  "fuid",
]);

/**
 * Records as comparable text: without timing and session fields. Zeek logs a connection's byte
 * counts only when its duration is positive, so they go with the duration.
 */
export function comparable(records: Record<string, unknown>[]): string[] {
  return records
    .filter((r) => r.service !== "vxlan")
    .map((r) => {
      const c: Record<string, unknown> = {};
      for (const k of Object.keys(r).sort()) if (!TIMING_OR_SESSION.has(k) && !k.endsWith("_ts")) c[k] = r[k];
      delete c.orig_bytes;
      delete c.resp_bytes;
      return JSON.stringify(c);
    })
    .sort();
}
