// The kernel's own count of UDP datagrams it dropped: system-wide (/proc/net/snmp's Udp line,
// /proc/net/snmp6's Udp6 counters) and per socket (/proc/net/udp and /proc/net/udp6, "drops"
// column, for the sockets bound to one local port: every SO_REUSEPORT worker). Pure parsers over
// the text, and a reader that returns undefined where /proc cannot be read.

import { readFileSync } from "node:fs";

export interface UdpKernelCounters {
  /** Datagrams delivered to sockets. */
  inDatagrams: number;
  /** Datagrams dropped because a socket's receive buffer was full. */
  rcvbufErrors: number;
  /** All receive errors (includes rcvbufErrors and checksum errors). */
  inErrors: number;
}

export interface PortDrops {
  /** Sockets bound to the port. */
  sockets: number;
  /** Datagrams the kernel dropped on those sockets (their "drops" column, summed). */
  drops: number;
  /** Bytes waiting in their receive queues now. */
  rxQueueBytes: number;
}

function field(header: string[], values: string[], name: string): number {
  const i = header.indexOf(name);
  return i < 0 ? 0 : Number(values[i]) || 0;
}

/** The Udp counters of /proc/net/snmp text (header line then values line, both "Udp: ..."). */
export function parseSnmpUdp(text: string): UdpKernelCounters | undefined {
  const lines = text.split("\n").filter((l) => l.startsWith("Udp:"));
  if (lines.length < 2) return undefined;
  const header = lines[0].trim().split(/\s+/);
  const values = lines[1].trim().split(/\s+/);
  return {
    inDatagrams: field(header, values, "InDatagrams"),
    rcvbufErrors: field(header, values, "RcvbufErrors"),
    inErrors: field(header, values, "InErrors"),
  };
}

/** The Udp6 counters of /proc/net/snmp6 text ("Udp6RcvbufErrors   12" lines). */
export function parseSnmp6Udp(text: string): UdpKernelCounters | undefined {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [name, value] = line.trim().split(/\s+/);
    if (name?.startsWith("Udp6")) values.set(name, Number(value) || 0);
  }
  if (values.size === 0) return undefined;
  return {
    inDatagrams: values.get("Udp6InDatagrams") ?? 0,
    rcvbufErrors: values.get("Udp6RcvbufErrors") ?? 0,
    inErrors: values.get("Udp6InErrors") ?? 0,
  };
}

/** Sockets of /proc/net/udp or /proc/net/udp6 text bound to local `port`: their drops and queued bytes. */
export function parseProcNetUdp(text: string, port: number): PortDrops {
  const out: PortDrops = { sockets: 0, drops: 0, rxQueueBytes: 0 };
  const lines = text.split("\n");
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  // The header names "tx_queue rx_queue" and "tm->when" as columns the rows print as one.
  const dropsAtEnd = header[header.length - 1] === "drops";
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i].trim().split(/\s+/);
    if (cols.length < 5) continue;
    const local = cols[1];
    const colon = local.lastIndexOf(":");
    if (colon < 0 || Number.parseInt(local.slice(colon + 1), 16) !== port) continue;
    out.sockets++;
    const queues = cols[4].split(":");
    out.rxQueueBytes += Number.parseInt(queues[1] ?? "0", 16) || 0;
    if (dropsAtEnd) out.drops += Number(cols[cols.length - 1]) || 0;
  }
  return out;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export interface KernelDrops {
  /** IPv4 and IPv6 counters added together (undefined where neither file reads). */
  system: UdpKernelCounters | undefined;
  /** The sockets on the port across /proc/net/udp and /proc/net/udp6. */
  port: PortDrops | undefined;
}

/** Reads the system-wide and per-port drop counters now (`procNet` is /proc/net, for tests). */
export function readKernelDrops(port: number, procNet = "/proc/net"): KernelDrops {
  const v4 = readText(`${procNet}/snmp`);
  const v6 = readText(`${procNet}/snmp6`);
  const a = v4 === undefined ? undefined : parseSnmpUdp(v4);
  const b = v6 === undefined ? undefined : parseSnmp6Udp(v6);
  const system =
    a === undefined && b === undefined
      ? undefined
      : {
          inDatagrams: (a?.inDatagrams ?? 0) + (b?.inDatagrams ?? 0),
          rcvbufErrors: (a?.rcvbufErrors ?? 0) + (b?.rcvbufErrors ?? 0),
          inErrors: (a?.inErrors ?? 0) + (b?.inErrors ?? 0),
        };
  const udp = readText(`${procNet}/udp`);
  const udp6 = readText(`${procNet}/udp6`);
  let portDrops: PortDrops | undefined;
  for (const text of [udp, udp6]) {
    if (text === undefined) continue;
    const p = parseProcNetUdp(text, port);
    portDrops = portDrops
      ? {
          sockets: portDrops.sockets + p.sockets,
          drops: portDrops.drops + p.drops,
          rxQueueBytes: portDrops.rxQueueBytes + p.rxQueueBytes,
        }
      : p;
  }
  return { system, port: portDrops };
}
