// Real Powertools Logger and Metrics whose output lines are captured and parsed, so tests assert on
// exactly what CloudWatch would receive (structured log lines and EMF documents).
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { vi } from "vitest";

export interface CapturedTelemetry {
  logger: Logger;
  metrics: Metrics;
  lines: () => Record<string, unknown>[];
  /** Everything written, JSON or not. */
  text: () => string;
  logs: (message?: string) => Record<string, unknown>[];
  /** Sum of every EMF value for `name`, optionally only where `dimension` has `value`. */
  metric: (name: string, dimension?: [string, string]) => number | undefined;
  restore: () => void;
}

export function captureTelemetry(): CapturedTelemetry {
  const raw: string[] = [];
  // Powertools writes INFO and EMF to stdout, WARN/ERROR to stderr.
  const sink = (chunk: string | Uint8Array) => {
    raw.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, "write").mockImplementation(sink),
    vi.spyOn(process.stderr, "write").mockImplementation(sink),
  ];
  const logger = new Logger({ serviceName: "mirror-on-launch", logLevel: "INFO" });
  const metrics = new Metrics({ namespace: "Spanless", serviceName: "mirror-on-launch" });
  const lines = () =>
    raw
      .join("")
      .split("\n")
      .filter((l) => l.trim().startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    logger,
    metrics,
    lines,
    text: () => raw.join(""),
    logs: (message) =>
      lines().filter((l) => !("_aws" in l) && (message === undefined || l.message === message)),
    metric: (name, dimension) => {
      let total: number | undefined;
      for (const l of lines()) {
        if (!("_aws" in l) || typeof l[name] !== "number") continue;
        if (dimension && l[dimension[0]] !== dimension[1]) continue;
        total = (total ?? 0) + (l[name] as number);
      }
      return total;
    },
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}
