// Command-line entry: `spanless analyze <capture> --out <dir> [options]`, and the live sensor's
// `spanless sensor`, `spanless replay` and `spanless health`.

import { parseArgs } from "node:util";
import { CaptureFormatError, CaptureReadError } from "../capture/errors.js";
import { type Cidr, CidrParseError, parseCidr } from "../engine/addr.js";
import type { EngineOptions } from "../engine/options.js";
import { buildInspector } from "../inspect/index.js";
import { LogWriteError } from "../logs/writer.js";
import { type AnalyzeResult, analyzeCapture, formatSummary } from "./analyze.js";
import { writeCompletion } from "./completion.js";
import { failedRunRecord, finishedRunRecord, type RunEnd } from "./run-record.js";

const EXIT_OK = 0;
const EXIT_USAGE = 64;
const EXIT_BAD_INPUT = 65;
const EXIT_IO = 74;
/** The capture ended mid-record: everything before it was processed and logged. */
const EXIT_TRUNCATED = 3;
/** Corrupt stretches in the capture were skipped: everything readable around them was processed. */
const EXIT_RESYNCED = 4;

const USAGE = `usage: spanless analyze <capture.pcap|capture.pcapng> --out <dir> [options]
       spanless sensor [--config <file>] [--listen <host:port>] [--out <dir>] [--health-port <n>] [--workers <n>]
       spanless replay <capture> --to <host:port> [--vni <n> | --vni-from-vlan] [--pps <n> | --speed <x> | --top]
       spanless health [--port <n>] [--json]
       spanless pcap find --uid <conn uid> [--logs <dir>] [--pcap <dir>]   (the PCAP ring's files of a connection)
       spanless demo [<capture>] --out <dir>     (collector + sensor + replay on this machine)
       spanless collector --listen <host:port> --store <dir> [--s3 s3://bucket/prefix] [--tls-cert <f> --tls-key <f>]
       spanless token create <label> | list | revoke <label>  --store <dir> | --tokens <file>
       spanless bootstrap --log-group <g> --auto-scaling-group <g> --lifecycle-hook <h> [--pcap-bucket <b>]   (first boot of a sensor instance)
       spanless version [--json]                   (version, Node.js, and the image manifest on a sensor image)
       (each command's --help lists its options)

Writes Zeek-style logs (conn.log, weird.log, and protocol logs) into <dir>, then summary.json
(how the run ended); a <dir> without summary.json holds an interrupted run.

options:
  --out, -o <dir>            output directory (created if missing)             [required]
  --format json|tsv          Zeek JSON lines (default) or Zeek TSV with #fields header
  --local-nets <cidrs>       comma-separated networks for local_orig/local_resp (e.g. 10.0.0.0/8,fd00::/8)
  --vxlan-ports <ports>      UDP ports decoded as VXLAN (default 4789)
  --geneve-ports <ports>     UDP ports decoded as GENEVE (default 6081)
  --tunnel-depth <n>         maximum nested encapsulations (default 4; 0 disables decapsulation)
  --max-connections <n>      live connection limit; least recently active are evicted beyond it (default 1000000)
  --memory-budget <MB>       memory for connections, reassembly and fragments together; least recently active
                             connections are evicted beyond it (default: 1/4 of the machine's or cgroup's
                             memory, at most 1/2 of the JavaScript heap limit)
  --checksums auto|on|off    verify IP/TCP/UDP/ICMP checksums and drop bad packets: on (Zeek's default),
                             off (Zeek's -C), auto (default: verify, but keep failures that fit offloading, per host)
  --no-checksums             same as --checksums off
  --no-community-id          omit community_id from conn.log
  --no-inspect               no protocol inspection: conn.log without service, no dns/http/ssl/… logs
  --seed <n>                 seed uids, and take TSV #open/#close and summary.json times from the
                             capture, so two runs give byte-identical output (default: random uids,
                             wall-clock times)
  --tcp-inactivity <s>       TCP inactivity timeout (default 300, Zeek's)
  --udp-inactivity <s>       UDP inactivity timeout (default 60, Zeek's)
  --quiet, -q                no summary on stdout
`;

