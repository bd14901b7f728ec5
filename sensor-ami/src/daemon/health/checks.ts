// The sensor's health, judged from its snapshots: one line per check (`spanless health`, /status)
// and the NLB's /healthcheck verdict. Pure: the same snapshots give the same report.
//
// Rates come from the snapshot's own `recent` counts (the last 60 s) where it has them, otherwise
// from the difference of running totals against the oldest snapshot of the same run inside the
// last minute (`history`, oldest first). A snapshot of another run (the daemon restarted: another
// `startedAt`) is never subtracted from; a counter that went backwards (a worker restarted) counts
// from zero again.

import type { DaemonSnapshot } from "../snapshot.js";

export type HealthStatus = "OK" | "WARNING" | "ERROR";

/** The checks in the order every report lists them. */
export const CHECK_NAMES = [
  "all_services",
  "incoming_data",
  "kernel_drops",
  "duplicates",
  "truncated",
  "connections",
  "memory_budget",
  "output",
  "receiver",
  "vni_map",
  "collector_connectivity",
  "last_upload",
  "spool_backlog",
  "pcap",
  "ossensor_count",
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];

export interface HealthCheck {
  name: CheckName;
  status: HealthStatus;
  /** What was measured, short (`4/4 workers alive`, `0.02 % lost in the last 60 s`). */
  value: string;
  /** What is wrong and what to do about it, one or two sentences; empty when OK (unless a note helps). */
  reason: string;
}

export interface HealthReport {
  /** The worst status of the checks. */
  status: HealthStatus;
  checks: HealthCheck[];
}

export interface HealthLimits {
  /** Seconds after start before a minute without mirrored traffic is a warning. */
  quietAfterSeconds: number;
  /** Share of packets lost (kernel + queue drops) per snapshot interval that counts toward an error. */
  lossErrorRatio: number;
  /** Consecutive snapshot intervals above lossErrorRatio that make the loss sustained (an ERROR). */
  lossSustainedIntervals: number;
  /**
   * Duplicate share above which a packet arrives more than twice. Mirroring both ends of a
   * conversation sends each packet twice, so up to half the datagrams are duplicates in normal
   * operation; more than half means three or more copies: overlapping mirror sessions.
   */
  duplicateWarnRatio: number;
  /** Datagrams in the window below which the duplicate share is not judged (too few to mean anything). */
  duplicateMinDatagrams: number;
  /** Share of one-sided TCP connections above which the upstream is likely split. */
  oneSidedWarnRatio: number;
  /** Ended TCP connections in the window below which the one-sided share is not judged. */
  oneSidedMinConnections: number;
  /** Memory budget use (used / limit) above which the budget is nearly full. */
  memoryWarnRatio: number;
  /**
   * RSS beyond `rssErrorFactor` × the budget limit + `rssBaselineBytes` is an error: memory the
   * budget does not account for is growing (the budget covers connections, reassembly and
   * fragments; the runtime, buffers and code come on top).
   */
  rssErrorFactor: number;
  rssBaselineBytes: number;
  /** RSS above this share of processMemoryLimitBytes (when known) is an error: the OOM killer is near. */
  processMemoryErrorRatio: number;
  /** A snapshot older than this (by the wall clock given to assessHealth) means the daemon is stuck. */
  maxSnapshotAgeSeconds: number;
}

export const DEFAULT_HEALTH_LIMITS: Readonly<HealthLimits> = Object.freeze({
  quietAfterSeconds: 60,
  lossErrorRatio: 0.001,
  lossSustainedIntervals: 3,
  duplicateWarnRatio: 0.55,
  duplicateMinDatagrams: 1000,
  oneSidedWarnRatio: 0.5,
  oneSidedMinConnections: 20,
  memoryWarnRatio: 0.9,
  rssErrorFactor: 2,
  rssBaselineBytes: 512 * 1024 * 1024,
  processMemoryErrorRatio: 0.9,
  maxSnapshotAgeSeconds: 30,
});

export interface AssessOptions {
  /** Seconds since the epoch now; when given, a stale snapshot is an `all_services` error. */
  wallClock?: number;
}

