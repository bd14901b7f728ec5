// The health port on a real socket: /healthcheck's 200 and 503 (GET and HEAD), /status's JSON,
// 404 and 405, a port already in use, and a daemon that has no snapshot yet.

import { Agent, request } from "node:http";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type HealthServer, startHealthServer } from "../../../sensor-ami/src/daemon/health/server.js";
import type { DaemonSnapshot } from "../../../sensor-ami/src/daemon/snapshot.js";
import { snap, worker } from "./snapshots.js";

interface Answer {
  status: number;
  type: string | undefined;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function ask(port: number, path: string, method = "GET", agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers["content-type"],
          body,
          headers: res.headers,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const open: HealthServer[] = [];

async function serve(getSnapshot: () => DaemonSnapshot | undefined, history: DaemonSnapshot[] = []) {
  const s = await startHealthServer({
    host: "127.0.0.1",
    port: 0,
    getSnapshot,
    getHistory: () => history,
    clock: () => snap().at + 2,
  });
  open.push(s);
  return s;
}

afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

describe("startHealthServer", () => {
  it("GET /healthcheck: 200 OK for a healthy sensor, text/plain, not cached", async () => {
    // Prepare
    const s = await serve(() => snap());
    // Act
    const a = await ask(s.port, "/healthcheck");
    // Assess
    expect(a.status).toBe(200);
    expect(a.type).toBe("text/plain; charset=utf-8");
    expect(a.headers["cache-control"]).toBe("no-store");
    expect(a.body).toBe("OK\n");
  });

  it("GET /healthcheck: 503 with the reasons when a worker is dead; HEAD gives the code without a body", async () => {
    const s = await serve(() => snap({ workers: [worker({ id: 0 }), worker({ id: 1, alive: false })] }));
    const a = await ask(s.port, "/healthcheck");
    expect(a.status).toBe(503);
    expect(a.body).toMatch(/^UNHEALTHY\nall_services: Worker 1 did not answer the last poll/);
    const h = await ask(s.port, "/healthcheck", "HEAD");
    expect(h.status).toBe(503);
    expect(h.body).toBe("");
    expect(Number(h.headers["content-length"])).toBe(Buffer.byteLength(a.body));
  });

  it("503 while the daemon has no snapshot yet, and when the snapshot is stale", async () => {
    const starting = await serve(() => undefined);
    const a = await ask(starting.port, "/healthcheck");
    expect(a.status).toBe(503);
    expect(a.body).toMatch(/all_services: The sensor has not gathered its first status yet/);
    const stale = await serve(() => snap({ at: snap().at - 120 }));
    const b = await ask(stale.port, "/healthcheck");
    expect(b.status).toBe(503);
    expect(b.body).toMatch(/its main loop is stuck/);
  });

  it("a query string does not change the path", async () => {
    const s = await serve(() => snap());
    expect((await ask(s.port, "/healthcheck?from=nlb")).status).toBe(200);
  });

  it("GET /status: JSON with the snapshot and its report", async () => {
    const now = snap({ recent: { datagrams: 0 } });
    const s = await serve(() => now);
    const a = await ask(s.port, "/status");
    expect(a.status).toBe(200);
    expect(a.type).toBe("application/json");
    const doc = JSON.parse(a.body);
    expect(doc.snapshot).toEqual(now);
    expect(doc.report.status).toBe("WARNING");
    expect(doc.report.checks[1]).toMatchObject({ name: "incoming_data", status: "WARNING" });
  });

  it("404 for other paths, 405 for other methods", async () => {
    const s = await serve(() => snap());
    const a = await ask(s.port, "/");
    expect(a.status).toBe(404);
    expect(a.body).toMatch(/try \/healthcheck or \/status/);
    const b = await ask(s.port, "/healthcheck", "POST");
    expect(b.status).toBe(405);
    expect(b.headers.allow).toBe("GET, HEAD");
  });

  it("a port already in use: a message naming the address and what to do", async () => {
    // Prepare: something else holds a port
    const other: Server = createServer();
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const port = (other.address() as { port: number }).port;
    try {
      // Act + Assess
      await expect(
        startHealthServer({ host: "127.0.0.1", port, getSnapshot: () => snap(), getHistory: () => [] }),
      ).rejects.toThrow(
        `cannot listen for health checks on 127.0.0.1:${port}: the port is already in use (another spanless sensor, or another service): stop it or choose another health port`,
      );
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  it("a snapshot source that throws answers 503 instead of crashing the daemon", async () => {
    const s = await serve(() => {
      throw new Error("poll failed");
    });
    const a = await ask(s.port, "/healthcheck");
    expect(a.status).toBe(503);
    expect(a.body).toBe("UNHEALTHY\nstatus: poll failed\n");
  });

  it("close() resolves with a keep-alive connection still open", async () => {
    // Prepare: a client that keeps its connection open
    const s = await serve(() => snap());
    const keepAlive = new Agent({ keepAlive: true });
    await ask(s.port, "/healthcheck", "GET", keepAlive);
    // Act
    await s.close();
    // Assess
    open.length = 0;
    await expect(ask(s.port, "/healthcheck")).rejects.toThrow(/ECONNREFUSED/);
    keepAlive.destroy();
  });
});
