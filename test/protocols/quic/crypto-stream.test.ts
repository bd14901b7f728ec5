import { describe, expect, it } from "vitest";
import {
  CryptoStreamAssembler,
  MAX_HANDSHAKE_MESSAGE_LENGTH,
  MAX_RANGES,
} from "../../../sensor-ami/src/protocols/quic/crypto-stream.js";
import { CLIENT_CRYPTO_FRAME } from "./rfc-vectors.js";

/** The RFC 9001 A.2 ClientHello: the CRYPTO frame's data after type 06, offset 00, length 40f1. */
const CLIENT_HELLO = Buffer.from(CLIENT_CRYPTO_FRAME, "hex").subarray(4);

describe("CRYPTO stream reassembly", () => {
  it("the RFC hello is one 241-byte handshake message of type 1", () => {
    expect(CLIENT_HELLO.length).toBe(241);
    expect(CLIENT_HELLO[0]).toBe(1);
  });

  it("completes from out-of-order, overlapping and duplicated fragments", () => {
    // Prepare
    const s = new CryptoStreamAssembler();
    const piece = (from: number, to: number) => CLIENT_HELLO.subarray(from, to);
    // Act
    const results = [
      s.add(200, piece(200, 241)),
      s.add(100, piece(100, 210)),
      s.add(100, piece(100, 210)), // retransmission
      s.add(2, piece(2, 120)),
      s.add(0, piece(0, 3)),
    ];
    // Assess
    expect(results).toEqual(["pending", "pending", "pending", "pending", "complete"]);
    expect(Buffer.from(s.message() ?? []).equals(CLIENT_HELLO)).toBe(true);
  });

  it("ignores bytes past the end of the message (a following handshake message)", () => {
    // Prepare
    const s = new CryptoStreamAssembler();
    const withTrailer = Buffer.concat([CLIENT_HELLO, Buffer.from("0b000003aabbcc", "hex")]);
    // Act
    const result = s.add(0, withTrailer);
    // Assess
    expect(result).toBe("complete");
    expect(s.message()?.length).toBe(241);
  });

  it("reports retransmitted data that differs from what was received", () => {
    // Prepare
    const s = new CryptoStreamAssembler();
    s.add(0, CLIENT_HELLO.subarray(0, 100));
    const forged = Buffer.from(CLIENT_HELLO.subarray(50, 150));
    forged[10] ^= 0xff;
    // Act
    const result = s.add(50, forged);
    // Assess
    expect(result).toBe("conflicting_data");
    expect(s.message()).toBeUndefined();
  });

  it("keeps a large hello whose tail arrives before its head (beyond Zeek's 2000-byte bound)", () => {
    // Prepare: a 5000-byte handshake message (type 1, length 4996) in three pieces, tail first
    const message = new Uint8Array(5000).map((_, i) => (i * 31) & 0xff);
    message.set([1, 0x00, 0x13, 0x84]);
    const s = new CryptoStreamAssembler();
    // Act
    const results = [
      s.add(3600, message.subarray(3600)),
      s.add(1200, message.subarray(1200, 3600)),
      s.add(0, message.subarray(0, 1200)),
    ];
    // Assess
    expect(results).toEqual(["pending", "pending", "complete"]);
    expect(Buffer.from(s.message() ?? []).equals(Buffer.from(message))).toBe(true);
  });

  it("rejects data beyond the largest valid message before the length is known", () => {
    // Prepare
    const s = new CryptoStreamAssembler();
    // Act
    const result = s.add(MAX_HANDSHAKE_MESSAGE_LENGTH, new Uint8Array(20));
    // Assess
    expect(result).toBe("overflow");
  });

  it("rejects a declared message length above 2^14 + 256", () => {
    // Prepare
    const s = new CryptoStreamAssembler();
    // Act
    const result = s.add(0, Uint8Array.from([1, 0x00, 0x41, 0x01]));
    // Assess
    expect(result).toBe("overflow");
  });

  it("gives up when fragments leave too many holes", () => {
    // Prepare
    const s = new CryptoStreamAssembler();
    let result = s.add(0, CLIENT_HELLO.subarray(0, 4)); // length known: 241
    // Act: one-byte fragments with one-byte holes
    for (let i = 0; i <= MAX_RANGES && result === "pending"; i++)
      result = s.add(6 + 2 * i, Uint8Array.of(CLIENT_HELLO[6 + 2 * i]));
    // Assess
    expect(result).toBe("too_many_fragments");
  });
});