import { pcapCheck } from "./pcap-checks.js";
import { shippingChecks } from "./shipping-checks.js";

const WINDOW_SECONDS = 60;

/** Judges `now` (with `history`, oldest first, for rates) into the report's checks, in CHECK_NAMES order. */
export function assessHealth(
  now: DaemonSnapshot,
  history: readonly DaemonSnapshot[],
  limits: Partial<HealthLimits> = {},
  options: AssessOptions = {},
): HealthReport {
  const l: HealthLimits = { ...DEFAULT_HEALTH_LIMITS, ...limits };
  const w = lastMinute(now, history);
  const checks: HealthCheck[] = [
    allServices(now, l, options),
    incomingData(now, l),
    kernelDrops(now, history, l),
    duplicates(now, w, l),
    truncated(now, w),
    connections(now, w, l),
    memoryBudget(now, l),
    output(now),
    receiver(now),
    vniMap(now),
    ...(now.shipping !== undefined
      ? shippingChecks(now, w.base)
      : [
          notConfigured(
            "collector_connectivity",
            "No collector is configured: logs are written locally only.",
          ),
          notConfigured("last_upload", "Nothing is uploaded: logs are written locally only."),
          notConfigured("spool_backlog", "There is no upload spool: logs are written locally only."),
        ]),
    pcapCheck(now, w.base),
    { name: "ossensor_count", status: "OK", value: "0", reason: "" },
  ];
  return { status: worst(checks.map((c) => c.status)), checks };
}

/** The worst of some statuses (OK when none). */
export function worst(statuses: readonly HealthStatus[]): HealthStatus {
  if (statuses.includes("ERROR")) return "ERROR";
  if (statuses.includes("WARNING")) return "WARNING";
  return "OK";
}

/** Checks whose ERROR takes the sensor out of the NLB's target group (503 on /healthcheck). */
export const VERDICT_CHECKS: readonly CheckName[] = ["all_services", "kernel_drops", "output"];

export interface HealthcheckVerdict {
  code: 200 | 503;
  body: string;
}

/**
 * The answer to the NLB's `GET /healthcheck`: 200 while every worker is alive and the receiver
 * runs, packets are not being lost for a sustained time and the output accepts writes; otherwise
 * 503 with the failing checks' reasons, one per line.
 *
 * "Receiving" means the receive socket is bound and read, never that traffic arrived: a healthy
 * sensor with no mirror sessions yet sees nothing, and if silence failed the check the NLB would
 * never route mirrored traffic to it, so silence could never end. Silence is an `incoming_data`
 * warning for people (and a CloudWatch alarm on Packets), not a reason to leave the target group.
 */
export function healthcheckVerdict(report: HealthReport): HealthcheckVerdict {
  const failing = report.checks.filter((c) => c.status === "ERROR" && VERDICT_CHECKS.includes(c.name));
  if (failing.length === 0) return { code: 200, body: "OK\n" };
  return { code: 503, body: `UNHEALTHY\n${failing.map((c) => `${c.name}: ${c.reason}\n`).join("")}` };
}

// ---------------------------------------------------------------------------------------------
// The checks

function allServices(now: DaemonSnapshot, l: HealthLimits, o: AssessOptions): HealthCheck {
  const alive = now.workers.filter((w) => w.alive).length;
  const running = now.receiver.running !== false;
  const value = `${alive}/${now.workers.length} workers alive, receiver ${running ? "running" : "stopped"}`;
  const problems: string[] = [];
  if (o.wallClock !== undefined && o.wallClock - now.at > l.maxSnapshotAgeSeconds) {
    problems.push(
      `The daemon's status was last refreshed ${Math.round(o.wallClock - now.at)} s ago: its main loop is stuck; restart the sensor service and read its journal.`,
    );
  }
  if (!running) {
    const why = now.receiver.error ? ` (${now.receiver.error})` : "";
    problems.push(
      `The receiver on ${now.listen.host}:${now.listen.port} is not running${why}: check that no other process holds UDP port ${now.listen.port} and restart the sensor service.`,
    );
  }
  if (now.workers.length === 0) {
    problems.push("No worker is running: restart the sensor service and read its journal.");
  } else if (alive < now.workers.length) {
    const dead = now.workers.filter((w) => !w.alive).map((w) => w.id);
    problems.push(
      `Worker${dead.length > 1 ? "s" : ""} ${dead.join(", ")} did not answer the last poll: if this lasts, restart the sensor service and read its journal.`,
    );
  }
  return problems.length === 0
    ? ok("all_services", value)
    : { name: "all_services", status: "ERROR", value, reason: problems.join(" ") };
}

