// `spanless collector` for end-to-end tests: started as a real process on loopback, and what it
// stored read back from its layout (<log>/dt=…/hour=…/sensor=…/<batch>.json.gz).
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CLI, NODE } from "./live.js";

export interface Collector {
  proc: ChildProcess;
  port: number;
  store: string;
  /** Sends SIGTERM and resolves once the process has exited. */
  stop: () => Promise<void>;
}

/** Starts the collector storing into `store`; resolves with its port once it listens. */
export async function startCollector(store: string, port = 0): Promise<Collector> {
  const proc = spawn(NODE, [CLI, "collector", "--listen", `127.0.0.1:${port}`, "--store", store], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const listening = /listening on https:\/\/[^:]+:(\d+)/;
  for (let i = 0; i < 500 && !listening.test(out); i++) await new Promise((r) => setTimeout(r, 20));
  const m = listening.exec(out);
  if (m === null) {
    proc.kill("SIGKILL");
    throw new Error(`collector did not start:\n${out}`);
  }
  const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()));
  return {
    proc,
    port: Number(m[1]),
    store,
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

/** Every record the collector stored, per log (the first path component of its layout). */
export function storedRecords(store: string): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  const walk = (dir: string, log: string | undefined) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith(".")) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, log ?? name);
      else if (log !== undefined && name.endsWith(".json.gz")) {
        const lines = gunzipSync(readFileSync(path)).toString().split("\n").filter(Boolean);
        out.set(log, [
          ...(out.get(log) ?? []),
          ...lines.map((l) => JSON.parse(l) as Record<string, unknown>),
        ]);
      }
    }
  };
  walk(store, undefined);
  return out;
}
