// QUIC inspection: quic.log (Zeek's fields plus the client's `q`-prefixed JA4) from decrypted
// Initial packets of QUIC v1, v2 and drafts 22–34, ssl.log from their hellos (as Zeek), and the SNI of
// Google QUIC's plaintext CHLOs.
import { TlsAnalyzer } from "../tls/index.js";
import type { AnalyzerContext, DatagramAnalyzer, DatagramAnalyzerFactory } from "../types.js";
import { QuicAnalyzer } from "./analyzer.js";
import { probeQuic } from "./probe.js";
import { tlsHelloInspectors } from "./tls-hello.js";

export { QUIC_SCHEMA } from "./schema.js";

/** Zeek's QUIC::quic_ports: HTTP/3 and DNS-over-QUIC (853, and 784 from early drafts). */
const QUIC_PORTS = [443, 853, 784] as const;

export const quic: DatagramAnalyzerFactory = {
  service: "quic",
  transport: "udp",
  ports: QUIC_PORTS,
  probe: probeQuic,
  create(ctx: AnalyzerContext): DatagramAnalyzer {
    return new QuicAnalyzer(ctx, tlsHelloInspectors, {
      sslAnalyzer: (sslCtx, observer) => new TlsAnalyzer(sslCtx, observer),
    });
  },
};