function incomingData(now: DaemonSnapshot, l: HealthLimits): HealthCheck {
  const { datagrams, seconds } = now.recent;
  const uptime = now.at - now.startedAt;
  const value = `${datagrams} datagrams in the last ${Math.round(seconds)} s`;
  if (datagrams > 0) {
    const notVxlan = now.totals.notVxlan;
    if (notVxlan > 0 && notVxlan >= now.totals.datagrams) {
      return {
        name: "incoming_data",
        status: "WARNING",
        value: `${value}, none of them VXLAN`,
        reason: `Every datagram on UDP ${now.listen.port} since start is not VXLAN as AWS Traffic Mirroring sends it: check what sends to this port (the NLB's UDP 4789 listener should be its only source).`,
      };
    }
    return ok("incoming_data", value);
  }
  if (uptime < l.quietAfterSeconds)
    return ok("incoming_data", `${value} (started ${Math.round(uptime)} s ago)`);
  return {
    name: "incoming_data",
    status: "WARNING",
    value,
    reason: `No mirrored traffic in the last ${Math.round(seconds)} s: check the mirror sessions (aws ec2 describe-traffic-mirror-sessions) and the NLB's UDP 4789 listener.`,
  };
}

function kernelDrops(now: DaemonSnapshot, history: readonly DaemonSnapshot[], l: HealthLimits): HealthCheck {
  const { datagrams, kernelDrops: kernel, queueDrops: queue } = now.recent;
  const lost = kernel + queue;
  const offered = datagrams + kernel;
  const value = `${percent(lost, offered)} lost in the last ${Math.round(now.recent.seconds)} s (kernel ${kernel}, queue ${queue})`;
  if (lost === 0) return ok("kernel_drops", value);
  const fixes: string[] = [];
  if (kernel > 0) {
    const r = now.receiver;
    const buffer =
      r.receiveBufferBytes < r.requestedBufferBytes
        ? `raise net.core.rmem_max (sysctl -w net.core.rmem_max=${r.requestedBufferBytes}, persisted in /etc/sysctl.d/) so the sensor gets the ${mib(r.requestedBufferBytes)} it asks for`
        : `ask for a larger buffer (--receive-buffer, receiveBufferMB; now ${mib(r.receiveBufferBytes)}) with net.core.rmem_max at least as large`;
    fixes.push(
      `the kernel dropped ${kernel} datagrams because the socket's receive buffer was full: ${buffer}, or run more --workers`,
    );
  }
  if (queue > 0) {
    fixes.push(
      `the workers could not take ${queue} packets (queues full): run more --workers, use an instance with more cores, or mirror less traffic to this sensor (mirror filters)`,
    );
  }
  const intervals = sustainedLossIntervals(now, history, l);
  const sustained = intervals >= l.lossSustainedIntervals;
  const lead = sustained
    ? `Packets are being lost (more than ${percent(l.lossErrorRatio, 1)} in each of the last ${intervals} snapshots)`
    : "Some packets were lost";
  return {
    name: "kernel_drops",
    status: sustained ? "ERROR" : "WARNING",
    value,
    reason: `${lead}: ${fixes.join("; ")}.`,
  };
}

/** How many of the latest consecutive snapshot intervals of this run lost more than lossErrorRatio. */
function sustainedLossIntervals(
  now: DaemonSnapshot,
  history: readonly DaemonSnapshot[],
  l: HealthLimits,
): number {
  const run = [...history.filter((h) => h.startedAt === now.startedAt && h.at < now.at), now];
  let count = 0;
  for (let i = run.length - 1; i > 0 && count < l.lossSustainedIntervals; i--) {
    const a = run[i - 1];
    const b = run[i];
    const kernel = counterDelta(b.totals.kernelDrops, a.totals.kernelDrops);
    const queue = counterDelta(b.totals.queueDrops, a.totals.queueDrops);
    const datagrams = counterDelta(b.totals.datagrams, a.totals.datagrams);
    const offered = datagrams + kernel;
    if (offered === 0 || (kernel + queue) / offered <= l.lossErrorRatio) break;
    count++;
  }
  return count;
}

