// SNI, JA3, JA3S, JA4, cipher and version against nDPI's regression expectations
// (`ndpi/<capture>.ndpi.out`, nDPI dev's ndpiReader) for every nDPI capture in the fixtures.
// Flows are matched by the originator's port; each bracketed attribute nDPI reports is compared.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ClientHello } from "../../../sensor-ami/src/protocols/tls/index.js";
import { CORPUS, fixtureNames, hellosOf, loadFixture } from "./support.js";

/**
 * Differences that are checked case by case (the condition must hold, not just the key):
 * - nDPI's JA4 `a` part takes the first two characters of the first ALPN value ("ht" for http/1.1,
 *   "sp" for spdy/3.1); the JA4 spec and FoxIO's reference output use the first and last ("h1").
 * - nDPI's JA4 SNI flag is "i" when the server_name *value* is an IP literal and "d" when there is no
 *   server_name; the spec and FoxIO's reference use the presence of the extension.
 * - nDPI marks some JA3S values " (WEAK)": the hash itself is compared.
 * - Without a parsed ServerHello (no JA3S in nDPI's flow) nDPI prints the ClientHello's version;
 *   ssl.log's version is the server's choice, unset when there was none.
 * Plus the individually listed cases below, "<capture> <orig port> <attribute>": reason.
 */
const LISTED_DIFFERENCES: Record<string, string> = {
  "ndpi/http_connect.pcap 1714 Hostname/SNI":
    "TLS after HTTP CONNECT: the inspector's hand-off, not part of this stream-level test",
  "ndpi/android.pcap 52514 JA4":
    "nDPI prints ALPN code h0 for first ALPN value h2 (tshark agrees the value is h2; the spec gives h2)",
  "ndpi/tls_with_huge_ch.pcapng 40640 version":
    "nDPI gave up before the ServerHello (no JA3S/Cipher in its flow) and printed the client's TLSv1.2; the server chose TLS 1.3 (supported_versions 0x0304, tshark frame 33)",
};

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]*)$/i;

function explained(
  attribute: string,
  ours: string,
  theirs: string,
  hello: ClientHello | undefined,
  flow: NdpiFlow,
): boolean {
  if (attribute === "JA3S") return theirs === `${ours} (WEAK)`;
  if (attribute === "version") return ours === "undefined" && !flow.attributes.has("JA3S");
  if (attribute !== "JA4" || hello === undefined || ours.length !== theirs.length) return false;
  const differing = [...ours].flatMap((c, i) => (c === theirs[i] ? [] : [i]));
  const alpn = hello.alpn[0] ?? "";
  if (differing.every((i) => i === 8 || i === 9)) return theirs.slice(8, 10) === alpn.slice(0, 2);
  if (differing.length === 1 && differing[0] === 3) {
    const sni = hello.serverNames[0];
    return sni === undefined ? theirs[3] === "d" : IP_LITERAL.test(sni) && theirs[3] === "i";
  }
  return false;
}

interface NdpiFlow {
  ports: [number, number];
  attributes: Map<string, string>;
}

function ndpiFlows(capture: string): NdpiFlow[] {
  const flows: NdpiFlow[] = [];
  for (const line of readFileSync(join(CORPUS, `${capture}.ndpi.out`), "utf8").split("\n")) {
    const match = /\tTCP (\S+):(\d+) <-> (\S+):(\d+) /.exec(line);
    if (!match) continue;
    const attributes = new Map<string, string>();
    for (const [, key, value] of line.matchAll(/\[([^:\]]+): ([^\]]*)\]/g)) attributes.set(key, value);
    const version = /\]\[(TLSv1(?:\.\d)?|SSLv3|DTLSv1\.\d)\]\[/.exec(line)?.[1];
    if (version) attributes.set("version", version);
    flows.push({ ports: [Number(match[2]), Number(match[4])], attributes });
  }
  return flows;
}

function ndpiVersion(zeekName: unknown): string | undefined {
  if (zeekName === undefined) return undefined;
  const match = /^TLSv1(\d)$/.exec(String(zeekName));
  if (!match) return String(zeekName);
  return match[1] === "0" ? "TLSv1" : `TLSv1.${match[1]}`;
}

const captures = fixtureNames()
  .map(loadFixture)
  .filter((f) => f.capture.startsWith("ndpi/") && existsSync(join(CORPUS, `${f.capture}.ndpi.out`)));

describe("TLS against nDPI's expected flows", () => {
  const differences: string[] = [];
  let compared = 0;
  let explainedCount = 0;
  for (const fixture of captures) {
    const flows = ndpiFlows(fixture.capture);
    for (const stream of fixture.streams) {
      const flow = flows.find(
        (f) =>
          (f.ports[0] === stream.ports[0] && f.ports[1] === stream.ports[1]) ||
          (f.ports[1] === stream.ports[0] && f.ports[0] === stream.ports[1]),
      );
      if (!flow) continue;
      const { recorded, clients } = hellosOf(stream);
      const ssl = recorded.logs.find((l) => l.path === "ssl")?.record ?? { ts: 0 };
      const ours: Record<string, unknown> = {
        "Hostname/SNI": ssl.server_name,
        JA3C: ssl.ja3,
        JA4: ssl.ja4,
        JA3S: ssl.ja3s,
        Cipher: ssl.cipher,
        version: ndpiVersion(ssl.version),
      };
      for (const [attribute, value] of Object.entries(ours)) {
        const theirs = flow.attributes.get(attribute);
        if (theirs === undefined) continue;
        compared++;
        const key = `${fixture.capture} ${stream.ports[0]} ${attribute}`;
        if (String(value) === theirs || key in LISTED_DIFFERENCES) continue;
        if (explained(attribute, String(value), theirs, clients[0], flow)) explainedCount++;
        else differences.push(`${key}: ours=${value} ndpi=${theirs}`);
      }
    }
  }

  it("compares the attributes of the nDPI flows", () => {
    expect(compared).toBeGreaterThan(400);
  });

  it("agrees on every attribute, apart from documented differences", () => {
    if (process.env.TLS_ORACLE_REPORT)
      console.log(`nDPI: ${compared} attributes, ${explainedCount} explained differences`);
    expect(differences).toEqual([]);
  });
});
