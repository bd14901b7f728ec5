// `spanless health` against a real health server started in the test: the text report, --json,
// exit codes, a daemon that is not running, something else on the port, and usage errors.

import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runHealth } from "../../../sensor-ami/src/cli/health.js";
import { CHECK_NAMES } from "../../../sensor-ami/src/daemon/health/checks.js";
import { type HealthServer, startHealthServer } from "../../../sensor-ami/src/daemon/health/server.js";
import type { DaemonSnapshot } from "../../../sensor-ami/src/daemon/snapshot.js";
import { snap, worker } from "./snapshots.js";

const open: HealthServer[] = [];

afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

async function serve(now: DaemonSnapshot): Promise<number> {
  const s = await startHealthServer({
    host: "127.0.0.1",
    port: 0,
    getSnapshot: () => now,
    getHistory: () => [],
    clock: () => now.at,
  });
  open.push(s);
  return s.port;
}

async function run(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runHealth(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

/** A port nothing listens on: bound, read and released. */
async function freePort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("runHealth", () => {
  it("prints the report in aligned columns and exits 0 with warnings only", async () => {
    // Prepare
    const port = await serve(snap({ recent: { datagrams: 0 } }));
    // Act
    const r = await run("--port", String(port));
    // Assess
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("spanless sensor 0.9.0, up 10 min 0 s, receiving on 0.0.0.0:4789");
    expect(lines.at(-1)).toBe("status: WARNING");
    const rows = lines.slice(1, -1);
    expect(rows).toHaveLength(CHECK_NAMES.length);
    expect(rows[0]).toMatch(/^all_services {12}OK {7}2\/2 workers alive, receiver running$/);
    expect(rows[1]).toMatch(
      /^incoming_data {11}WARNING {2}0 datagrams in the last 60 s {2,}No mirrored traffic/,
    );
    // the status column starts at the same place on every row
    const at = rows.map((l) => l.search(/ (OK|WARNING|ERROR) /));
    expect(new Set(at).size).toBe(1);
  });

  it("--json prints the snapshot and the report; exit 1 on an ERROR", async () => {
    const now = snap({ workers: [worker({ id: 0, alive: false })] });
    const port = await serve(now);
    const r = await run("--json", "--port", String(port), "--host", "127.0.0.1");
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.snapshot).toEqual(now);
    expect(doc.report.status).toBe("ERROR");
    expect(doc.report.checks[0]).toMatchObject({ name: "all_services", status: "ERROR" });
  });

  it("the daemon not running: all_services ERROR naming the address, exit 1 (text and --json)", async () => {
    const port = await freePort();
    const r = await run("--port", String(port));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `^all_services {2}ERROR {2}not reachable \\(ECONNREFUSED\\) {2}spanless sensor is not running or not listening on 127\\.0\\.0\\.1:${port}: `,
      ),
    );
    expect(r.stdout).toMatch(/\nstatus: ERROR\n$/);
    const j = await run("--port", String(port), "--json");
    expect(j.code).toBe(1);
    const doc = JSON.parse(j.stdout);
    expect(doc.snapshot).toBeNull();
    expect(doc.report.checks).toHaveLength(1);
    expect(doc.report.checks[0].reason).toMatch(`not listening on 127.0.0.1:${port}`);
  });

  it("something else on the port: ERROR saying so, exit 1", async () => {
    const other = createHttpServer((_req, res) => {
      res.writeHead(404);
      res.end("nope");
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const port = (other.address() as { port: number }).port;
    try {
      const r = await run("--port", String(port));
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/HTTP 404 for \/status {2}Something other than spanless sensor answers/);
    } finally {
      other.closeAllConnections();
      await new Promise((r) => other.close(r));
    }
  });

  it("usage errors exit 64 with the usage; --help exits 0", async () => {
    const bad = await run("--port", "http");
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^spanless health: --port: "http" is not a port number/);
    expect(bad.stderr).toMatch(/usage: spanless health/);
    expect((await run("--verbose")).code).toBe(64);
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/default 8080/);
  });
});
