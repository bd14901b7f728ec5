// Stopping the CLI stops the analysis: the launcher starts the real analysis in a second Node.js
// process (for the sensor's Node options), so a SIGTERM/SIGINT/SIGHUP sent to it — by systemd, a
// terminal or a script's timeout — must reach that process, and the launcher must end the way it
// did. Real processes on a real capture: the corpus bench capture, its records repeated so the
// analysis runs for several seconds.

import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS_DIR, REPO_ROOT } from "../support/corpus.js";

const BIN = join(REPO_ROOT, "sensor-ami", "bin", "spanless.js");
const BENCH = join(CORPUS_DIR, "bench", "bench.pcap");
const built = existsSync(join(REPO_ROOT, "dist", "sensor-ami", "src", "cli", "main.js"));

/** The bench capture with its records written `times` times (one pcap global header). */
function repeatedBench(dir: string, times: number): string {
  const src = readFileSync(BENCH);
  const f = join(dir, `bench-x${times}.pcap`);
  writeFileSync(f, src);
  const records = src.subarray(24);
  for (let i = 1; i < times; i++) appendFileSync(f, records);
  return f;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exited(p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => p.once("exit", (code, signal) => resolve({ code, signal })));
}

describe.skipIf(!built || !existsSync(BENCH))("spanless launcher and signals", () => {
  const tmp = mkdtempSync(join(tmpdir(), "spanless-signals-"));
  const big = repeatedBench(tmp, 4);
  const strays: number[] = [];
  afterAll(() => {
    for (const pid of strays) if (alive(pid)) process.kill(pid, "SIGKILL");
  });

  it.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)(
    "%s to the launcher stops the analysis process and the launcher dies of it",
    async (signal) => {
      // Prepare: a launcher without the sensor's Node options, so it starts the analysis process;
      // the output directory holds an earlier run's completion record
      const out = join(tmp, signal);
      mkdirSync(out);
      writeFileSync(join(out, "summary.json"), '{"exit_status":0}\n');
      const env = { ...process.env };
      delete env.SPANLESS_NODE_OPTIONS_APPLIED;
      delete env.NODE_OPTIONS;
      const launcher = spawn(process.execPath, [BIN, "analyze", big, "--out", out, "--seed", "1", "-q"], {
        env,
        stdio: "ignore",
      });
      const done = exited(launcher);
      const pid = launcher.pid as number;
      await until("the analysis process", () => childrenOf(pid).length > 0);
      const [analysis] = childrenOf(pid);
      strays.push(analysis);
      await until("the analysis to start writing", () => existsSync(join(out, "conn.log")));
      // Act
      launcher.kill(signal);
      const end = await done;
      // Assess: the launcher re-raised the child's signal (a shell sees 128 + n); nothing runs on;
      // the directory says the run did not finish: the stale record went before the first log
      expect(end).toEqual({ code: null, signal });
      expect(alive(analysis)).toBe(false);
      expect(existsSync(join(out, "summary.json"))).toBe(false);
      for (const line of readFileSync(join(out, "conn.log"), "utf8").split("\n").filter(Boolean))
        expect(() => JSON.parse(line)).not.toThrow();
    },
  );
});
