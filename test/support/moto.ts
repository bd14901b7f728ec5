// Starts a real moto_server on a free loopback port for integration tests, so AWS SDK v3 clients
// speak real HTTP to a real AWS API implementation (no account, no network beyond 127.0.0.1).
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach } from "vitest";

export interface MotoServer {
  endpoint: string;
  port: number;
  /** Client config to spread into any AWS SDK v3 client constructor. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle: boolean;
  };
  /** Wipes all state (moto's reset API) so tests do not see each other's resources. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${child.exitCode} before it was ready: ${stderr()}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${START_TIMEOUT_MS} ms: ${stderr()}`);
}

export async function startMoto(region = "us-east-1"): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const bin = process.env.MOTO_SERVER_BIN ?? "moto_server";
  const child = spawn(bin, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  child.once("error", (e) => {
    err += `\nspawn failed: ${e.message} (is moto_server on PATH? set MOTO_SERVER_BIN)`;
  });
  await waitUntilUp(endpoint, child, () => err);
  return {
    endpoint,
    port,
    clientConfig: {
      endpoint,
      region,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      forcePathStyle: true,
    },
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
    },
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      });
    },
  };
}

/**
 * The one way a suite gets a moto_server: started before the suite's tests, stopped after them, and reset
 * before each test (set `reset: false` to keep state between tests). Call it at the top of a file or a
 * `describe`; the returned object is usable from the first hook on.
 */
export function useMoto(options: { region?: string; reset?: boolean } = {}): MotoServer {
  let server: MotoServer | undefined;
  const started = (): MotoServer => {
    if (!server) throw new Error("moto_server is not running: use it inside tests or hooks");
    return server;
  };
  beforeAll(async () => {
    server = await startMoto(options.region);
  });
  afterAll(async () => {
    await server?.stop();
  });
  if (options.reset ?? true) {
    beforeEach(async () => {
      await started().reset();
    });
  }
  return {
    get endpoint() {
      return started().endpoint;
    },
    get port() {
      return started().port;
    },
    get clientConfig() {
      return started().clientConfig;
    },
    reset: () => started().reset(),
    stop: () => started().stop(),
  };
}
