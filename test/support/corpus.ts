// Locates the shared packet corpus beside the checkout and runs the engine over its captures.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type AnalyzeOptions, type AnalyzeResult, analyzeCapture } from "../../sensor-ami/src/cli/analyze.js";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "..", "..");
export const CORPUS_DIR = process.env.SPANLESS_CORPUS ?? resolve(REPO_ROOT, "..", "shared", "corpus");

export function corpusAvailable(): boolean {
  return existsSync(join(CORPUS_DIR, "README.md"));
}

/** Every capture of the public corpus (bench/ excluded: it is the benchmark, not a test input). */
export function corpusCaptures(): string[] {
  const out: string[] = [];
  for (const project of readdirSync(CORPUS_DIR)) {
    const dir = join(CORPUS_DIR, project);
    if (project === "bench" || !statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) {
      if (/\.(pcap|pcapng)$/.test(f)) out.push(join(project, f));
    }
  }
  return out.sort();
}

export interface RunOutput {
  result: AnalyzeResult;
  dir: string;
  logs: Map<string, Record<string, unknown>[]>;
}

/** Runs analyzeCapture into a fresh temp directory and reads back every JSON log it wrote. */
export function runCapture(capture: string, opts: Partial<AnalyzeOptions> = {}): RunOutput {
  const dir = mkdtempSync(join(tmpdir(), "spanless-"));
  const result = analyzeCapture({
    capture: capture.startsWith("/") ? capture : join(CORPUS_DIR, capture),
    outDir: dir,
    format: "json",
    engine: { seed: 1, ...(opts.engine ?? {}) },
    ...(opts.inspector ? { inspector: opts.inspector } : {}),
  });
  const logs = new Map<string, Record<string, unknown>[]>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".log")) continue;
    const text = readFileSync(join(dir, f), "utf8");
    logs.set(
      f.replace(/\.log$/, ""),
      text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }
  return { result, dir, logs };
}
