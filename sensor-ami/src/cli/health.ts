// `spanless health [--port <n>] [--host <h>] [--json]`: asks the running sensor for its status
// (GET /status on its health port) and prints the report. Exit 1 when any check is an ERROR or the
// sensor does not answer, 0 otherwise (warnings included), 64 on a usage error.

import { parseArgs } from "node:util";
import { z } from "zod";
import { CHECK_NAMES, type HealthReport, unavailableReport } from "../daemon/health/checks.js";
import { DEFAULT_HEALTH_HOST, DEFAULT_HEALTH_PORT } from "../daemon/health/constants.js";
import { formatHealthReport } from "../daemon/health/format.js";
import type { DaemonSnapshot } from "../daemon/snapshot.js";

const EXIT_OK = 0;
const EXIT_UNHEALTHY = 1;
const EXIT_USAGE = 64;
/** How long the sensor may take to answer; it answers from memory, in milliseconds. */
const TIMEOUT_MS = 5_000;

export const HEALTH_USAGE = `usage: spanless health [--port <n>] [--host <h>] [--json]

Asks the running sensor (spanless sensor) for its health and prints one line per check:
name, OK/WARNING/ERROR, what was measured, and what to do about it.
Exit status: 0 healthy or warnings only, 1 any error or the sensor not answering.

options:
  --port <n>      the sensor's health port (default ${DEFAULT_HEALTH_PORT})
  --host <h>      the sensor's address (default ${DEFAULT_HEALTH_HOST})
  --json          print {"snapshot": …, "report": …} as JSON instead of text
`;

export interface HealthIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: HealthIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** What /status must at least hold for the report to be printed; the snapshot is passed through. */
const statusSchema = z.object({
  snapshot: z.object({ version: z.string(), at: z.number(), startedAt: z.number() }).loose().nullable(),
  report: z.object({
    status: z.enum(["OK", "WARNING", "ERROR"]),
    checks: z.array(
      z.object({
        name: z.enum(CHECK_NAMES),
        status: z.enum(["OK", "WARNING", "ERROR"]),
        value: z.string(),
        reason: z.string(),
      }),
    ),
  }),
});

export async function runHealth(argv: string[], io: HealthIo = processIo): Promise<number> {
  let host: string;
  let port: number;
  let json: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
      strict: true,
    });
    if (values.help) {
      io.stdout(HEALTH_USAGE);
      return EXIT_OK;
    }
    host = values.host ?? DEFAULT_HEALTH_HOST;
    port = values.port === undefined ? DEFAULT_HEALTH_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`--port: "${values.port}" is not a port number (1-65535)`);
    json = values.json;
  } catch (err) {
    io.stderr(`spanless health: ${(err as Error).message}\n\n${HEALTH_USAGE}`);
    return EXIT_USAGE;
  }

  const { snapshot, report } = await askStatus(host, port);
  io.stdout(
    json
      ? `${JSON.stringify({ snapshot: snapshot ?? null, report }, null, 2)}\n`
      : formatHealthReport(report, snapshot),
  );
  return report.status === "ERROR" ? EXIT_UNHEALTHY : EXIT_OK;
}

/** The sensor's /status, or a report with one `all_services` ERROR saying why it could not be had. */
async function askStatus(
  host: string,
  port: number,
): Promise<{ snapshot: DaemonSnapshot | undefined; report: HealthReport }> {
  const at = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  let res: Response;
  try {
    res = await fetch(`http://${at}/status`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === "TimeoutError") {
      return unreachable(
        "not answering",
        `spanless sensor on ${at} did not answer within ${TIMEOUT_MS / 1000} s: it may be stuck; restart the sensor service and read its journal.`,
      );
    }
    const code = e.cause?.code ? ` (${e.cause.code})` : "";
    return unreachable(
      `not reachable${code}`,
      `spanless sensor is not running or not listening on ${at}: start it, or pass the health port it uses with --port.`,
    );
  }
  const text = await res.text().catch(() => "");
  let parsed: z.infer<typeof statusSchema> | undefined;
  try {
    const r = statusSchema.safeParse(JSON.parse(text));
    if (r.success) parsed = r.data;
  } catch {
    // not JSON: reported below
  }
  if (res.status !== 200 || !parsed) {
    return unreachable(
      `HTTP ${res.status} for /status`,
      `Something other than spanless sensor answers on ${at} (HTTP ${res.status}, no sensor status): check the health port with --port.`,
    );
  }
  return { snapshot: (parsed.snapshot ?? undefined) as DaemonSnapshot | undefined, report: parsed.report };
}

function unreachable(value: string, reason: string) {
  return { snapshot: undefined, report: unavailableReport(value, reason) };
}
