import { describe, expect, it } from "vitest";
import { allocateSessionNumber } from "../../../../functions/mirror-on-launch/decide/session-numbers.js";

describe("session numbers", () => {
  it("takes the preferred number, else the next free above, else below", () => {
    expect(allocateSessionNumber([], 1)).toBe(1);
    expect(allocateSessionNumber([1, 2], 1)).toBe(3);
    expect(allocateSessionNumber([5], 5)).toBe(6);
    expect(allocateSessionNumber([32766], 32766)).toBe(32765);
  });
});
