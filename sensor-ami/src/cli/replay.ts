// `spanless replay <capture> --to <host:port> ...`: sends a capture to a sensor as AWS VPC Traffic
// Mirroring would (sensor-ami/src/daemon/replay), then says what it sent.

import { parseArgs } from "node:util";
import { CaptureFormatError, CaptureReadError } from "../capture/errors.js";
import type { Pace } from "../daemon/replay/pace.js";
import { type ReplayOptions, type ReplayResult, replayCapture } from "../daemon/replay/replay.js";

const EXIT_OK = 0;
const EXIT_USAGE = 64;
const EXIT_BAD_INPUT = 65;
const EXIT_IO = 74;

export const REPLAY_USAGE = `usage: spanless replay <capture.pcap|capture.pcapng> --to <host:port> [options]

Sends every frame of the capture to a sensor as AWS VPC Traffic Mirroring does: VXLAN over UDP
(flags 0x08, the session's VNI), the mirrored Ethernet frame inside (frames captured without
Ethernet get a synthetic header), from several source ports chosen per inner flow.

options:
  --to <host:port>          the sensor (e.g. 127.0.0.1:4789, [::1]:4789)               [required]
  --vni <n>                 VNI of every frame, 0-16777215 (default 1)
  --vni-from-vlan           each frame's VLAN ID becomes its VNI and the tag is removed
                            (untagged frames get --vni)
  --speed <x>               the capture's timing, x times faster (default: original timing, 1)
  --pps <n>                 a fixed rate, frames per second
  --top                     as fast as possible
  --max-gap <s>             at the capture's timing, no pause between two frames longer than s
                            seconds of capture time (default: none; merged captures can span years)
  --source-ports <n>        sending sockets, one source port each (default 8)
  --symmetric-ports         both directions of a flow from one source port (default: the port is
                            a hash of the inner 5-tuple in packet order, so directions may differ,
                            as AWS allows)
  --loop <n>                times through the capture (default 1)
  --quiet, -q               no summary on stdout

exit status: 0 sent, 64 usage, 65 the capture is not one, 74 cannot read it or send
`;

class UsageError extends Error {
  override name = "UsageError";
}

function integer(text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag}: "${text}" must be an integer ${min}-${max}`);
  return n;
}

/** host:port, [v6]:port; the port is required. */
export function parseDestination(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--to: "${text}" is not host:port (IPv6 as [addr]:port)`);
  const port = integer(m[2], "--to port", 1, 65535)!;
  return { host: m[1], port };
}

/** The replay's options from the command line (after "replay"); throws UsageError. */
export function parseReplayArgs(argv: string[]): ReplayOptions & { quiet: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      to: { type: "string" },
      vni: { type: "string" },
      "vni-from-vlan": { type: "boolean", default: false },
      speed: { type: "string" },
      pps: { type: "string" },
      top: { type: "boolean", default: false },
      "source-ports": { type: "string" },
      "symmetric-ports": { type: "boolean", default: false },
      loop: { type: "string" },
      "max-gap": { type: "string" },
      quiet: { type: "boolean", short: "q", default: false },
    },
  });
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? "a capture file is required" : `one capture file, not ${positionals.length}`,
    );
  if (values.to === undefined) throw new UsageError("--to <host:port> is required");
  if (values.vni !== undefined && values["vni-from-vlan"])
    throw new UsageError("--vni and --vni-from-vlan exclude each other");
  const paces = [values.speed !== undefined, values.pps !== undefined, values.top].filter(Boolean).length;
  if (paces > 1) throw new UsageError("choose one of --speed, --pps and --top");
  let pace: Pace = { kind: "original", speed: 1 };
  if (values.speed !== undefined) {
    const speed = Number(values.speed);
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new UsageError(`--speed: "${values.speed}" must be a number > 0`);
    pace = { kind: "original", speed };
  } else if (values.pps !== undefined) {
    const pps = Number(values.pps);
    if (!(pps > 0) || !Number.isFinite(pps))
      throw new UsageError(`--pps: "${values.pps}" must be a number > 0`);
    pace = { kind: "pps", pps };
  } else if (values.top) {
    pace = { kind: "top" };
  }
  let maxGap: number | undefined;
  if (values["max-gap"] !== undefined) {
    maxGap = Number(values["max-gap"]);
    if (!(maxGap >= 0) || !Number.isFinite(maxGap))
      throw new UsageError(`--max-gap: "${values["max-gap"]}" must be a number >= 0`);
  }
  return {
    capture: positionals[0],
    ...parseDestination(values.to),
    vni: integer(values.vni, "--vni", 0, 0xffffff) ?? 1,
    vniFromVlan: values["vni-from-vlan"],
    pace,
    sourcePorts: integer(values["source-ports"], "--source-ports", 1, 64) ?? 8,
    symmetricPorts: values["symmetric-ports"],
    loops: integer(values.loop, "--loop", 1, 1_000_000) ?? 1,
    ...(maxGap === undefined ? {} : { maxGap }),
    quiet: values.quiet,
  };
}

