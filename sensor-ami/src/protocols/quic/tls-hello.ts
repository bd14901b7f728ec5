// The TLS analyzer's hello parsers and JA4, adapted to what the QUIC analyzer records.
import { ja4, parseClientHello, parseServerHello, TlsParseError } from "../tls/index.js";
import type { HelloInspectors } from "./types.js";

export const tlsHelloInspectors: HelloInspectors = {
  client(message) {
    const hello = parseClientHello(message);
    if (hello instanceof TlsParseError) return hello.message;
    return { serverName: hello.serverNames[0], alpn: hello.alpn, ja4: ja4(hello, "q") };
  },
  server(message) {
    const hello = parseServerHello(message);
    return hello instanceof TlsParseError ? hello.message : undefined;
  },
};
