// The structured boot-step marker: one log line per boot step transition, written by the sensor's
// boot script to its user-data log (CloudWatch Logs stream `<instance-id>-userdata`) and read back by
// the health Lambda to name the step that failed. The line must survive being wrapped by syslog or
// cloud-init prefixes and sit among arbitrary command output, so it starts with a fixed token that the
// parser searches for anywhere in a line, and every field is `key=value` with the free-text reason
// JSON-quoted (the only field that may contain spaces, quotes or `=`).
//
// This module is imported by the boot script: it must stay free of AWS SDK and Lambda code.

/** Token that starts every marker; the parser looks for it anywhere in a line. */
export const BOOT_MARKER_TOKEN = "SPANLESS-BOOT";

/** Format version, written as `v=1`. A parser seeing a newer version still reads the fields it knows. */
export const BOOT_MARKER_VERSION = 1;

/** Longest reason kept; longer reasons are cut (with an ellipsis) so one marker stays one readable line. */
export const MAX_REASON_CHARS = 512;

/**
 * How a `validate-config` failure's reason starts, before the schema's problems
 * (`<parameter>: <what is wrong>`, joined by "; "): the health function recognises a refused
 * configuration by it, whatever a (new) schema rule's wording.
 */
export const CONFIG_REFUSED_REASON_PREFIX = "sensor configuration schema refused: ";

/** Longest line the parser inspects; CloudWatch Logs events can be 256 KiB and a marker never is. */
export const MAX_MARKER_LINE_CHARS = 4096;

/** Fields read per marker before the rest of the line is treated as noise. */
const MAX_MARKER_FIELDS = 16;

/** Boot steps, in the order the boot script runs them. */
export const BOOT_STEPS = [
  "fetch-config",
  "validate-config",
  "kms-decrypt",
  "proxy-check",
  "collector-reachable",
  "push-token-auth",
  "sensor-start",
  "health-check",
] as const;

export type KnownBootStep = (typeof BOOT_STEPS)[number];

/** What each step does, for messages that explain a failure to someone who did not write the script. */
export const BOOT_STEP_DESCRIPTIONS: Readonly<Record<KnownBootStep, string>> = {
  "fetch-config": "read the sensor configuration parameters from SSM Parameter Store",
  "validate-config": "check the configuration values against the sensor configuration schema",
  "kms-decrypt": "decrypt the SecureString parameters with their KMS key",
  "proxy-check": "reach the configured HTTPS proxy",
  "collector-reachable": "open a TLS connection to the collector URL",
  "push-token-auth": "authenticate to the collector with the push token",
  "sensor-start": "start the sensor service",
  "health-check": "pass the local health check the load balancer probes",
};

/**
 * start: the step began. ok: it finished. fail: it failed and boot stops. retry: it failed and will be
 * tried again (the reason says why). skip: not needed with this configuration (e.g. proxy is `none`).
 */
export const BOOT_STATUSES = ["start", "ok", "fail", "retry", "skip"] as const;

export type BootStatus = (typeof BOOT_STATUSES)[number];

export interface BootMarker {
  /** Step name; normally one of BOOT_STEPS, but a newer boot script may add steps. */
  step: string;
  status: BootStatus;
  /** ISO-8601 UTC timestamp with milliseconds. */
  ts: string;
  /** Human-readable reason; expected for fail/retry/skip. Never a secret value. */
  reason?: string;
}

const STEP_NAME = /^[a-z][a-z0-9-]{0,47}$/;
const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export class BootMarkerFormatError extends Error {
  override name = "BootMarkerFormatError";
}

export function isKnownBootStep(step: string): step is KnownBootStep {
  return (BOOT_STEPS as readonly string[]).includes(step);
}

function isBootStatus(value: string): value is BootStatus {
  return (BOOT_STATUSES as readonly string[]).includes(value);
}