class UsageError extends Error {
  override name = "UsageError";
}

function parsePorts(text: string, flag: string): number[] {
  return text.split(",").map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new UsageError(`${flag}: "${s}" is not a port number (1-65535)`);
    return n;
  });
}

function parseCount(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag}: "${text}" must be an integer >= ${min}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  // The live sensor's commands load only what they use: `analyze` stays free of sockets and threads.
  if (command === "sensor") return (await import("./sensor.js")).runSensor(rest);
  if (command === "replay") return (await import("./replay.js")).runReplay(rest);
  if (command === "health") return (await import("./health.js")).runHealth(rest);
  if (command === "pcap") return (await import("./pcap.js")).runPcap(rest);
  if (command === "demo") return (await import("./demo.js")).runDemoCommand(rest);
  if (command === "collector") return (await import("./collector.js")).runCollector(rest);
  if (command === "token") return (await import("./token.js")).runToken(rest);
  if (command === "bootstrap") return (await import("./bootstrap.js")).runBootstrapCommand(rest);
  if (command === "version" || command === "--version")
    return (await import("./version-command.js")).runVersion(rest);
  if (command !== "analyze") {
    process.stderr.write(`spanless: unknown command "${command}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  // Set once the output directory is ready: from then on every ending leaves a completion record.
  let outDir: string | undefined;
  let capture = "";
  const startedAt = Date.now() / 1000;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        out: { type: "string", short: "o" },
        format: { type: "string", default: "json" },
        "local-nets": { type: "string" },
        "vxlan-ports": { type: "string" },
        "geneve-ports": { type: "string" },
        "tunnel-depth": { type: "string" },
        "max-connections": { type: "string" },
        "memory-budget": { type: "string" },
        "no-checksums": { type: "boolean", default: false },
        checksums: { type: "string", default: "auto" },
        "no-community-id": { type: "boolean", default: false },
        "no-inspect": { type: "boolean", default: false },
        seed: { type: "string" },
        "tcp-inactivity": { type: "string" },
        "udp-inactivity": { type: "string" },
        quiet: { type: "boolean", short: "q", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? "missing <capture>" : "exactly one capture file, please",
      );
    if (!values.out) throw new UsageError("missing --out <dir>");
    if (values.format !== "json" && values.format !== "tsv")
      throw new UsageError(`--format must be json or tsv, not "${values.format}"`);
    const engine: Partial<EngineOptions> = {};
    if (values["local-nets"]) {
      const nets: Cidr[] = values["local-nets"].split(",").filter(Boolean).map(parseCidr);
      engine.localNets = nets;
    }
    if (values["vxlan-ports"]) engine.vxlanPorts = parsePorts(values["vxlan-ports"], "--vxlan-ports");
    if (values["geneve-ports"]) engine.genevePorts = parsePorts(values["geneve-ports"], "--geneve-ports");
    const depth = parseCount(values["tunnel-depth"], "--tunnel-depth", 0);
    if (depth !== undefined) engine.maxTunnelDepth = depth;
    const maxConns = parseCount(values["max-connections"], "--max-connections", 1);
    if (maxConns !== undefined) engine.maxConnections = maxConns;
    const budgetMb = parseCount(values["memory-budget"], "--memory-budget", 1);
    if (budgetMb !== undefined) engine.memoryBudgetBytes = budgetMb * 1048576;
    const seed = parseCount(values.seed, "--seed", 0);
    if (seed !== undefined) engine.seed = seed;
    const cs = values["no-checksums"] ? "off" : values.checksums;
    if (cs !== "auto" && cs !== "on" && cs !== "off")
      throw new UsageError(`--checksums must be auto, on or off, not "${cs}"`);
    engine.verifyChecksums = cs === "auto" ? "auto" : cs === "on";
    if (values["no-community-id"]) engine.communityId = false;
    const tcpIdle = parseCount(values["tcp-inactivity"], "--tcp-inactivity", 1);
    const udpIdle = parseCount(values["udp-inactivity"], "--udp-inactivity", 1);
    if (tcpIdle !== undefined || udpIdle !== undefined) {
      const { ZEEK_DEFAULT_TIMEOUTS } = await import("../engine/options.js");
      engine.timeouts = {
        ...ZEEK_DEFAULT_TIMEOUTS,
        ...(tcpIdle !== undefined ? { tcpInactivity: tcpIdle } : {}),
        ...(udpIdle !== undefined ? { udpInactivity: udpIdle } : {}),
      };
    }
    capture = positionals[0];
    const out = values.out;
    const result = analyzeCapture({
      capture,
      outDir: out,
      format: values.format,
      engine,
      inspector: values["no-inspect"] ? undefined : buildInspector,
      captureTime: seed !== undefined,
      onOutputReady: () => {
        outDir = out;
      },
    });
    if (!values.quiet) process.stdout.write(formatSummary(capture, out, result));
    const end = runEnd(capture, result);
    if (end.message) process.stderr.write(`spanless: ${end.message}\n`);
    // The directory is complete only now; a failure to say so is an output error like any other.
    outDir = undefined;
    writeCompletion(out, finishedRunRecord(capture, result, end));
    return end.exitStatus;
  } catch (err) {
    const status = errorExitStatus(err);
    if (outDir !== undefined) {
      const end: RunEnd = { exitStatus: status ?? 1, outcome: "error", message: (err as Error).message };
      try {
        writeCompletion(outDir, failedRunRecord(capture, end, startedAt));
      } catch {
        // The output is already failing; the error below is what matters.
      }
    }
    if (status === undefined) throw err;
    const message = (err as Error).message;
    process.stderr.write(
      status === EXIT_USAGE ? `spanless: ${message}\n\n${USAGE}` : `spanless: ${message}\n`,
    );
    return status;
  }
}

/** How a run that read its whole capture ends: exit status, outcome word, stderr message. */
function runEnd(capture: string, r: AnalyzeResult): RunEnd {
  const skipped =
    r.resyncCount > 0
      ? `${capture}: ${r.resyncCount} corrupt stretch(es), ${r.skippedBytes} bytes in all, skipped (the first at byte ${r.resyncs[0].fileOffset}, after packet ${r.resyncs[0].afterPacket}); the records around them were processed`
      : undefined;
  if (r.truncation) {
    // The cut end decides the status (scripts know 3); the skipped stretches are still reported.
    const message = skipped ? `${skipped}\nspanless: ${r.truncation.message}` : r.truncation.message;
    return { exitStatus: EXIT_TRUNCATED, outcome: "truncated", message };
  }
  if (skipped) return { exitStatus: EXIT_RESYNCED, outcome: "resynchronised", message: skipped };
  if (r.stats.packets > 0 && r.unsupportedLinkPackets === r.stats.packets) {
    return {
      exitStatus: EXIT_BAD_INPUT,
      outcome: "unsupported",
      message: `${capture}: every packet uses an unsupported link type; nothing was analysed`,
    };
  }
  return { exitStatus: EXIT_OK, outcome: "ok" };
}

/** The exit status for an error the CLI explains itself; undefined for a bug (rethrown). */
function errorExitStatus(err: unknown): number | undefined {
  if (
    err instanceof UsageError ||
    err instanceof CidrParseError ||
    (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
  )
    return EXIT_USAGE;
  if (err instanceof CaptureFormatError) return EXIT_BAD_INPUT;
  if (err instanceof CaptureReadError || err instanceof LogWriteError) return EXIT_IO;
  return undefined;
}
