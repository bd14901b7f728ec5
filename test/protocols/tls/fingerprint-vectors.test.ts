// The published JA3 and JA4 test vectors (salesforce/ja3 README; FoxIO technical_details/JA4.md),
// checked through the same hashing code the fingerprints use.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ja4HashOfList } from "../../../sensor-ami/src/protocols/tls/fingerprints.js";
import { isGrease } from "../../../sensor-ami/src/protocols/tls/index.js";

describe("JA3 published vector", () => {
  it("hashes the README example string to its published MD5", () => {
    // Prepare
    const ja3Text = "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0";
    // Act
    const digest = createHash("md5").update(ja3Text).digest("hex");
    // Assess
    expect(digest).toBe("ada70206e40642a3e4461f35503241d5");
  });
});

describe("JA4 published vectors", () => {
  it("hashes the sorted cipher list to 8daaf6152771", () => {
    // Prepare
    const ciphers = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9";
    // Act / Assess
    expect(ja4HashOfList(ciphers)).toBe("8daaf6152771");
  });

  it("hashes the sorted extensions + signature algorithms to e5627efa2ab1", () => {
    // Prepare
    const extensions =
      "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601";
    // Act / Assess
    expect(ja4HashOfList(extensions)).toBe("e5627efa2ab1");
  });

  it("maps an empty list to twelve zeros", () => {
    expect(ja4HashOfList("")).toBe("000000000000");
  });
});

describe("GREASE detection (RFC 8701)", () => {
  it("recognises all sixteen GREASE values and nothing else", () => {
    // Prepare
    const grease = Array.from({ length: 16 }, (_, i) => i * 0x1010 + 0x0a0a);
    // Act
    const detected = Array.from({ length: 0x10000 }, (_, v) => v).filter(isGrease);
    // Assess
    expect(detected).toEqual(grease);
  });
});
