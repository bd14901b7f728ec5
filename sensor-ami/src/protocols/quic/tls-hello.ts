// The TLS analyzer's hello parsers and JA4, adapted to what the QUIC analyzer records.
import { type ClientHello, ja4, parseClientHello, parseServerHello, TlsParseError } from "../tls/index.js";
import type { ClientHelloFacts, HelloInspectors } from "./types.js";

function clientFacts(hello: ClientHello): ClientHelloFacts {
  return { serverName: hello.serverNames[0], alpn: hello.alpn, ja4: ja4(hello, "q") };
}

export const tlsHelloInspectors: HelloInspectors = {
  client(message) {
    const hello = parseClientHello(message);
    if (hello instanceof TlsParseError) return hello.message;
    return clientFacts(hello);
  },
  server(message) {
    const hello = parseServerHello(message);
    return hello instanceof TlsParseError ? hello.message : undefined;
  },
  clientParsed: clientFacts,
};
