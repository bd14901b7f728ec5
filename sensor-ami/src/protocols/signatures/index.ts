// Label-only protocol identification: factories without `create`. A Yes from a probe is enough
// for the engine to add the service to conn.log; no log of their own is written.
//
// Service names follow Zeek's conn.log where Zeek has an analyzer: Kerberos is "krb" over UDP
// and "krb_tcp" over TCP, LDAP is "ldap_tcp" / "ldap_udp" (Zeek's spicy analyzers); the others
// use Zeek's plain names ("smtp", "ftp", "smb", "rdp", "ntp", "mysql", "postgresql", "redis",
// "imap", "pop3", "sip", "telnet") and "rtsp", which Zeek does not analyze.

import type { DatagramAnalyzerFactory, ProbeResult, StreamAnalyzerFactory } from "../types.js";
import { probeKerberosTcp, probeKerberosUdp, probeLdap } from "./asn1-protocols.js";
import { probeMysql, probeNtp, probePostgresql, probeRdp, probeRedis, probeSmb } from "./binary-protocols.js";
import {
  probeFtp,
  probeImap,
  probePop3,
  probeRtsp,
  probeSip,
  probeSmtp,
  probeTelnet,
} from "./text-protocols.js";

type ProbeFn = (bytes: Uint8Array, isOrig: boolean) => ProbeResult;

// The probes are total functions of their bytes (bounds-checked reads, no parsing that can throw;
// test/protocols/signatures/probes.test.ts feeds them truncated, mutated and random payloads).
// They are registered as they are: a shared try/catch wrapper made every call an extra frame and
// one megamorphic call site, and the inspector already turns a probe exception into No plus a
// weird.

const tcp = (service: string, ports: readonly number[], probe: ProbeFn): StreamAnalyzerFactory => ({
  service,
  transport: "tcp",
  ports,
  probe,
});

const udp = (service: string, ports: readonly number[], probe: ProbeFn): DatagramAnalyzerFactory => ({
  service,
  transport: "udp",
  ports,
  probe,
});

export const labelOnlyStreamFactories: readonly StreamAnalyzerFactory[] = [
  tcp("smtp", [25, 587, 2525], probeSmtp),
  tcp("ftp", [21], probeFtp),
  tcp("smb", [445, 139], probeSmb),
  tcp("rdp", [3389], probeRdp),
  tcp("krb_tcp", [88], probeKerberosTcp),
  tcp("ldap_tcp", [389, 3268], probeLdap),
  tcp("mysql", [3306], probeMysql),
  tcp("postgresql", [5432], probePostgresql),
  tcp("redis", [6379], probeRedis),
  tcp("imap", [143], probeImap),
  tcp("pop3", [110], probePop3),
  tcp("sip", [5060], probeSip),
  tcp("rtsp", [554, 8554], probeRtsp),
  tcp("telnet", [23], probeTelnet),
];

export const labelOnlyDatagramFactories: readonly DatagramAnalyzerFactory[] = [
  udp("krb", [88], probeKerberosUdp),
  udp("ntp", [123], probeNtp),
  udp("ldap_udp", [389], probeLdap),
  udp("sip", [5060], probeSip),
];

/** Every label-only factory, TCP then UDP. */
export const labelOnlyFactories: readonly (StreamAnalyzerFactory | DatagramAnalyzerFactory)[] = [
  ...labelOnlyStreamFactories,
  ...labelOnlyDatagramFactories,
];
