import { createCipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { QuicDecryptError } from "../../../sensor-ami/src/protocols/quic/errors.js";
import { deriveInitialKeys, initialSecret } from "../../../sensor-ami/src/protocols/quic/initial-keys.js";
import { newLongHeader, parseLongHeader } from "../../../sensor-ami/src/protocols/quic/long-header.js";
import {
  decodePacketNumber,
  InitialOpener,
  nonceFor,
} from "../../../sensor-ami/src/protocols/quic/packet-protection.js";
import {
  LongPacketType,
  QUIC_V1,
  QUIC_V2,
  quicVersionInfo,
} from "../../../sensor-ami/src/protocols/quic/versions.js";
import {
  CLIENT_CRYPTO_FRAME,
  CLIENT_PACKET_NUMBER,
  CLIENT_PAYLOAD_LENGTH,
  RFC_DCID,
  SERVER_PAYLOAD,
  V1,
  V2,
  type VersionVectors,
} from "./rfc-vectors.js";

const hex = (s: string): Buffer => Buffer.from(s, "hex");

function clientPlaintext(): Buffer {
  const payload = Buffer.alloc(CLIENT_PAYLOAD_LENGTH);
  hex(CLIENT_CRYPTO_FRAME).copy(payload);
  return payload;
}

/**
 * Rebuild the RFC's protected client Initial from its published plaintext, keys and header, the way
 * the appendix does (AES-128-GCM, then the header-protection mask). The published sample, mask,
 * protected header and tag pin every step, so the result is the RFC's packet byte for byte.
 */
function protectClientInitial(v: VersionVectors) {
  const header = hex(v.clientUnprotectedHeader);
  const cipher = createCipheriv(
    "aes-128-gcm",
    hex(v.client.key),
    nonceFor(hex(v.client.iv), CLIENT_PACKET_NUMBER),
  );
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(clientPlaintext()), cipher.final(), cipher.getAuthTag()]);
  const sample = ciphertext.subarray(0, 16);
  const ecb = createCipheriv("aes-128-ecb", hex(v.client.hp), null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(sample).subarray(0, 5);
  const protectedHeader = Buffer.from(header);
  protectedHeader[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < 4; i++) protectedHeader[18 + i] ^= mask[1 + i];
  return { sample, mask, protectedHeader, packet: Buffer.concat([protectedHeader, ciphertext]) };
}