function duplicates(now: DaemonSnapshot, w: Window, l: HealthLimits): HealthCheck {
  const dups = w.delta((s) => s.totals.duplicates);
  const datagrams = w.delta((s) => s.totals.datagrams);
  const total = w.label === "since start" ? "" : `, ${now.totals.duplicates} since start`;
  const value = `${dups} ${w.label} (${percent(dups, datagrams)})${total}`;
  if (datagrams < l.duplicateMinDatagrams || dups / datagrams <= l.duplicateWarnRatio)
    return ok("duplicates", value);
  return {
    name: "duplicates",
    status: "WARNING",
    value,
    reason: `More than ${percent(l.duplicateWarnRatio, 1)} of the datagrams are duplicates, so some packets arrive three or more times (mirroring both ends gives at most two copies): look for a source mirrored by more than one session or by overlapping filter rules (aws ec2 describe-traffic-mirror-sessions).`,
  };
}

function truncated(now: DaemonSnapshot, w: Window): HealthCheck {
  const recent = w.delta((s) => s.totals.truncated);
  const total = w.label === "since start" ? "" : `, ${now.totals.truncated} since start`;
  const value = `${recent} ${w.label}${total}`;
  if (recent === 0) return ok("truncated", value);
  return {
    name: "truncated",
    status: "WARNING",
    value,
    reason:
      "Mirrored packets arrive cut short, so their payload is not analysed: remove the mirror session's PacketLength (aws ec2 modify-traffic-mirror-session --remove-fields packet-length; NLB targets then mirror up to 8500 bytes) and keep the sources' MTU below what the target carries (jumbo frames of 9001 bytes are cut: an MTU of 8446 bytes or less for IPv4, 8426 for IPv6).",
  };
}

function connections(now: DaemonSnapshot, w: Window, l: HealthLimits): HealthCheck {
  const live = sum(now.workers, (x) => x.liveConnections);
  const evicted = w.workerDelta((x) => x.evictions);
  const oneSided = w.delta((s) => s.totals.oneSidedConnections);
  const tcpKnown = now.totals.tcpConnectionsEnded !== undefined;
  const ended = tcpKnown
    ? w.delta((s) => s.totals.tcpConnectionsEnded ?? 0)
    : w.workerDelta((x) => x.records.conn ?? 0);
  const value = `${live} live, ${evicted} evicted and ${oneSided}/${ended} one-sided ${w.label}`;
  const reasons: string[] = [];
  if (evicted > 0) {
    reasons.push(
      `${evicted} connections were evicted early ${w.label} because the memory budget or the connection limit was reached: raise --memory-budget (memoryBudgetMB), or use an instance with more memory.`,
    );
  }
  if (ended >= l.oneSidedMinConnections && oneSided / ended > l.oneSidedWarnRatio) {
    reasons.push(
      `Most ${tcpKnown ? "TCP " : ""}connections (${percent(oneSided, ended)}) were seen in one direction only, likely a split upstream: enable NLB cross-zone load balancing or check that both directions are mirrored (the session's filter needs inbound and outbound rules).`,
    );
  }
  return reasons.length === 0
    ? ok("connections", value)
    : { name: "connections", status: "WARNING", value, reason: reasons.join(" ") };
}

