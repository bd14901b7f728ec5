// Client JA4 (all four forms) against FoxIO's reference output `<capture>.ja4.json` (their
// python/test/testdata, produced by the BSD-3-Clause ja4.py from tshark's dissection). Entry keys
// are `JA4.<n>` for the n-th ClientHello of a TCP stream. Only client JA4 is compared: JA4S and the
// other JA4+ methods are not permissively licensed and are not implemented.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ja4Forms } from "../../../sensor-ami/src/protocols/tls/index.js";
import { CORPUS, fixtureNames, hellosOf, loadFixture } from "./support.js";

type Ja4Entry = Record<string, string | number>;

const FORMS = [
  ["JA4", "ja4"],
  ["JA4_r", "ja4_r"],
  ["JA4_o", "ja4_o"],
  ["JA4_ro", "ja4_ro"],
] as const;

const ja4Captures = fixtureNames()
  .map(loadFixture)
  .filter((fixture) => fixture.capture.startsWith("ja4/"));

describe("client JA4 against FoxIO reference JSON", () => {
  for (const fixture of ja4Captures) {
    const entries = JSON.parse(
      readFileSync(join(CORPUS, `${fixture.capture}.ja4.json`), "utf8"),
    ) as Ja4Entry[];
    const tcpEntries = entries.filter(
      (e) => typeof e["JA4.1"] === "string" && String(e["JA4.1"]).startsWith("t"),
    );
    if (tcpEntries.length === 0) continue;

    it(`${fixture.capture}: every TCP ClientHello's JA4, JA4_r, JA4_o and JA4_ro match`, () => {
      // Prepare
      let compared = 0;
      for (const entry of tcpEntries) {
        const stream = fixture.streams.find((s) => s.stream === Number(entry.stream));
        expect(stream, `stream ${entry.stream} extracted`).toBeDefined();
        expect(stream!.ports[0]).toBe(Number(entry.srcport));
        // Act
        const { clients } = hellosOf(stream!);
        // Assess
        const expectedCount = Object.keys(entry).filter((k) => /^JA4\.\d+$/.test(k)).length;
        expect(clients.length, `ClientHellos in stream ${entry.stream}`).toBe(expectedCount);
        clients.forEach((hello, i) => {
          const forms = ja4Forms(hello, "t")!;
          for (const [referenceKey, ourKey] of FORMS) {
            expect(forms[ourKey], `stream ${entry.stream} ${referenceKey}.${i + 1}`).toBe(
              entry[`${referenceKey}.${i + 1}`],
            );
            compared++;
          }
        });
      }
      expect(compared).toBeGreaterThan(0);
    });
  }

  it("covers every TCP stream FoxIO fingerprinted in the extracted captures", () => {
    const total = ja4Captures.reduce((sum, fixture) => {
      const entries = JSON.parse(
        readFileSync(join(CORPUS, `${fixture.capture}.ja4.json`), "utf8"),
      ) as Ja4Entry[];
      return sum + entries.filter((e) => String(e["JA4.1"] ?? "").startsWith("t")).length;
    }, 0);
    expect(total).toBeGreaterThanOrEqual(60);
  });
});