describe.each([
  ["QUIC v1 (RFC 9001 Appendix A)", QUIC_V1, V1],
  ["QUIC v2 (RFC 9369 Appendix A)", QUIC_V2, V2],
])("%s", (_name, version, v) => {
  const info = quicVersionInfo(version);
  if (info === undefined) throw new Error("version table lost a standard version");

  it("derives the published client and server Initial secrets and keys", () => {
    // Prepare
    const dcid = hex(RFC_DCID);
    // Act
    const clientKeys = deriveInitialKeys(info, dcid, true);
    const serverKeys = deriveInitialKeys(info, dcid, false);
    // Assess
    expect(initialSecret(info.salt ?? new Uint8Array(), dcid, true).toString("hex")).toBe(v.clientSecret);
    expect(initialSecret(info.salt ?? new Uint8Array(), dcid, false).toString("hex")).toBe(v.serverSecret);
    expect(clientKeys?.key.toString("hex")).toBe(v.client.key);
    expect(clientKeys?.iv.toString("hex")).toBe(v.client.iv);
    expect(clientKeys?.hp.toString("hex")).toBe(v.client.hp);
    expect(serverKeys?.key.toString("hex")).toBe(v.server.key);
    expect(serverKeys?.iv.toString("hex")).toBe(v.server.iv);
    expect(serverKeys?.hp.toString("hex")).toBe(v.server.hp);
  });

  it("reproduces the published protected client Initial (sample, mask, header, tag)", () => {
    // Act
    const rebuilt = protectClientInitial(v);
    // Assess
    expect(rebuilt.sample.toString("hex")).toBe(v.clientSample);
    expect(rebuilt.mask.toString("hex")).toBe(v.clientMask);
    expect(rebuilt.protectedHeader.toString("hex")).toBe(v.clientProtectedHeader);
    expect(rebuilt.packet.subarray(-16).toString("hex")).toBe(v.clientTag);
    expect(rebuilt.packet.length).toBe(1200);
  });

  it("removes header and payload protection from the client Initial", () => {
    // Prepare
    const packet = protectClientInitial(v).packet;
    const header = newLongHeader();
    const keys = deriveInitialKeys(info, hex(RFC_DCID), true);
    if (keys === undefined) throw new Error("no keys");
    // Act
    const problem = parseLongHeader(packet, 0, header);
    const opened = new InitialOpener(keys).open(packet, header);
    // Assess
    expect(problem).toBeUndefined();
    expect(header.type).toBe(LongPacketType.Initial);
    expect(header.end).toBe(1200);
    expect(opened.packetNumber).toBe(CLIENT_PACKET_NUMBER);
    expect(Buffer.from(opened.payload).equals(clientPlaintext())).toBe(true);
  });

  it("decrypts the published server Initial with keys from the client's DCID", () => {
    // Prepare
    const packet = hex(v.serverPacket);
    const header = newLongHeader();
    const keys = deriveInitialKeys(info, hex(RFC_DCID), false);
    if (keys === undefined) throw new Error("no keys");
    // Act
    parseLongHeader(packet, 0, header);
    const opened = new InitialOpener(keys).open(packet, header);
    // Assess
    expect(header.type).toBe(LongPacketType.Initial);
    expect(
      Buffer.from(packet.subarray(header.scidOffset, header.scidOffset + header.scidLength)).toString("hex"),
    ).toBe("f067a5502a4262b5");
    expect(opened.packetNumber).toBe(1);
    expect(Buffer.from(opened.payload).toString("hex")).toBe(SERVER_PAYLOAD);
  });

  it("rejects a packet whose ciphertext was altered, with a named error", () => {
    // Prepare
    const packet = protectClientInitial(v).packet;
    packet[600] ^= 0x01;
    const header = newLongHeader();
    const keys = deriveInitialKeys(info, hex(RFC_DCID), true);
    if (keys === undefined) throw new Error("no keys");
    parseLongHeader(packet, 0, header);
    // Act
    const open = () => new InitialOpener(keys).open(packet, header);
    // Assess
    expect(open).toThrow(QuicDecryptError);
    expect(open).toThrow(/AEAD authentication failed for packet number 2/);
  });
});

describe("packet number decoding (RFC 9000 Appendix A.3)", () => {
  it("recovers the full packet number from its truncated encoding", () => {
    // Act / Assess: the RFC's own example, plus wrap-around either side of the window.
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 16)).toBe(0xa82f9b32);
    expect(decodePacketNumber(-1, 0, 8)).toBe(0);
    expect(decodePacketNumber(0xff, 0x01, 8)).toBe(0x101);
    expect(decodePacketNumber(0x101, 0xff, 8)).toBe(0xff);
  });
});

describe("draft-ietf-quic-tls-29 Appendix A (draft-29 salt, same DCID)", () => {
  it("derives the draft's published Initial secrets and keys", () => {
    // Prepare
    const info = quicVersionInfo(0xff00001d);
    const dcid = hex(RFC_DCID);
    if (info?.salt === undefined) throw new Error("draft-29 must have a salt");
    // Act
    const client = deriveInitialKeys(info, dcid, true);
    const server = deriveInitialKeys(info, dcid, false);
    // Assess
    expect(info.name).toBe("draft-29");
    expect(initialSecret(info.salt, dcid, true).toString("hex")).toBe(
      "0088119288f1d866733ceeed15ff9d50902cf82952eee27e9d4d4918ea371d87",
    );
    expect(initialSecret(info.salt, dcid, false).toString("hex")).toBe(
      "006f881359244dd9ad1acf85f595bad67c13f9f5586f5e64e1acae1d9ea8f616",
    );
    expect([client?.key, client?.iv, client?.hp].map((b) => b?.toString("hex"))).toEqual([
      "175257a31eb09dea9366d8bb79ad80ba",
      "6b26114b9cba2b63a9e8dd4f",
      "9ddd12c994c0698b89374a9c077a3077",
    ]);
    expect([server?.key, server?.iv, server?.hp].map((b) => b?.toString("hex"))).toEqual([
      "149d0b1662ab871fbe63c49b5e655a5d",
      "bab2b12a4c76016ace47856d",
      "c0c499a65a60024a18a250974ea01dfa",
    ]);
  });
});
