// The daemon's health port: `GET /healthcheck` for the NLB target group (200 or 503, text/plain)
// and `GET /status` for `spanless health` (JSON: the snapshot and the report). Both judge the
// latest snapshot when asked, so an answer is never older than the daemon's last poll.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DaemonSnapshot } from "../snapshot.js";
import {
  assessHealth,
  type HealthLimits,
  type HealthReport,
  healthcheckVerdict,
  unavailableReport,
} from "./checks.js";

export interface HealthServerOptions {
  /** Address to bind: 0.0.0.0 (or the instance's address) for the NLB, 127.0.0.1 for local use only. */
  host: string;
  /** Port to bind; 0 picks a free one (tests), the bound port is returned. */
  port: number;
  /** The latest snapshot; undefined while the daemon has not gathered one yet (answered 503). */
  getSnapshot: () => DaemonSnapshot | undefined;
  /** Recent snapshots, oldest first (the latest may be included). */
  getHistory: () => readonly DaemonSnapshot[];
  limits?: Partial<HealthLimits>;
  /** Seconds since the epoch (default: the wall clock): a snapshot older than the limit makes the sensor unhealthy. */
  clock?: () => number;
}

export interface HealthServer {
  /** The bound port (the given one, or the one picked for 0). */
  port: number;
  /** Stops listening and ends open connections; resolves once the server is closed. */
  close(): Promise<void>;
}

export class HealthServerError extends Error {
  override name = "HealthServerError";
}

/** The snapshot (null when there is none yet) and its report, as `GET /status` answers them. */
export interface StatusDocument {
  snapshot: DaemonSnapshot | null;
  report: HealthReport;
}

/** Starts the health server; rejects with a HealthServerError saying why the port cannot be bound. */
export function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const clock = o.clock ?? (() => Date.now() / 1000);
  const status = (): StatusDocument => {
    const snapshot = o.getSnapshot();
    if (!snapshot) {
      return {
        snapshot: null,
        report: unavailableReport(
          "starting",
          "The sensor has not gathered its first status yet: if this lasts more than a minute, read the sensor service's journal.",
        ),
      };
    }
    return { snapshot, report: assessHealth(snapshot, o.getHistory(), o.limits, { wallClock: clock() }) };
  };

  const server = createServer((req, res) => {
    try {
      answer(req, res, status);
    } catch (err) {
      // A snapshot that cannot be judged is a sick daemon: the NLB should stop routing to it.
      send(res, req, 503, "text/plain; charset=utf-8", `UNHEALTHY\nstatus: ${(err as Error).message}\n`);
    }
  });
  // A health check answers in milliseconds; slow or idle clients are not kept around.
  server.requestTimeout = 5_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;

  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new HealthServerError(listenErrorMessage(o.host, o.port, err), { cause: err }));
    };
    server.once("error", onError);
    server.listen(o.port, o.host, () => {
      server.off("error", onError);
      // Errors after listening (a socket's, never the server's in practice) must not crash the daemon.
      server.on("error", () => {});
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function answer(req: IncomingMessage, res: ServerResponse, status: () => StatusDocument): void {
  const path = new URL(req.url ?? "/", "http://health").pathname;
  if (path !== "/healthcheck" && path !== "/status") {
    send(res, req, 404, "text/plain; charset=utf-8", "not found: try /healthcheck or /status\n");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    send(res, req, 405, "text/plain; charset=utf-8", "method not allowed: use GET or HEAD\n");
    return;
  }
  const doc = status();
  if (path === "/healthcheck") {
    const verdict = healthcheckVerdict(doc.report);
    send(res, req, verdict.code, "text/plain; charset=utf-8", verdict.body);
  } else {
    send(res, req, 200, "application/json", `${JSON.stringify(doc)}\n`);
  }
}

function send(res: ServerResponse, req: IncomingMessage, code: number, type: string, body: string): void {
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(code, { "Content-Type": type, "Content-Length": bytes.length, "Cache-Control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : bytes);
}

function listenErrorMessage(host: string, port: number, err: NodeJS.ErrnoException): string {
  const at = `${host}:${port}`;
  switch (err.code) {
    case "EADDRINUSE":
      return `cannot listen for health checks on ${at}: the port is already in use (another spanless sensor, or another service): stop it or choose another health port`;
    case "EACCES":
      return `cannot listen for health checks on ${at}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE): choose a port above 1023`;
    case "EADDRNOTAVAIL":
      return `cannot listen for health checks on ${at}: ${host} is not an address of this host: use 0.0.0.0 or one of its addresses`;
    default:
      return `cannot listen for health checks on ${at}: ${err.message}`;
  }
}
