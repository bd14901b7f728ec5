// Types of the QUIC analyzer: what it needs from reassembled TLS hellos. The parsing belongs to
// the TLS analyzer; this seam keeps the QUIC state machine independent of its module layout.

import type { ClientHello } from "../tls/index.js";

export interface ClientHelloFacts {
  /** First host_name of the SNI extension. */
  readonly serverName?: string;
  /** ALPN protocol names in wire order. */
  readonly alpn: readonly string[];
  /** JA4 with the QUIC `q` prefix. */
  readonly ja4?: string;
}

/**
 * Inspect a complete ClientHello handshake message (type 1, 24-bit length, body). Returns the
 * facts, or a human-readable reason when the message does not parse.
 */
export type ClientHelloInspector = (message: Uint8Array) => ClientHelloFacts | string;

/** Check a complete ServerHello message: undefined when it parses, else the reason it does not. */
export type ServerHelloInspector = (message: Uint8Array) => string | undefined;

export interface HelloInspectors {
  readonly client: ClientHelloInspector;
  readonly server: ServerHelloInspector;
  /** The facts of a ClientHello the TLS analyzer already parsed (saves parsing it twice). */
  readonly clientParsed?: (hello: ClientHello) => ClientHelloFacts;
}

export const HANDSHAKE_CLIENT_HELLO = 1;
export const HANDSHAKE_SERVER_HELLO = 2;
