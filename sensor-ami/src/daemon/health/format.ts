// The health report as people read it (`spanless health`): one line per check in aligned columns
// `name  STATUS  value  reason`, a header naming the sensor and a last line with the overall status.

import type { DaemonSnapshot } from "../snapshot.js";
import type { HealthReport } from "./checks.js";

/** Values longer than this are not padded to (one long value would push every reason right). */
const MAX_VALUE_COLUMN = 48;

/** The report as text, every line ending in a newline; `snapshot` (absent when the daemon is unreachable) adds the header. */
export function formatHealthReport(report: HealthReport, snapshot?: DaemonSnapshot): string {
  const lines: string[] = [];
  if (snapshot) {
    lines.push(
      `spanless sensor ${snapshot.version}, up ${formatDuration(snapshot.at - snapshot.startedAt)}, receiving on ${snapshot.listen.host}:${snapshot.listen.port}`,
    );
  }
  const nameWidth = Math.max(...report.checks.map((c) => c.name.length));
  const statusWidth = Math.max(...report.checks.map((c) => c.status.length));
  const valueWidth = Math.min(MAX_VALUE_COLUMN, Math.max(...report.checks.map((c) => c.value.length)));
  for (const c of report.checks) {
    const cols = [c.name.padEnd(nameWidth), c.status.padEnd(statusWidth), c.value.padEnd(valueWidth)];
    if (c.reason !== "") cols.push(c.reason);
    lines.push(cols.join("  ").trimEnd());
  }
  lines.push(`status: ${report.status}`);
  return `${lines.join("\n")}\n`;
}

/** `3 d 4 h`, `2 h 5 min`, `4 min 7 s`, `12 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}
