// The shortcuts taken for speed must not change a value: ja4() computes only the logged form
// (against ja4Forms().ja4), parseCertificate() caches by fingerprint (same fields for the same
// bytes, whatever buffer they sit in), and the record framer skips the contents of encrypted
// records split across pushes (same records, nothing buffered).

import { describe, expect, it } from "vitest";
import { clientFingerprints } from "../../../sensor-ami/src/protocols/tls/fingerprints.js";
import {
  ja3,
  ja4,
  ja4Forms,
  parseCertificate,
  type X509Info,
} from "../../../sensor-ami/src/protocols/tls/index.js";
import {
  MAX_TLS_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  RecordFramer,
} from "../../../sensor-ami/src/protocols/tls/record-layer.js";
import { fixtureNames, handshakeMessages, hellosOf, loadFixture } from "./support.js";

const HANDSHAKE_CERTIFICATE = 11;

describe("ja4() alone and JA3+JA4 in one pass", () => {
  it("equal ja3() and ja4Forms().ja4 for every ClientHello of every fixture, for each transport letter", () => {
    // Prepare
    let compared = 0;
    for (const name of fixtureNames()) {
      for (const stream of loadFixture(name).streams) {
        // Act
        const { clients } = hellosOf(stream);
        // Assess
        for (const hello of clients) {
          for (const transport of ["t", "q", "d"] as const) {
            expect(ja4(hello, transport)).toBe(ja4Forms(hello, transport)?.ja4);
            expect(clientFingerprints(hello, transport, true)).toEqual({
              ja3: ja3(hello),
              ja4: ja4Forms(hello, transport)?.ja4,
            });
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe("certificate cache", () => {
  it("returns the same fields for the same DER, also when the bytes are overwritten afterwards", () => {
    // Prepare
    const name = fixtureNames().find((n) =>
      loadFixture(n).streams.some((s) =>
        handshakeMessages(s, false).some((m) => m.type === HANDSHAKE_CERTIFICATE),
      ),
    );
    expect(name).toBeDefined();
    const stream = loadFixture(name!).streams.find((s) =>
      handshakeMessages(s, false).some((m) => m.type === HANDSHAKE_CERTIFICATE),
    )!;
    const message = handshakeMessages(stream, false).find((m) => m.type === HANDSHAKE_CERTIFICATE)!.message;
    // handshake header (4) + certificate_list length (3) + first certificate length (3)
    const length = (message[7] << 16) | (message[8] << 8) | message[9];
    const scratch = message.slice(10, 10 + length);
    // Act
    const first = parseCertificate(scratch);
    const snapshot = structuredClone(first);
    scratch.fill(0xee);
    const again = parseCertificate(message.slice(10, 10 + length));
    // Assess
    expect(first).not.toBeInstanceOf(Error);
    expect(again).toEqual(snapshot);
    // Shared between connections: frozen, so no consumer can change another's record.
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen((first as X509Info).sanDns)).toBe(true);
  });

  it("still reports a malformed certificate every time", () => {
    // Prepare
    const garbage = Uint8Array.of(0x30, 0x03, 0x02, 0x01);
    // Act
    const results = [parseCertificate(garbage), parseCertificate(garbage)];
    // Assess
    for (const result of results) expect(result).toBeInstanceOf(Error);
  });
});

describe("record framer skipping encrypted contents", () => {
  it("delivers every record's type without buffering its fragment, however the bytes are cut", () => {
    // Prepare: an application_data record of the largest size, then an alert, cut into small pieces.
    const big = new Uint8Array(RECORD_HEADER_BYTES + MAX_TLS_RECORD_BYTES);
    big.set([0x17, 3, 3, MAX_TLS_RECORD_BYTES >> 8, MAX_TLS_RECORD_BYTES & 0xff]);
    const alert = Uint8Array.of(0x15, 3, 3, 0, 2, 1, 0);
    const stream = new Uint8Array(big.length * 2 + alert.length);
    stream.set(big, 0);
    stream.set(big, big.length);
    stream.set(alert, big.length * 2);
    for (const piece of [1, 3, 7, 1000, 20000]) {
      const types: number[] = [];
      const framer = new RecordFramer({
        record: (record) => types.push(record.contentType) > 0,
        problem: () => {
          throw new Error("unexpected framing problem");
        },
      });
      framer.skipFragments = true;
      let maxBuffered = 0;
      // Act
      for (let i = 0; i < stream.length; i += piece) {
        framer.push(stream.subarray(i, i + piece));
        maxBuffered = Math.max(maxBuffered, framer.bufferedBytes);
      }
      // Assess
      expect(types, `pieces of ${piece}`).toEqual([0x17, 0x17, 0x15]);
      expect(maxBuffered, `pieces of ${piece}`).toBeLessThan(RECORD_HEADER_BYTES);
    }
  });
});
