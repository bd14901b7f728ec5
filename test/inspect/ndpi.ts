// Service identification against nDPI's expected results (`<capture>.ndpi.out`, nDPI's own
// regression expectations): for each flow nDPI names with a protocol we identify, does conn.log's
// `service` for the same flow (unordered endpoints, same transport) contain our name for it?
// Only flows nDPI identified by content count ("Confidence: DPI…"); its port and IP guesses are
// tallied apart, because Spanless never labels a service from the port alone.

import { existsSync, readFileSync } from "node:fs";
import type { LogRecords } from "./oracle.js";

/** nDPI master protocol → our conn.log service name(s) (TCP and UDP names may differ). */
const NDPI_TO_SERVICE: Readonly<Record<string, { tcp?: string; udp?: string }>> = {
  TLS: { tcp: "ssl" },
  IMAPS: { tcp: "ssl" },
  POPS: { tcp: "ssl" },
  SMTPS: { tcp: "ssl" },
  HTTP: { tcp: "http" },
  HTTP_Connect: { tcp: "http" },
  HTTP_Proxy: { tcp: "http" },
  DNS: { tcp: "dns", udp: "dns" },
  MDNS: { udp: "dns" },
  LLMNR: { udp: "dns" },
  QUIC: { udp: "quic" },
  DHCP: { udp: "dhcp" },
  SSH: { tcp: "ssh" },
  NTP: { udp: "ntp" },
  SMTP: { tcp: "smtp" },
  FTP_CONTROL: { tcp: "ftp" },
  SMBv23: { tcp: "smb" },
  SMBv1: { tcp: "smb" },
  RDP: { tcp: "rdp" },
  Kerberos: { tcp: "krb_tcp", udp: "krb" },
  LDAP: { tcp: "ldap_tcp", udp: "ldap_udp" },
  MySQL: { tcp: "mysql" },
  PostgreSQL: { tcp: "postgresql" },
  Redis: { tcp: "redis" },
  Telnet: { tcp: "telnet" },
  IMAP: { tcp: "imap" },
  POP3: { tcp: "pop3" },
  SIP: { tcp: "sip", udp: "sip" },
  RTSP: { tcp: "rtsp" },
};

export interface NdpiMiss {
  capture: string;
  flow: string;
  ndpi: string;
  ours: string;
}

export interface NdpiReport {
  /** Per nDPI protocol: flows nDPI labelled, and how many of them conn.log agrees on. */
  protocols: Map<string, { flows: number; agree: number }>;
  misses: NdpiMiss[];
  /** Flows nDPI labelled by port or address only, not compared. */
  guesses: number;
}

export function newNdpiReport(): NdpiReport {
  return { protocols: new Map(), misses: [], guesses: 0 };
}

const FLOW_LINE = /^\s*\d+\s+(TCP|UDP)\s+(\S+)\s+(?:<->|->)\s+(\S+)\s+\[proto:\s*[\d.]+\/([A-Za-z0-9_]+)/;

function splitEndpoint(ep: string): string {
  // "1.2.3.4:80" or "[fe80::1]:546" → "addr|port"
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(ep);
  return m ? `${m[1]}|${m[2]}` : ep;
}

function key(transport: string, a: string, b: string): string {
  return a < b ? `${transport} ${a} ${b}` : `${transport} ${b} ${a}`;
}

export function compareNdpi(report: NdpiReport, capture: string, ndpiPath: string, logs: LogRecords): void {
  if (!existsSync(ndpiPath)) return;
  const services = new Map<string, string[]>();
  for (const r of logs.get("conn") ?? []) {
    const k = key(
      String(r.proto),
      `${r["id.orig_h"]}|${r["id.orig_p"]}`,
      `${r["id.resp_h"]}|${r["id.resp_p"]}`,
    );
    const list = services.get(k) ?? [];
    list.push(String(r.service ?? ""));
    services.set(k, list);
  }
  for (const line of readFileSync(ndpiPath, "utf8").split("\n")) {
    const m = FLOW_LINE.exec(line);
    if (m === null) continue;
    const [, transportUpper, a, b, master] = m;
    const transport = transportUpper.toLowerCase() as "tcp" | "udp";
    const wanted = NDPI_TO_SERVICE[master]?.[transport];
    if (wanted === undefined) continue;
    if (!/\[Confidence: DPI/.test(line)) {
      report.guesses++;
      continue;
    }
    let tally = report.protocols.get(master);
    if (tally === undefined) {
      tally = { flows: 0, agree: 0 };
      report.protocols.set(master, tally);
    }
    tally.flows++;
    const ours = services.get(key(transport, splitEndpoint(a), splitEndpoint(b))) ?? [];
    if (ours.some((s) => s.split(",").includes(wanted))) {
      tally.agree++;
      continue;
    }
    const shown = ours.length === 0 ? "(no conn record)" : ours.map((x) => x || "(no service)").join(" | ");
    report.misses.push({ capture, flow: `${transportUpper} ${a} ${b}`, ndpi: master, ours: shown });
  }
}

export function formatNdpiReport(report: NdpiReport): string {
  const lines = ["service identification against nDPI's expected results (flows nDPI labels, ours agreeing)"];
  const sorted = [...report.protocols].sort((x, y) => y[1].flows - x[1].flows);
  for (const [proto, t] of sorted) {
    lines.push(
      `  ${proto.padEnd(14)} ${String(t.agree).padStart(5)} / ${String(t.flows).padEnd(5)} ${((100 * t.agree) / t.flows).toFixed(1)} %`,
    );
  }
  lines.push(
    `  misses: ${report.misses.length} (not compared: ${report.guesses} flows nDPI labelled by port or address)`,
  );
  for (const m of report.misses) lines.push(`    ${m.capture} ${m.flow}: nDPI ${m.ndpi}, ours ${m.ours}`);
  return lines.join("\n");
}
