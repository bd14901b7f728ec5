// Property tests: the same bytes cut at random places give identical http.log records, and
// mutated corpus streams never make the analyzer throw.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { http } from "../../../sensor-ami/src/protocols/http/index.js";
import { fixtureUrl, runHttpFixture } from "./corpus-runs.js";
import { loadStreams, recordingContext, replay, type StreamFixture } from "./stream-fixture.js";

const FIXTURES = [
  "http-pipelined.json",
  "ipv6-streams.json",
  "ndpi-1kxun.json",
  "ndpi-http-connect.json",
  "mixed-vlan-mpls.json",
];

describe("chunk boundaries do not matter", () => {
  for (const name of FIXTURES) {
    it(`${name}: random re-segmentation gives the same records and weirds`, () => {
      // Prepare
      const whole = runHttpFixture(name);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 12 }), (cuts) => {
          // Act: each segment is delivered in pieces cut at the (wrapped) offsets.
          const pieces = runHttpFixture(name, (index, length) =>
            cuts.map((c) => (c * (index + 1)) % Math.max(length, 1)),
          );
          // Assess
          expect(pieces.map((r) => r.records)).toEqual(whole.map((r) => r.records));
          expect(pieces.map((r) => r.out.weirds)).toEqual(whole.map((r) => r.out.weirds));
        }),
        { numRuns: 25 },
      );
    });
  }

  it("byte-at-a-time delivery of a pipelined connection gives the same records", () => {
    const whole = runHttpFixture("http-pipelined.json");
    const bytewise = runHttpFixture("http-pipelined.json", (_i, length) =>
      Array.from({ length }, (_, k) => k),
    );
    expect(bytewise[0].records).toEqual(whole[0].records);
  });
});

type Mutation = { segment: number; kind: "flip" | "truncate" | "gap" | "crlf"; at: number; value: number };

function mutate(fixture: StreamFixture, mutations: Mutation[]): StreamFixture {
  const segments = fixture.segments.map((s) => ({ ...s }));
  for (const m of mutations) {
    const target = segments[m.segment % segments.length];
    if (!target?.hex) continue;
    const bytes = Buffer.from(target.hex, "hex");
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === "flip" && bytes.length > 0) bytes[at] = m.value;
    if (m.kind === "truncate") target.hex = bytes.subarray(0, at).toString("hex");
    if (m.kind === "crlf")
      target.hex = Buffer.concat([bytes.subarray(0, at), Buffer.from("\r\n"), bytes.subarray(at)]).toString(
        "hex",
      );
    if (m.kind === "gap") {
      target.gap = m.value + 1;
      target.hex = undefined;
      continue;
    }
    if (m.kind === "flip") target.hex = bytes.toString("hex");
  }
  return { ...fixture, segments };
}

describe("mutated corpus streams", () => {
  const streams = FIXTURES.flatMap((name) => loadStreams(fixtureUrl(name)));

  it("never throw, and every record keeps http.log's shape", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: streams.length - 1 }),
        fc.array(
          fc.record({
            segment: fc.nat(),
            kind: fc.constantFrom("flip", "truncate", "gap", "crlf"),
            at: fc.nat(),
            value: fc.integer({ min: 0, max: 255 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (index, mutations) => {
          const { ctx, out } = recordingContext();
          replay(http.create!(ctx), mutate(streams[index], mutations as Mutation[]));
          for (const { record } of out.logs) {
            expect(typeof record.ts).toBe("number");
            expect(record.trans_depth).toBeGreaterThanOrEqual(1);
            expect(record.request_body_len).toBeGreaterThanOrEqual(0);
            expect(record.response_body_len).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