/** What the replay sent, as printed. */
export function formatReplaySummary(r: ReplayResult, to: string): string {
  const pps = r.seconds > 0 ? Math.round(r.frames / r.seconds) : 0;
  const mbit = r.seconds > 0 ? ((r.bytes * 8) / r.seconds / 1e6).toFixed(1) : "0";
  const lines = [
    `sent ${r.frames} frames, ${r.bytes} bytes (VXLAN payloads) to ${to} in ${r.seconds.toFixed(3)} s: ${pps} pps, ${mbit} Mbit/s` +
      (r.loops > 1 ? `, ${r.loops} loops` : ""),
    `source ports: ${r.ports.map((p) => `${p.port} (${p.frames})`).join(", ")}`,
    `VNIs: ${[...r.vnis].map(([vni, n]) => `${vni} (${n})`).join(", ") || "none"}`,
  ];
  const skipped = Object.entries(r.skipped);
  const total = skipped.reduce((a, [, n]) => a + (n ?? 0), 0);
  lines.push(
    total === 0
      ? "skipped: none"
      : `skipped ${total}: ${skipped.map(([why, n]) => `${n} ${why}`).join(", ")}`,
  );
  if (r.cutShort > 0)
    lines.push(`${r.cutShort} frames sent as captured, shorter than on the wire (snap length)`);
  if (r.untagged > 0) lines.push(`${r.untagged} frames had no VLAN tag and went with the default VNI`);
  if (r.truncated) lines.push("the capture ends mid-record: the frames before it were sent");
  if (r.aborted) lines.push("stopped early (interrupted)");
  if (r.sender.kind === "dgram") lines.push(`sent through node:dgram: ${r.sender.fallbackReason}`);
  return `${lines.join("\n")}\n`;
}

export async function runReplay(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(REPLAY_USAGE);
    return EXIT_OK;
  }
  let options: ReturnType<typeof parseReplayArgs>;
  try {
    options = parseReplayArgs(argv);
  } catch (err) {
    process.stderr.write(`spanless replay: ${(err as Error).message}\n\n${REPLAY_USAGE}`);
    return EXIT_USAGE;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const result = await replayCapture({ ...options, signal: controller.signal });
    const to = options.host.includes(":")
      ? `[${options.host}]:${options.port}`
      : `${options.host}:${options.port}`;
    if (!options.quiet) process.stdout.write(formatReplaySummary(result, to));
    return EXIT_OK;
  } catch (err) {
    const message = (err as Error).message;
    if (err instanceof CaptureFormatError) {
      process.stderr.write(`spanless replay: ${message}\n`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof CaptureReadError || typeof (err as NodeJS.ErrnoException).code === "string") {
      process.stderr.write(`spanless replay: ${message}\n`);
      return EXIT_IO;
    }
    throw err;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
