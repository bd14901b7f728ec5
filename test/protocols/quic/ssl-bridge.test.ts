import { describe, expect, it } from "vitest";
import { asHandshakeRecords, SslBridge } from "../../../sensor-ami/src/protocols/quic/ssl-bridge.js";
import type { AnalyzerContext, StreamAnalyzer } from "../../../sensor-ami/src/protocols/types.js";
import { CLIENT_CRYPTO_FRAME } from "./rfc-vectors.js";
import { RecordingContext } from "./support.js";

const CLIENT_HELLO = Buffer.from(CLIENT_CRYPTO_FRAME, "hex").subarray(4);

describe("hellos as TLS records for the TLS analyzer", () => {
  it("wraps the RFC 9001 ClientHello in one handshake record", () => {
    // Act
    const records = Buffer.from(asHandshakeRecords(CLIENT_HELLO));
    // Assess
    expect(records.subarray(0, 5).toString("hex")).toBe("16030300f1");
    expect(records.subarray(5).equals(CLIENT_HELLO)).toBe(true);
  });

  it("splits a message above 2^14 bytes into several records", () => {
    // Prepare
    const message = new Uint8Array(20_000).fill(7);
    // Act
    const records = Buffer.from(asHandshakeRecords(message));
    // Assess
    expect(records.length).toBe(20_010);
    expect(records.subarray(0, 5).toString("hex")).toBe("1603034000");
    expect(records.subarray(16_389, 16_394).toString("hex")).toBe("1603030e20");
  });

  it("rewrites ssl.log's JA4 to the QUIC form and survives the TLS side giving up", () => {
    // Prepare: a TLS analyzer stand-in that logs a TCP-form JA4 on end, and gives up on its 2nd input
    const ctx = new RecordingContext();
    let inputs = 0;
    const bridge = new SslBridge(
      ctx,
      (sslCtx: AnalyzerContext): StreamAnalyzer => ({
        data: () => {
          inputs++;
          if (inputs === 1) sslCtx.violation("not TLS");
        },
        gap: () => {},
        end: (ts) => sslCtx.log("ssl", { ts, ja4: "t13d0310h3_55b375c5d22e_cd85d2d88918" }),
      }),
    );
    // Act
    bridge.hello(true, CLIENT_HELLO, 1);
    bridge.hello(false, CLIENT_HELLO, 2); // ignored: the TLS side detached
    bridge.end(3);
    // Assess
    expect(inputs).toBe(1);
    expect(ctx.violations).toEqual([]);
    expect(ctx.records("ssl")).toEqual([{ ts: 3, ja4: "q13d0310h3_55b375c5d22e_cd85d2d88918" }]);
  });
});
