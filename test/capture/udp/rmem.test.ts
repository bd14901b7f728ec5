import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRmemMax, receiveBufferWarning } from "../../../sensor-ami/src/capture/udp/rmem.js";

describe("receive buffer warning", () => {
  it("names the shortfall, the cap and the exact sysctl that fixes it", () => {
    // Act
    const text = receiveBufferWarning(67108864, 8388608, 4194304);

    // Assess
    expect(text).toBe(
      "receive buffer 8388608 bytes (8 MiB) is below the 67108864 bytes (64 MiB) asked for " +
        "(net.core.rmem_max is 4194304 bytes = 4 MiB); bursts beyond it are dropped by the kernel. " +
        "Fix: sysctl -w net.core.rmem_max=67108864 (persist it with: echo 'net.core.rmem_max=67108864' > " +
        "/etc/sysctl.d/60-spanless.conf), then restart, or run with CAP_NET_ADMIN so SO_RCVBUFFORCE can exceed the cap.",
    );
  });

  it("is silent when the request was met (Linux reports double what was asked) or nothing was asked", () => {
    expect(receiveBufferWarning(4194304, 8388608, 4194304)).toBeUndefined();
    expect(receiveBufferWarning(0, 212992, 4194304)).toBeUndefined();
  });

  it("leaves out the cap when rmem_max cannot be read", () => {
    expect(receiveBufferWarning(1000000, 425984, undefined)).toMatch(
      /^receive buffer 425984 bytes \(0\.4 MiB\) is below the 1000000 bytes \(1\.0 MiB\) asked for; /,
    );
  });

  it("reads rmem_max from the file, undefined when absent or not a number", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-rmem-"));
    writeFileSync(join(dir, "ok"), "4194304\n");
    writeFileSync(join(dir, "bad"), "many\n");

    // Assess
    expect(readRmemMax(join(dir, "ok"))).toBe(4194304);
    expect(readRmemMax(join(dir, "bad"))).toBeUndefined();
    expect(readRmemMax(join(dir, "missing"))).toBeUndefined();
  });
});