function memoryBudget(now: DaemonSnapshot, l: HealthLimits): HealthCheck {
  const used = sum(now.workers, (x) => x.memoryUsedBytes);
  const limit = sum(now.workers, (x) => x.memoryLimitBytes);
  const value = `${mib(used)}/${mib(limit)} (${percent(used, limit)}), RSS ${mib(now.rssBytes)}`;
  const processLimit = now.processMemoryLimitBytes;
  if (processLimit !== undefined && now.rssBytes > processLimit * l.processMemoryErrorRatio) {
    return {
      name: "memory_budget",
      status: "ERROR",
      value,
      reason: `The process uses ${mib(now.rssBytes)} of the ${mib(processLimit)} it may use, so the kernel will soon kill it: lower --memory-budget or use an instance with more memory.`,
    };
  }
  const rssLimit = limit * l.rssErrorFactor + l.rssBaselineBytes;
  if (limit > 0 && now.rssBytes > rssLimit) {
    return {
      name: "memory_budget",
      status: "ERROR",
      value,
      reason: `The process uses ${mib(now.rssBytes)}, far beyond its ${mib(limit)} memory budget (more than ${mib(rssLimit)}): memory the budget does not account for is growing; restart the sensor service and report it with the /status output.`,
    };
  }
  if (limit > 0 && used / limit > l.memoryWarnRatio) {
    return {
      name: "memory_budget",
      status: "WARNING",
      value,
      reason: `The memory budget is ${percent(used, limit)} full, so connections will be evicted early: raise --memory-budget (memoryBudgetMB) or use an instance with more memory.`,
    };
  }
  return ok("memory_budget", value);
}

function output(now: DaemonSnapshot): HealthCheck {
  const o = now.output;
  const value = `${o.dir} ${o.writable ? "writable" : "not writable"}`;
  if (o.writable) return ok("output", value);
  return {
    name: "output",
    status: "ERROR",
    value,
    reason: `Logs cannot be written to ${o.dir}${o.error ? ` (${o.error})` : ""}: free space on its file system or fix its permissions; records are lost until it accepts writes again.`,
  };
}

function receiver(now: DaemonSnapshot): HealthCheck {
  const r = now.receiver;
  const value = `${r.kind}, receive buffer ${mib(r.receiveBufferBytes)} of ${mib(r.requestedBufferBytes)} requested`;
  const reasons: string[] = [];
  if (r.kind === "dgram") {
    reasons.push(
      `Batched receive (recvmmsg) is unavailable${r.fallbackReason ? ` (${r.fallbackReason})` : ""}, so the sensor reads one datagram per call and drops packets sooner: in a checkout, install the build tools (make, g++, python3) and run npm run build:native; an installed bundle needs lib/spanless_udp.node built for this architecture (the image build puts it there); then restart the sensor.`,
    );
  }
  if (r.receiveBufferBytes < r.requestedBufferBytes) {
    const max = r.rmemMax !== undefined ? ` (net.core.rmem_max is ${r.rmemMax})` : "";
    reasons.push(
      `The kernel granted a ${mib(r.receiveBufferBytes)} receive buffer instead of the ${mib(r.requestedBufferBytes)} requested${max}: run sysctl -w net.core.rmem_max=${r.requestedBufferBytes}, persist it in /etc/sysctl.d/, and restart the sensor.`,
    );
  }
  return reasons.length === 0
    ? ok("receiver", value)
    : { name: "receiver", status: "WARNING", value, reason: reasons.join(" ") };
}

function vniMap(now: DaemonSnapshot): HealthCheck {
  const m = now.vniMap;
  if (!m) return ok("vni_map", "not configured (records carry no VNI enrichment)");
  const ago = (t: number) => `${Math.max(0, Math.round(now.at - t))} s ago`;
  const loaded = m.loadedAt !== undefined ? `, loaded ${ago(m.loadedAt)}` : "";
  const s3 = m.s3;
  const from = s3 === undefined ? m.path : `${s3.url} (copy in ${m.path})`;
  const checked =
    s3 === undefined
      ? ""
      : `, S3 ${s3.lastCheckAt === null ? "not answered yet" : `checked ${ago(s3.lastCheckAt)}`}`;
  const value = `${m.vnis} VNIs, ${m.sources} sources from ${from}${loaded}${checked}`;
  const stale =
    m.loadedAt !== undefined ? "the last good map stays in use" : "records carry no VNI enrichment";
  const reasons: string[] = [];
  if (s3?.error != null) {
    reasons.push(
      `The VNI map could not be brought from S3 (bucket ${s3.bucket}, key ${s3.key}): ${s3.error}. Until it is, ${stale}; the sensor asks again every ${s3.intervalSeconds} s.`,
    );
  }
  // Before the first fetch the copy does not exist: the S3 reason above (if any) says why.
  const waitingForS3 = s3 !== undefined && s3.lastWrittenAt === null && m.loadedAt === undefined;
  if (m.error !== undefined && !(waitingForS3 && s3?.error != null)) {
    reasons.push(
      waitingForS3
        ? `The VNI map has not been fetched from ${s3?.url} yet, so records carry no VNI enrichment: the first fetch is in progress.`
        : `The VNI map at ${m.path} could not be loaded (${m.error}), so ${stale}: check that the file exists and is valid.`,
    );
  }
  if (reasons.length === 0) return ok("vni_map", value);
  return { name: "vni_map", status: "WARNING", value, reason: reasons.join(" ") };
}

