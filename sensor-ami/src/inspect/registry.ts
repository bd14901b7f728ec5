// The analyzers the inspector can attach, and the order in which their probes run for a port:
// factories that name the port come first (a cheap hint), the rest follow, because content decides.

import type { LogSchemas } from "../logs/schema.js";
import type { LogSink } from "../logs/writer.js";
import { createDhcpFactory, createDhcpTransactions, DHCP_SCHEMA } from "../protocols/dhcp/index.js";
import { DNS_SCHEMA, dnsTcp, dnsUdp } from "../protocols/dns/index.js";
import { HTTP_SCHEMA, http } from "../protocols/http/index.js";
import { QUIC_SCHEMA, quic } from "../protocols/quic/index.js";
import { labelOnlyDatagramFactories, labelOnlyStreamFactories } from "../protocols/signatures/index.js";
import { SSH_SCHEMA, ssh } from "../protocols/ssh/index.js";
import { SSL_SCHEMA, tls, X509_SCHEMA } from "../protocols/tls/index.js";
import type { DatagramAnalyzerFactory, StreamAnalyzerFactory } from "../protocols/types.js";

export interface AnalyzerRegistry {
  readonly stream: readonly StreamAnalyzerFactory[];
  readonly datagram: readonly DatagramAnalyzerFactory[];
  /** End of input: flush state shared across connections (DHCP transactions). */
  finish?(): void;
}

/**
 * Every analyzer available in this build (label-only signatures have no `create`). DHCP keeps one
 * transaction store for all connections, as Zeek does (a transaction spans several UDP flows), and
 * its records, which name their connections in `uids`, go to `sink` as they are.
 */
export function defaultRegistry(sink: LogSink): AnalyzerRegistry {
  const dhcpStore = createDhcpTransactions({ log: (record) => sink.write("dhcp", record) });
  return {
    stream: [http, tls, ssh, dnsTcp, ...labelOnlyStreamFactories],
    datagram: [dnsUdp, quic, createDhcpFactory(dhcpStore), ...labelOnlyDatagramFactories],
    finish: () => dhcpStore.flush(),
  };
}

/** TSV columns of every log the analyzers of this build write. */
export const PROTOCOL_LOG_SCHEMAS: LogSchemas = {
  dns: DNS_SCHEMA,
  http: HTTP_SCHEMA,
  ssl: SSL_SCHEMA,
  x509: X509_SCHEMA,
  ssh: SSH_SCHEMA,
  dhcp: DHCP_SCHEMA,
  quic: QUIC_SCHEMA,
};

/** Probe order per port, computed once per port and shared by all connections on it. */
export class ProbeOrder<F extends { ports: readonly number[] }> {
  private readonly byPort = new Map<number, readonly F[]>();
  private readonly hinted = new Set<number>();

  constructor(readonly factories: readonly F[]) {
    for (const f of factories) for (const p of f.ports) this.hinted.add(p);
  }

  /** Factories for a connection: the responder's port hint first, else the originator's. */
  forPorts(respPort: number, origPort: number): readonly F[] {
    const port = this.hinted.has(respPort) ? respPort : this.hinted.has(origPort) ? origPort : -1;
    if (port < 0) return this.factories;
    let order = this.byPort.get(port);
    if (order === undefined) {
      const first = this.factories.filter((f) => f.ports.includes(port));
      const rest = this.factories.filter((f) => !f.ports.includes(port));
      order = [...first, ...rest];
      this.byPort.set(port, order);
    }
    return order;
  }

  /** Whether the factory names either port (a Maybe is trusted on a conventional port). */
  static hints(f: { ports: readonly number[] }, respPort: number, origPort: number): boolean {
    return f.ports.includes(respPort) || f.ports.includes(origPort);
  }
}
