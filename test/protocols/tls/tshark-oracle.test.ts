// TLS SNI, ALPN, JA3 and JA3S against tshark 4.0.17's oracle (`<capture>.tshark.tsv`) for every
// TLS stream of the committed fixtures. Each ClientHello/ServerHello the analyzer parses is matched
// with tshark's row for the same TCP ports, in order. Every disagreement must be listed in
// KNOWN_DISAGREEMENTS with its reason; an unexplained one (or one that went away) fails the test.

import { describe, expect, it } from "vitest";
import { ja3, ja3s } from "../../../sensor-ami/src/protocols/tls/index.js";
import { fixtureNames, hellosOf, loadFixture, type TsvRow, tsharkRows } from "./support.js";

/** "<capture> stream <n> <field>": reason. */
const KNOWN_DISAGREEMENTS: Record<string, string> = {};

interface Comparison {
  key: string;
  ours: string;
  tshark: string;
}

function handshakeTypes(row: TsvRow): string[] {
  return row["tls.handshake.type"].split(",");
}

function compareCapture(name: string): Comparison[] {
  const fixture = loadFixture(name);
  const rows = tsharkRows(fixture.capture);
  const comparisons: Comparison[] = [];
  for (const stream of fixture.streams) {
    const [origPort, respPort] = stream.ports.map(String);
    const clientRows = rows.filter(
      (r) =>
        r["tcp.srcport"] === origPort && r["tcp.dstport"] === respPort && handshakeTypes(r).includes("1"),
    );
    const serverRows = rows.filter(
      (r) =>
        r["tcp.srcport"] === respPort && r["tcp.dstport"] === origPort && handshakeTypes(r).includes("2"),
    );
    const { clients, servers } = hellosOf(stream);
    const prefix = `${fixture.capture} stream ${stream.stream}`;
    const count = (what: string, ours: number, theirs: number) =>
      comparisons.push({ key: `${prefix} ${what} count`, ours: String(ours), tshark: String(theirs) });
    count("ClientHello", clients.length, clientRows.length);
    count("ServerHello", servers.length, serverRows.length);
    clients.forEach((hello, i) => {
      const row = clientRows[i];
      if (!row) return;
      const at = `${prefix} ClientHello#${i + 1}`;
      comparisons.push({
        key: `${at} sni`,
        ours: hello.serverNames[0] ?? "",
        tshark: row["tls.handshake.extensions_server_name"],
      });
      comparisons.push({
        key: `${at} alpn`,
        ours: hello.alpn.join(","),
        tshark: row["tls.handshake.extensions_alpn_str"],
      });
      comparisons.push({ key: `${at} ja3`, ours: ja3(hello) ?? "", tshark: row["tls.handshake.ja3"] });
    });
    servers.forEach((hello, i) => {
      const row = serverRows[i];
      if (!row) return;
      const at = `${prefix} ServerHello#${i + 1}`;
      comparisons.push({ key: `${at} ja3s`, ours: ja3s(hello), tshark: row["tls.handshake.ja3s"] });
      comparisons.push({
        key: `${at} alpn`,
        ours: hello.alpn ?? "",
        tshark: row["tls.handshake.extensions_alpn_str"],
      });
    });
  }
  return comparisons;
}

describe("TLS against tshark's oracle", () => {
  const all = fixtureNames().flatMap(compareCapture);
  const disagreements = all.filter((c) => c.ours !== c.tshark);
  if (process.env.TLS_ORACLE_REPORT)
    console.log(`tshark oracle: ${all.length} fields, ${disagreements.length} disagreements`);

  it("compares a meaningful number of fields", () => {
    expect(all.length).toBeGreaterThan(400);
  });

  it("agrees on at least 99 % of the oracle's fields", () => {
    const agreement = 1 - disagreements.length / all.length;
    expect(agreement).toBeGreaterThanOrEqual(0.99);
  });

  it("has no disagreement without a documented reason", () => {
    const report = Object.fromEntries(disagreements.map((d) => [d.key, `ours=${d.ours} tshark=${d.tshark}`]));
    expect(Object.keys(report).sort()).toEqual(Object.keys(KNOWN_DISAGREEMENTS).sort());
  });
});
