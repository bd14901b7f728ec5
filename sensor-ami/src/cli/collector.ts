// `spanless collector --listen <host:port> --store <dir> [--s3 s3://bucket/prefix] [--tls-cert f --tls-key f]
// [--tokens <file>]`: the reference collector. Runs until SIGTERM/SIGINT; its log is JSON lines on stderr.

import { parseArgs } from "node:util";
import {
  CertificateError,
  CollectorConfigError,
  type CollectorLogEntry,
  type RunningCollector,
  startCollector,
  TokenStoreError,
} from "../collector/index.js";

const EXIT_OK = 0;
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;
const DEFAULT_PORT = 8443;

export const COLLECTOR_USAGE = `usage: spanless collector --listen <host:port> --store <dir> [options]

Receives batches from sensors (POST /v1/batches, signed with a push token) over HTTPS and stores
each once under <log>/dt=YYYY-MM-DD/hour=HH/sensor=<id>/<batch>.json.gz.
Make tokens with: spanless token create <label> --store <dir>

options:
  --listen <host:port>   address to listen on (default 0.0.0.0:${DEFAULT_PORT}; port 0 picks one)
  --store <dir>          batches (unless --s3), tokens.json and the collector's state     [required]
  --s3 s3://bucket/pfx   store batches in S3 under that prefix instead (credentials: the AWS default chain)
  --s3-endpoint <url>    an S3-compatible endpoint (path-style), e.g. MinIO
  --tls-cert <file>      PEM certificate chain; with --tls-key. Without both, a self-signed certificate
  --tls-key <file>       is made at first start, kept in <store>/.collector/tls, and its fingerprint printed
  --tokens <file>        token file (default <store>/tokens.json)
`;

export interface CollectorIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Stops the collector (the CLI stops on SIGTERM/SIGINT). */
  stop?: AbortSignal;
}

const processIo: CollectorIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** `host:port`, `[v6]:port`, or `host` alone. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d{1,5}))?$/.exec(text);
  const port = match?.[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (!match || port > 65_535) throw new CollectorConfigError(`--listen: "${text}" is not host:port`);
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

function parseCollectorArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      listen: { type: "string", default: `0.0.0.0:${DEFAULT_PORT}` },
      store: { type: "string" },
      s3: { type: "string" },
      "s3-endpoint": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      tokens: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
}

export async function runCollector(argv: string[], io: CollectorIo = processIo): Promise<number> {
  let values: ReturnType<typeof parseCollectorArgs>;
  try {
    values = parseCollectorArgs(argv);
  } catch (error) {
    io.stderr(`spanless collector: ${(error as Error).message}\n\n${COLLECTOR_USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout(COLLECTOR_USAGE);
    return EXIT_OK;
  }
  if (!values.store) {
    io.stderr(`spanless collector: missing --store <dir>\n\n${COLLECTOR_USAGE}`);
    return EXIT_USAGE;
  }
  const log = (entry: CollectorLogEntry) =>
    io.stderr(`${JSON.stringify({ ts: new Date().toISOString(), level: "info", ...entry })}\n`);
  let collector: RunningCollector;
  try {
    const { host, port } = parseListen(values.listen);
    collector = await startCollector({
      host,
      port,
      store: values.store,
      s3: values.s3,
      s3Options: values["s3-endpoint"] ? { endpoint: values["s3-endpoint"] } : undefined,
      tlsCert: values["tls-cert"],
      tlsKey: values["tls-key"],
      tokens: values.tokens,
      log,
    });
  } catch (error) {
    if (
      error instanceof CollectorConfigError ||
      error instanceof CertificateError ||
      error instanceof TokenStoreError
    ) {
      const cause = error.cause ? ` (${(error.cause as Error).message ?? error.cause})` : "";
      io.stderr(`spanless collector: ${error.message}${cause}\n`);
      return EXIT_CONFIG;
    }
    if (
      (error as NodeJS.ErrnoException).code === "EADDRINUSE" ||
      (error as NodeJS.ErrnoException).code === "EACCES"
    ) {
      io.stderr(`spanless collector: cannot listen on ${values.listen}: ${(error as Error).message}\n`);
      return EXIT_CONFIG;
    }
    throw error;
  }
  io.stdout(
    `spanless collector: listening on ${collector.url}, storing to ${collector.sink.description}\n` +
      `spanless collector: certificate ${collector.tls.certPath} (${collector.tls.source}) ` +
      `SHA-256 fingerprint ${collector.tls.fingerprint}\n`,
  );
  log({
    event: "started",
    url: collector.url,
    sink: collector.sink.description,
    fingerprint: collector.tls.fingerprint,
  });
  await new Promise<void>((resolve) => {
    const signals = ["SIGTERM", "SIGINT"] as const;
    const stop = () => {
      for (const s of signals) process.off(s, stop);
      resolve();
    };
    if (io.stop) {
      if (io.stop.aborted) stop();
      else io.stop.addEventListener("abort", stop, { once: true });
    }
    for (const s of signals) process.on(s, stop);
  });
  await collector.close();
  log({ event: "stopped" });
  return EXIT_OK;
}
