// Shapes produced by the DNS parser and the dns.log record it feeds.

/** A protocol anomaly found while parsing, named like Zeek's weird.log entries. */
export interface DnsWeird {
  name: string;
  addl?: string;
}

export interface DnsQuestion {
  /** Lower-cased, dot-joined, no trailing dot; "" for the root (Zeek's normalisation). */
  name: string;
  qtype: number;
  qclass: number;
}

export type DnsSection = "answer" | "authority" | "additional";

export interface DnsResourceRecord {
  section: DnsSection;
  /** Owner name, lower-cased like Zeek. */
  name: string;
  type: number;
  class: number;
  ttl: number;
  /**
   * The rendering Zeek's base scripts put in dns.log `answers` (e.g. "1.2.3.4", "TXT 5 hello",
   * "<unknown type=99>"); "" when Zeek handles the record but logs no text (WKS); null when Zeek's
   * base scripts ignore the record type entirely (OPT, TSIG, HINFO, CAA, NetBIOS NB/NBSTAT).
   */
  reply: string | null;
}

export interface DnsMessage {
  id: number;
  /** QR bit: true for responses. */
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** The 3 bits after RA (Zeek's Z; NetBIOS's broadcast flag lands here). */
  z: number;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  questions: DnsQuestion[];
  /** Answer-section records always; authority/additional ones only with `allSections`. */
  records: DnsResourceRecord[];
  /** NetBIOS Name Service message (port 137 or a NetBIOS-encoded question name). */
  netbios: boolean;
  /** True when every section the header announced was parsed without a fatal error. */
  complete: boolean;
  weirds: DnsWeird[];
}

export interface DnsParseOptions {
  /** Treat as NetBIOS Name Service (allows >63-byte labels, SRV means NBSTAT). */
  netbios?: boolean;
  /** Also render authority and additional records (tests, tooling); the log needs answers only. */
  allSections?: boolean;
}

/** One dns.log line without the connection fields the engine adds (uid, id.*). */
export type DnsLogRecord = {
  ts: number;
  proto: "udp" | "tcp";
  trans_id: number;
  rtt?: number;
  query?: string;
  qclass?: number;
  qclass_name?: string;
  qtype?: number;
  qtype_name?: string;
  rcode?: number;
  rcode_name?: string;
  AA: boolean;
  TC: boolean;
  RD: boolean;
  RA: boolean;
  Z: number;
  answers?: string[];
  TTLs?: number[];
  rejected: boolean;
  opcode?: number;
  opcode_name?: string;
};
