import { describe, expect, it } from "vitest";
import {
  changedPins,
  hasPinBlock,
  PIN_BLOCK_BEGIN,
  PIN_BLOCK_END,
  PinFormatError,
  parsePinBlock,
  parsePinnedReference,
  pinsFor,
  renderPinBlock,
  replacePinBlock,
  sensorParameterNames,
} from "../../../contracts/config/index.js";

const names = sensorParameterNames("/spanless/prod");

function userDataWith(block: string): string {
  return `#!/bin/bash\nset -euo pipefail\n${block}exec /opt/spanless/bin/boot\n`;
}

describe("pinned parameter references", () => {
  it("renders name:version lines and none for absent optional parameters", () => {
    // Prepare
    const pins = pinsFor(names, { "collector-url": 3, "push-token": 12 });
    // Act
    const block = renderPinBlock(pins);
    // Assess
    expect(block.split("\n")).toEqual([
      PIN_BLOCK_BEGIN,
      "SPANLESS_CONFIG_COLLECTOR_URL=/spanless/prod/collector-url:3",
      "SPANLESS_CONFIG_PUSH_TOKEN=/spanless/prod/push-token:12",
      "SPANLESS_CONFIG_PROXY=none",
      "SPANLESS_CONFIG_OS_SENSOR_HMAC=none",
      PIN_BLOCK_END,
      "",
    ]);
  });

  it("replaces the block in user data and leaves the rest untouched; parse reads it back", () => {
    // Prepare
    const original = userDataWith(renderPinBlock(pinsFor(names, { "collector-url": 1, "push-token": 1 })));
    const next = pinsFor(names, { "collector-url": 2, "push-token": 5, proxy: 1 });
    // Act
    const updated = replacePinBlock(original, next);
    // Assess
    expect(updated.startsWith("#!/bin/bash\nset -euo pipefail\n")).toBe(true);
    expect(updated.endsWith("exec /opt/spanless/bin/boot\n")).toBe(true);
    expect(parsePinBlock(updated)).toEqual(next);
    expect(changedPins(parsePinBlock(original), next)).toEqual(["collector-url", "push-token", "proxy"]);
  });

  it("refuses user data without a block, with a message that says what the stack must do", () => {
    // Prepare
    const userData = "#!/bin/bash\necho hi\n";
    // Act
    const act = () => replacePinBlock(userData, pinsFor(names, {}));
    // Assess
    expect(hasPinBlock(userData)).toBe(false);
    expect(parsePinBlock(userData)).toBeUndefined();
    expect(act).toThrow(PinFormatError);
    expect(act).toThrow(/no spanless-config-pins block/);
  });

  it("rejects a hand-edited block with a missing key or malformed reference", () => {
    // Prepare
    const block = renderPinBlock(pinsFor(names, { "collector-url": 1, "push-token": 1 }));
    const missingLine = block.replace(/SPANLESS_CONFIG_PROXY=none\n/, "");
    const badVersion = block.replace("push-token:1", "push-token:latest");
    // Act / Assess
    expect(() => parsePinBlock(missingLine)).toThrow(/no SPANLESS_CONFIG_PROXY line/);
    expect(() => parsePinBlock(badVersion)).toThrow(/not a pinned parameter reference/);
  });

  it.each(["/a/b:0", "/a/b:", "/a/b", "/a b:1", "/a/b:1:2"])("rejects the reference %j", (text) => {
    // Prepare / Act / Assess
    expect(() => parsePinnedReference(text)).toThrow(PinFormatError);
  });

  it("parses a reference into name and numeric version", () => {
    // Prepare / Act
    const pin = parsePinnedReference("/spanless/prod/push-token:42");
    // Assess
    expect(pin).toEqual({ name: "/spanless/prod/push-token", version: 42 });
  });
});
