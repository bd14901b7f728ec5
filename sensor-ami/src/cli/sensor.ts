// `spanless sensor`: runs the live sensor until SIGTERM/SIGINT (SIGHUP reopens the logs).
// Settings come from --config (JSON, contracts/config/sensor-file.ts) with flags on top; the
// merged settings are validated by the shared schema, so a bad file or flag stops the start
// with the field and what is wrong, and no value (tokens are secrets) is ever printed.

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DEFAULT_VNI_MAP_S3_POLL_SECONDS,
  parseListen,
  parseSensorFile,
  type SensorFileConfig,
  SensorFileError,
} from "../../../contracts/config/sensor-file.js";
import { Sensor } from "../daemon/sensor.js";
import { parseCidr } from "../engine/addr.js";
import { SPANLESS_VERSION } from "./version.js";

const EXIT_OK = 0;
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;
const EXIT_UNAVAILABLE = 69;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

export const SENSOR_USAGE = `usage: spanless sensor [--config <file>] [options]

Receives AWS Traffic Mirroring (VXLAN over UDP) and writes Zeek JSON logs, rotated, into --out.
Runs until SIGTERM or SIGINT (then finishes open connections and exits 0); SIGHUP reopens the
logs and re-reads the VNI map (which is also re-read within 5 s of any change).

options (each overrides the config file's field of the same meaning):
  --config <file>            JSON settings (fields: listen, out, healthPort, healthHost, workers,
                             memoryBudgetMB, receiveBufferMB, dedupWindowMs, rotateSeconds, rotateMaxMB,
                             vniMap, vniMapS3, vniMapS3PollSeconds, vniMapS3Endpoint, metricsFile,
                             instanceId, availabilityZone, localNets; uploading:
                             collectorUrl, pushToken, proxy, collectorCaFile, spoolDir, spoolMaxMB,
                             sensorId; osSensorHmac; PCAP ring: pcapMaxGB, pcapDir, pcapS3,
                             pcapS3Endpoint). The push token is read from the file only, so
                             it never shows in a process list.
  --listen <host:port>       where to receive VXLAN (default 0.0.0.0:4789; IPv6 as [::]:4789)
  --out <dir>                log directory                                          [required]
  --health-port <n>          HTTP health port: /healthcheck for the NLB, /status (default 8080)
  --health-host <addr>       address the health port binds (default 0.0.0.0)
  --workers <n|auto>         engine workers (default auto: one per core)
  --memory-budget <MB>       memory for connections, reassembly and fragments, all workers together
                             (default: 1/4 of the machine's or cgroup's memory)
  --receive-buffer <MB>      socket receive buffer to ask for (default 64)
  --dedup-window <ms>        window for suppressing the second mirrored copy of a packet (default 50; 0: off)
  --rotate <s>               rotate logs every <s> seconds, aligned to the clock (default 3600)
  --rotate-size <MB>         rotate a log early at this size (default 1024)
  --vni-map <file>           VNI map (written by the mirror function) for instance enrichment; reloaded on change
  --metrics-file <file>      CloudWatch EMF metrics, one line a minute (default: none)
  --pcap-max-gb <GB>         keep a PCAP ring of the received traffic, at most this many GiB on disk
                             (in <out>/.pcap unless pcapDir; find a connection's files: spanless pcap find)
  --seed <n>                 seed uids (tests)
  --no-inspect               connection records only
`;

class UsageError extends Error {
  override name = "UsageError";
}

function numberFlag(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag}: "${text}" is not a number`);
  return n;
}

/** The merged settings: the file's, then the flags'. Throws SensorFileError naming each bad field. */
export function sensorSettings(argv: string[]): {
  config: SensorFileConfig;
  seed?: number;
  inspect: boolean;
} {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      listen: { type: "string" },
      out: { type: "string", short: "o" },
      "health-port": { type: "string" },
      "health-host": { type: "string" },
      workers: { type: "string" },
      "memory-budget": { type: "string" },
      "receive-buffer": { type: "string" },
      "dedup-window": { type: "string" },
      rotate: { type: "string" },
      "rotate-size": { type: "string" },
      "vni-map": { type: "string" },
      "metrics-file": { type: "string" },
      "pcap-max-gb": { type: "string" },
      seed: { type: "string" },
      "no-inspect": { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  let file: Record<string, unknown> = {};
  if (values.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.config, "utf8");
    } catch (err) {
      throw new SensorFileError([
        `--config ${values.config}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      ]);
    }
    try {
      file = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      // JSON.parse's message quotes the text around the error, which may be a secret: only the position.
      const at = /position (\d+)/.exec((err as Error).message)?.[1];
      throw new SensorFileError([
        `--config ${values.config}: not valid JSON${at === undefined ? "" : ` (at byte ${at})`}`,
      ]);
    }
  }
  const flags: Record<string, unknown> = {};
  const put = (field: string, v: unknown) => {
    if (v !== undefined) flags[field] = v;
  };
  put("listen", values.listen);
  put("out", values.out);
  put("healthPort", numberFlag(values["health-port"], "--health-port"));
  put("healthHost", values["health-host"]);
  put("workers", values.workers === "auto" ? "auto" : numberFlag(values.workers, "--workers"));
  put("memoryBudgetMB", numberFlag(values["memory-budget"], "--memory-budget"));
  put("receiveBufferMB", numberFlag(values["receive-buffer"], "--receive-buffer"));
  put("dedupWindowMs", numberFlag(values["dedup-window"], "--dedup-window"));
  put("rotateSeconds", numberFlag(values.rotate, "--rotate"));
  put("rotateMaxMB", numberFlag(values["rotate-size"], "--rotate-size"));
  put("vniMap", values["vni-map"]);
  put("metricsFile", values["metrics-file"]);
  put("pcapMaxGB", numberFlag(values["pcap-max-gb"], "--pcap-max-gb"));
  const merged =
    typeof file === "object" && file !== null && !Array.isArray(file) ? { ...file, ...flags } : file;
  if (merged.out === undefined && values.config === undefined)
    throw new UsageError('missing --out <dir> (or --config <file> with "out")');
  const config = parseSensorFile(merged);
  // CIDR syntax is the engine's to judge: checked here so that a bad one stops the start, not a worker.
  const badNets = (config.localNets ?? []).flatMap((net, i) => {
    try {
      parseCidr(net);
      return [];
    } catch (err) {
      return [`localNets.${i}: ${(err as Error).message}`];
    }
  });
  if (badNets.length > 0) throw new SensorFileError(badNets);
  const seed = numberFlag(values.seed, "--seed");
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0))
    throw new UsageError(`--seed: "${values.seed}" must be an integer >= 0`);
  return { config, seed, inspect: !values["no-inspect"] };
}

