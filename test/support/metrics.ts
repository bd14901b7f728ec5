// One way for every suite to see what a function's Powertools Logger and Metrics write: stdout and stderr
// are captured (Powertools writes INFO logs and EMF documents to stdout, WARN/ERROR logs to stderr) and
// parsed, so tests assert on exactly what CloudWatch would receive. Metrics must be enabled the default
// way (no POWERTOOLS_DEV, which routes EMF through the global console, and no POWERTOOLS_METRICS_DISABLED).
import { vi } from "vitest";

/** An EMF document as Powertools Metrics writes it. */
export interface EmfRecord {
  _aws: {
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
  };
  [key: string]: unknown;
}

export interface CapturedTelemetry {
  /** Every non-empty line written, JSON or not. */
  rawLines(): string[];
  /** Every JSON line written, parsed: log records and EMF documents. */
  lines(): Record<string, unknown>[];
  /** Log records (not EMF), optionally only those with `message`. */
  logs(message?: string): Record<string, unknown>[];
  emf(): EmfRecord[];
  /** Values of metric `name`, each with the EMF document it came in (for its dimensions). */
  metricValues(name: string): Array<{ value: unknown; record: EmfRecord }>;
  /** Sum of every value of `name` (optionally where `dimension` has a value); undefined if never emitted. */
  metric(name: string, dimension?: [string, string]): number | undefined;
  restore(): void;
}

export function captureTelemetry(): CapturedTelemetry {
  const chunks: string[] = [];
  const sink = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, "write").mockImplementation(sink),
    vi.spyOn(process.stderr, "write").mockImplementation(sink),
  ];
  const rawLines = () =>
    chunks
      .join("")
      .split("\n")
      .filter((l) => l.trim() !== "");
  const lines = () =>
    rawLines()
      .filter((l) => l.trim().startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const emf = () => lines().filter((l): l is EmfRecord => "_aws" in l);
  const metricValues = (name: string) =>
    emf()
      .filter((r) => r._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === name)))
      .map((record) => ({ value: record[name], record }));
  return {
    rawLines,
    lines,
    logs: (message) =>
      lines().filter((l) => !("_aws" in l) && (message === undefined || l.message === message)),
    emf,
    metricValues,
    metric: (name, dimension) => {
      let total: number | undefined;
      for (const { value, record } of metricValues(name)) {
        if (dimension && record[dimension[0]] !== dimension[1]) continue;
        const values = Array.isArray(value) ? value : [value];
        for (const v of values) if (typeof v === "number") total = (total ?? 0) + v;
      }
      return total;
    },
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
