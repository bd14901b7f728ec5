import { describe, expect, it } from "vitest";
import { type FrameHandler, walkInitialFrames } from "../../../sensor-ami/src/protocols/quic/frames.js";
import { CLIENT_CRYPTO_FRAME, SERVER_PAYLOAD } from "./rfc-vectors.js";

function recorder() {
  const seen: string[] = [];
  const handler: FrameHandler = {
    crypto: (offset, data) => seen.push(`crypto@${offset}+${data.length}`),
    connectionClose: (code, reason, transport) =>
      seen.push(
        `close ${code} ${transport ? "transport" : "app"} "${Buffer.from(reason).toString("latin1")}"`,
      ),
  };
  return { seen, handler };
}

describe("Initial frame walker", () => {
  it("RFC 9001 A.3 server payload: ACK then CRYPTO(ServerHello)", () => {
    // Prepare
    const { seen, handler } = recorder();
    // Act
    const problem = walkInitialFrames(Buffer.from(SERVER_PAYLOAD, "hex"), handler);
    // Assess
    expect(problem).toBeUndefined();
    expect(seen).toEqual(["crypto@0+90"]);
  });

  it("RFC 9001 A.2 client payload: CRYPTO then 917 bytes of PADDING", () => {
    // Prepare
    const { seen, handler } = recorder();
    const payload = Buffer.alloc(1162);
    Buffer.from(CLIENT_CRYPTO_FRAME, "hex").copy(payload);
    // Act
    const problem = walkInitialFrames(payload, handler);
    // Assess
    expect(problem).toBeUndefined();
    expect(seen).toEqual(["crypto@0+241"]);
  });

  it("PING, ACK with ranges and ECN counts, CONNECTION_CLOSE with a reason", () => {
    // Prepare: PING; ACK_ECN largest 5 delay 0 ranges 1 first 0 (gap 1, len 1) ECN 0,0,0;
    // CONNECTION_CLOSE error 0x0a frame type 6 reason "bye"
    const { seen, handler } = recorder();
    const payload = Buffer.from("01" + "03050001000101000000" + "1c0a0603627965", "hex");
    // Act
    const problem = walkInitialFrames(payload, handler);
    // Assess
    expect(problem).toBeUndefined();
    expect(seen).toEqual(['close 10 transport "bye"']);
  });

  it.each([
    ["0640f1", "QUIC_truncated_frame", "CRYPTO without its length bytes"],
    ["060010aabb", "QUIC_truncated_frame", "CRYPTO length past the payload"],
    ["1c0a06ff", "QUIC_truncated_frame", "CONNECTION_CLOSE reason length past the payload"],
    ["020101", "QUIC_truncated_frame", "ACK cut after the delay"],
    ["0800", "QUIC_unexpected_frame_type", "STREAM is not allowed in Initial packets"],
    ["0200007fff00", "QUIC_too_many_ack_ranges", "ACK claiming 16383 ranges"],
  ])("%s → %s (%s)", (hex, expected) => {
    // Prepare
    const { handler } = recorder();
    // Act / Assess
    expect(walkInitialFrames(Buffer.from(hex, "hex"), handler)).toBe(expected);
  });
});
