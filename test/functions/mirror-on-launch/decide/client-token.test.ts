import { describe, expect, it } from "vitest";
import { clientToken } from "../../../../functions/mirror-on-launch/decide/client-token.js";

describe("ClientToken", () => {
  const base = { eniId: "eni-1", targetId: "tmt-1", filterId: "tmf-1", sessionNumber: 1, vni: 5 };
  it("is 64 hex characters and changes with every part", () => {
    const t = clientToken(base);
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(clientToken({ ...base })).toBe(t);
    for (const change of [
      { eniId: "eni-2" },
      { targetId: "tmt-2" },
      { filterId: "tmf-2" },
      { sessionNumber: 2 },
      { vni: 6 },
      { packetLength: 100 },
      { launchTime: "2026-11-20T10:00:00.000Z" },
    ]) {
      expect(clientToken({ ...base, ...change })).not.toBe(t);
    }
  });
});