/** The instance ID, else the host name as the collector's layout allows it. */
function defaultSensorId(instanceId: string | undefined): string {
  const name = (instanceId ?? hostname()).replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64);
  return name === "" ? "sensor" : name;
}

export async function runSensor(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(SENSOR_USAGE);
    return EXIT_OK;
  }
  let settings: ReturnType<typeof sensorSettings>;
  try {
    settings = sensorSettings(argv);
  } catch (err) {
    if (err instanceof SensorFileError) {
      process.stderr.write(`spanless sensor: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`spanless sensor: ${(err as Error).message}\n\n${SENSOR_USAGE}`);
      return EXIT_USAGE;
    }
    throw err;
  }
  const c = settings.config;
  const listen = parseListen(c.listen);
  if (listen === undefined) throw new Error("unreachable: listen was validated");
  const log = (line: string) => process.stderr.write(`spanless sensor: ${line}\n`);
  let sensor: Sensor;
  try {
    sensor = await Sensor.start({
      host: listen.host,
      port: listen.port,
      out: c.out,
      healthHost: c.healthHost,
      healthPort: c.healthPort,
      workers: c.workers,
      memoryBudgetBytes: c.memoryBudgetMB === undefined ? undefined : c.memoryBudgetMB * MIB,
      receiveBufferBytes: c.receiveBufferMB * MIB,
      dedupWindowSeconds: c.dedupWindowMs / 1000,
      rotateSeconds: c.rotateSeconds,
      rotateMaxBytes: c.rotateMaxMB * MIB,
      vniMap: c.vniMap,
      vniMapS3:
        c.vniMapS3 !== undefined
          ? {
              url: c.vniMapS3,
              endpoint: c.vniMapS3Endpoint,
              intervalMs: (c.vniMapS3PollSeconds ?? DEFAULT_VNI_MAP_S3_POLL_SECONDS) * 1000,
            }
          : undefined,
      metricsFile: c.metricsFile,
      instanceId: c.instanceId,
      availabilityZone: c.availabilityZone,
      localNets: c.localNets,
      seed: settings.seed,
      inspect: settings.inspect,
      version: SPANLESS_VERSION,
      log,
      pcap:
        c.pcapMaxGB !== undefined
          ? {
              dir: c.pcapDir ?? join(c.out, ".pcap"),
              maxBytes: Math.floor(c.pcapMaxGB * GIB),
              s3:
                c.pcapS3 !== undefined
                  ? {
                      url: c.pcapS3,
                      endpoint: c.pcapS3Endpoint,
                      sensorId: c.sensorId ?? defaultSensorId(c.instanceId),
                    }
                  : undefined,
            }
          : undefined,
      shipping:
        c.collectorUrl !== undefined && c.pushToken !== undefined
          ? {
              collectorUrl: c.collectorUrl,
              pushToken: c.pushToken,
              proxy: c.proxy,
              caFile: c.collectorCaFile,
              spoolDir: c.spoolDir ?? join(c.out, ".spool"),
              spoolMaxBytes: c.spoolMaxMB * MIB,
              sensorId: c.sensorId ?? defaultSensorId(c.instanceId),
            }
          : undefined,
    });
  } catch (err) {
    log(`cannot start: ${(err as Error).message}`);
    return EXIT_UNAVAILABLE;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      // A second signal (a launcher forwarding the one its process group also got, or an
      // impatient operator) must not kill the process mid-flush: the first one is being honoured.
      if (stopping) {
        log(`${signal}: already stopping`);
        return;
      }
      stopping = true;
      log(`${signal}: stopping (finishing open connections)`);
      void sensor.stop().then(resolve);
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => sensor.reopenLogs());
    // A worker failure stops the sensor on its own; its status ends the process too.
    void sensor.stopped.then(resolve);
  });
}