function notConfigured(name: CheckName, why: string): HealthCheck {
  // OK, not WARNING: a sensor writing locally is working as configured; the value says plainly
  // that nothing was checked, so the line is never read as a passed connectivity test.
  return { name, status: "OK", value: "not configured (local output only)", reason: why };
}

// ---------------------------------------------------------------------------------------------
// Windows and counters

interface Window {
  /** Seconds the window covers (rounded). */
  seconds: number;
  /** `in the last 60 s`, or `since start` when no earlier snapshot of the run is known. */
  label: string;
  /** A running total's growth over the window, never negative. */
  delta(get: (s: DaemonSnapshot) => number): number;
  /** A per-worker total's growth, worker by worker (one restarted worker restarts only its own count). */
  workerDelta(get: (w: DaemonSnapshot["workers"][number]) => number): number;
  /** The snapshot the window starts at (undefined: since start). */
  base: DaemonSnapshot | undefined;
}

/**
 * The last minute of this run: from the oldest snapshot of the same run taken within the last
 * 60 s. Without one: since start when the run is younger than a minute, otherwise from the newest
 * older snapshot of the run (a longer window, said in `seconds`), otherwise since start.
 */
function lastMinute(now: DaemonSnapshot, history: readonly DaemonSnapshot[]): Window {
  const run = history.filter((h) => h.startedAt === now.startedAt && h.at < now.at);
  let from = run.find((h) => h.at >= now.at - WINDOW_SECONDS);
  if (!from && now.at - now.startedAt > WINDOW_SECONDS) from = run.at(-1);
  const seconds = Math.round(now.at - (from ? from.at : now.startedAt));
  const label = from || seconds <= WINDOW_SECONDS ? `in the last ${seconds} s` : "since start";
  return {
    seconds,
    label,
    base: from,
    delta: (get) => since(get(now), from ? get(from) : undefined),
    workerDelta: (get) => {
      let n = 0;
      for (const w of now.workers) {
        const before = from?.workers.find((b) => b.id === w.id);
        n += since(get(w), before ? get(before) : undefined);
      }
      return n;
    },
  };
}

function since(now: number, before: number | undefined): number {
  return before === undefined ? Math.max(0, now) : counterDelta(now, before);
}

/** A running total's growth; a total that went backwards restarted from zero, so all of it is new. */
export function counterDelta(now: number, before: number): number {
  return now >= before ? now - before : Math.max(0, now);
}

function ok(name: CheckName, value: string): HealthCheck {
  return { name, status: "OK", value, reason: "" };
}

function sum<T>(items: readonly T[], get: (x: T) => number): number {
  let s = 0;
  for (const x of items) s += get(x);
  return s;
}

function percent(part: number, whole: number): string {
  if (whole <= 0) return "0 %";
  const p = (part / whole) * 100;
  return `${p === 0 || p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)} %`;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes >= 10 * 1024 * 1024 ? 0 : 1)} MiB`;
}

/** A report when there is no snapshot to judge (daemon starting, unreachable): one `all_services` ERROR. */
export function unavailableReport(value: string, reason: string): HealthReport {
  return { status: "ERROR", checks: [{ name: "all_services", status: "ERROR", value, reason }] };
}
