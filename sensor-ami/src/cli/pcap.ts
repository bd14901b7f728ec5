// `spanless pcap find`: the analyst's next step after a record — which of the PCAP ring's files
// hold this connection. By conn.log uid (its 5-tuple and time range read from the log directory,
// current and rotated files) or by 5-tuple and time range; prints one path a line (and the S3 key
// the uploader gave it, when the ring uploads). Exit 0 found, 1 none, 64 usage, 74 unreadable.

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PcapFindError } from "../pcap/errors.js";
import { type ConnQuery, connByUid, findPcaps } from "../pcap/find.js";
import type { Flow } from "../pcap/flow.js";
import { parseS3Url, pcapObjectKey } from "../pcap/names.js";

const EXIT_FOUND = 0;
const EXIT_NONE = 1;
const EXIT_USAGE = 64;
const EXIT_IO = 74;
const FIVE_TUPLE_ARGS = 5;

export const PCAP_USAGE = `usage: spanless pcap find --uid <conn uid> [--logs <dir>] [--pcap <dir>] [--config <file>]
       spanless pcap find --5tuple <tcp|udp|icmp> <src> <sport> <dst> <dport> --from <time> --to <time> [--pcap <dir>]

Names the PCAP ring's closed files (spanless sensor with pcapMaxGB) that hold a connection, one
path a line, oldest first; with the ring's S3 upload configured, each path is followed by a tab
and its S3 URL. A file is listed when its time range overlaps the connection's and it holds at
least one packet of it, either direction (the files are scanned). The file being written is not
searched: it closes within a minute.

options:
  --uid <uid>        a conn.log uid: its 5-tuple, ts and duration are read from --logs
  --5tuple ...       protocol, addresses and ports as conn.log prints them (id.orig_h … id.resp_p)
  --from, --to       the time range for --5tuple: seconds since the epoch or an ISO 8601 time
  --logs <dir>       the sensor's log directory (default: the config's "out", else .)
  --pcap <dir>       the ring's directory (default: the config's pcapDir, else <logs>/.pcap)
  --config <file>    the sensor's configuration file, for the defaults above and the S3 keys
Exit status: 0 found, 1 none (or the uid is not in conn.log), 64 usage, 74 unreadable files.
`;

class UsageError extends Error {
  override name = "UsageError";
}

interface SensorConfigPart {
  out?: string;
  pcapDir?: string;
  pcapS3?: string;
  sensorId?: string;
  instanceId?: string;
}

export async function runPcap(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || rest.includes("--help")) {
    process.stdout.write(PCAP_USAGE);
    return sub === undefined ? EXIT_USAGE : EXIT_FOUND;
  }
  try {
    if (sub !== "find") throw new UsageError(`unknown subcommand "${sub}"`);
    return find(rest);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`spanless pcap: ${(err as Error).message}\n\n${PCAP_USAGE}`);
      return EXIT_USAGE;
    }
    if (err instanceof PcapFindError) {
      process.stderr.write(`spanless pcap: ${err.message}\n`);
      return /^no conn\.log record/.test(err.message) ? EXIT_NONE : EXIT_IO;
    }
    throw err;
  }
}

function find(argv: string[]): number {
  // parseArgs takes one value per option; --5tuple takes five, so they are taken out first.
  const at = argv.indexOf("--5tuple");
  let tuple: string[] | undefined;
  const args = [...argv];
  if (at !== -1) {
    tuple = args.splice(at, FIVE_TUPLE_ARGS + 1).slice(1);
    if (tuple.length !== FIVE_TUPLE_ARGS)
      throw new UsageError("--5tuple needs <proto> <src> <sport> <dst> <dport>");
  }
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      uid: { type: "string" },
      logs: { type: "string" },
      pcap: { type: "string" },
      config: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.uid === undefined) === (tuple === undefined))
    throw new UsageError("give --uid or --5tuple (one of them)");
  const config = values.config === undefined ? {} : readConfig(values.config);
  const logs = values.logs ?? config.out ?? ".";
  const pcapDir = values.pcap ?? config.pcapDir ?? join(logs, ".pcap");
  const query =
    tuple !== undefined ? tupleQuery(tuple, values.from, values.to) : connByUid(logs, values.uid as string);
  const found = findPcaps(pcapDir, query);
  const s3 = config.pcapS3 === undefined ? undefined : parseS3Url(config.pcapS3);
  const sensorId =
    config.sensorId ?? (config.instanceId ?? hostname()).replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64);
  for (const f of found) {
    const key = s3 === undefined ? undefined : pcapObjectKey(s3.prefix, sensorId, f.name);
    process.stdout.write(
      key === undefined || s3 === undefined ? `${f.path}\n` : `${f.path}\ts3://${s3.bucket}/${key}\n`,
    );
  }
  if (found.length === 0) {
    process.stderr.write("spanless pcap: no closed PCAP file holds that connection\n");
    return EXIT_NONE;
  }
  return EXIT_FOUND;
}

function readConfig(path: string): SensorConfigPart {
  try {
    // Only the fields named here are used; the file's secrets are never printed.
    return JSON.parse(readFileSync(path, "utf8")) as SensorConfigPart;
  } catch (cause) {
    throw new PcapFindError(`cannot read the sensor configuration ${path}`, { cause });
  }
}

function tupleQuery(t: string[], from: string | undefined, to: string | undefined): ConnQuery {
  const [proto, src, sport, dst, dport] = t as [string, string, string, string, string];
  if (proto !== "tcp" && proto !== "udp" && proto !== "icmp")
    throw new UsageError(`--5tuple: protocol "${proto}" is not tcp, udp or icmp`);
  if (from === undefined || to === undefined) throw new UsageError("--5tuple needs --from and --to");
  const fromMicros = timeMicros(from, `--from`);
  const toMicros = timeMicros(to, "--to");
  if (toMicros < fromMicros) throw new UsageError("--from is after --to");
  return {
    proto: proto as Flow["proto"],
    origH: src,
    origP: port(sport),
    respH: dst,
    respP: port(dport),
    fromMicros,
    toMicros,
  };
}

function port(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new UsageError(`--5tuple: "${text}" is not a port (0-65535)`);
  return n;
}

function timeMicros(text: string, flag: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (!Number.isFinite(seconds))
    throw new UsageError(`${flag}: "${text}" is neither seconds since the epoch nor an ISO 8601 time`);
  return Math.round(seconds * 1_000_000);
}