/** One line, bounded: newlines and other control characters would split or garble the log line. */
function cleanReason(reason: string): string {
  const oneLine = reason.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return oneLine.length > MAX_REASON_CHARS ? `${oneLine.slice(0, MAX_REASON_CHARS - 1)}…` : oneLine;
}

/**
 * Formats one marker line, e.g.
 * `SPANLESS-BOOT v=1 ts=2026-11-24T00:42:59.123Z step=kms-decrypt status=fail reason="AccessDeniedException: …"`.
 * Throws BootMarkerFormatError for a step name or timestamp the parser could not read back.
 */
export function formatBootMarker(marker: BootMarker): string {
  if (!STEP_NAME.test(marker.step)) {
    throw new BootMarkerFormatError(
      `boot step name "${marker.step}" must be lowercase letters, digits and '-', starting with a letter, at most 48 characters`,
    );
  }
  if (!isBootStatus(marker.status)) {
    throw new BootMarkerFormatError(
      `boot status "${String(marker.status)}" is not one of ${BOOT_STATUSES.join(", ")}`,
    );
  }
  if (!ISO_TS.test(marker.ts)) {
    throw new BootMarkerFormatError(
      `boot marker timestamp "${marker.ts}" must be ISO-8601 UTC like 2026-11-24T00:42:59.123Z`,
    );
  }
  const head = `${BOOT_MARKER_TOKEN} v=${BOOT_MARKER_VERSION} ts=${marker.ts} step=${marker.step} status=${marker.status}`;
  return marker.reason === undefined ? head : `${head} reason=${JSON.stringify(cleanReason(marker.reason))}`;
}

/** Convenience for the boot script: a marker stamped with the current time. */
export function bootMarkerNow(step: string, status: BootStatus, reason?: string, now = new Date()): string {
  return formatBootMarker({
    step,
    status,
    ts: now.toISOString(),
    ...(reason === undefined ? {} : { reason }),
  });
}

export type MarkerLineResult =
  | { kind: "marker"; marker: BootMarker }
  /** The line carries the token but the marker is broken; `problem` says how. */
  | { kind: "malformed"; problem: string }
  | { kind: "none" };

/** Reads `key=value` fields after the token; a value starting with `"` is a JSON string. */
function readFields(text: string): { fields: Map<string, string>; problem?: string } {
  const fields = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    while (text[i] === " " || text[i] === "\t") i++;
    if (i >= text.length) break;
    const eq = text.indexOf("=", i);
    const space = text.indexOf(" ", i);
    // A token without '=' ends the marker: what follows is someone else's text on the same line.
    if (eq < 0 || (space >= 0 && space < eq)) break;
    const key = text.slice(i, eq);
    i = eq + 1;
    if (text[i] === '"') {
      const end = findClosingQuote(text, i + 1);
      if (end < 0) return { fields, problem: `the quoted value of "${key}" is not closed` };
      try {
        const value = JSON.parse(text.slice(i, end + 1)) as string;
        if (!fields.has(key)) fields.set(key, value);
      } catch {
        return { fields, problem: `the quoted value of "${key}" is not a valid JSON string` };
      }
      i = end + 1;
    } else {
      const stop = text.indexOf(" ", i);
      const end = stop < 0 ? text.length : stop;
      // Keep the first occurrence: a later duplicate is more likely trailing noise than a correction.
      if (!fields.has(key)) fields.set(key, text.slice(i, end));
      i = end;
    }
    if (fields.size > MAX_MARKER_FIELDS) break;
  }
  return { fields };
}

function findClosingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** Parses one log line. Never throws: garbage around or instead of a marker is normal in a boot log. */
export function parseBootMarkerLine(line: string): MarkerLineResult {
  const bounded = line.length > MAX_MARKER_LINE_CHARS ? line.slice(0, MAX_MARKER_LINE_CHARS) : line;
  const at = bounded.indexOf(BOOT_MARKER_TOKEN);
  if (at < 0) return { kind: "none" };
  // The token must stand alone, so "XSPANLESS-BOOTY" in some unrelated output is not a marker.
  const before = at === 0 ? " " : bounded[at - 1];
  const after = bounded[at + BOOT_MARKER_TOKEN.length];
  if (/[A-Za-z0-9_-]/.test(before) || (after !== undefined && after !== " " && after !== "\t")) {
    return { kind: "none" };
  }
  const { fields, problem } = readFields(bounded.slice(at + BOOT_MARKER_TOKEN.length));
  if (problem) return { kind: "malformed", problem };
  const version = fields.get("v");
  if (version === undefined || !/^\d+$/.test(version)) {
    return { kind: "malformed", problem: "the marker has no numeric format version (v=…)" };
  }
  const step = fields.get("step");
  if (step === undefined || !STEP_NAME.test(step)) {
    return {
      kind: "malformed",
      problem: `the marker's step name ${JSON.stringify(step ?? "")} is missing or invalid`,
    };
  }
  const status = fields.get("status") ?? "";
  if (!isBootStatus(status)) {
    return {
      kind: "malformed",
      problem: `the marker's status ${JSON.stringify(status)} is not one of ${BOOT_STATUSES.join(", ")}`,
    };
  }
  const ts = fields.get("ts") ?? "";
  if (!ISO_TS.test(ts) || Number.isNaN(Date.parse(ts))) {
    return { kind: "malformed", problem: `the marker's timestamp ${JSON.stringify(ts)} is not ISO-8601 UTC` };
  }
  const reason = fields.get("reason");
  return { kind: "marker", marker: { step, status, ts, ...(reason === undefined ? {} : { reason }) } };
}

export interface ParsedBootLog {
  /** Markers in log order, each with the index of the line it came from. */
  markers: Array<BootMarker & { line: number }>;
  /** Lines that carry the token but could not be read, with what is wrong. */
  malformed: Array<{ line: number; problem: string }>;
}

export function parseBootLog(lines: readonly string[]): ParsedBootLog {
  const parsed: ParsedBootLog = { markers: [], malformed: [] };
  lines.forEach((text, line) => {
    const result = parseBootMarkerLine(text);
    if (result.kind === "marker") parsed.markers.push({ ...result.marker, line });
    else if (result.kind === "malformed") parsed.malformed.push({ line, problem: result.problem });
  });
  return parsed;
}

export interface BootProgress {
  /** The last step that reported `fail`, if any. */
  failed?: BootMarker & { line: number };
  /** A step that started (or is retrying) and never finished: where a hung boot is stuck. */
  unfinished?: BootMarker & { line: number };
  /** Steps whose latest marker is `ok` or `skip`, in the order they finished. */
  completed: string[];
  /** The last marker in the log, whatever its status. */
  lastMarker?: BootMarker & { line: number };
}

/** Where the boot got to, from its markers (pure; used by the health Lambda and the boot script's self-report). */
export function bootProgress(parsed: ParsedBootLog): BootProgress {
  const latest = new Map<string, BootMarker & { line: number }>();
  const completed: string[] = [];
  let failed: (BootMarker & { line: number }) | undefined;
  for (const marker of parsed.markers) {
    latest.set(marker.step, marker);
    if (marker.status === "fail") failed = marker;
    if (marker.status === "ok" || marker.status === "skip") {
      const at = completed.indexOf(marker.step);
      if (at >= 0) completed.splice(at, 1);
      completed.push(marker.step);
    }
  }
  let unfinished: (BootMarker & { line: number }) | undefined;
  for (const marker of latest.values()) {
    if (
      (marker.status === "start" || marker.status === "retry") &&
      (!unfinished || marker.line > unfinished.line)
    ) {
      unfinished = marker;
    }
  }
  const lastMarker = parsed.markers.at(-1);
  return {
    completed,
    ...(failed ? { failed } : {}),
    ...(unfinished ? { unfinished } : {}),
    ...(lastMarker ? { lastMarker } : {}),
  };
}
