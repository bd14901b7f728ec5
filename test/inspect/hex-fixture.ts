import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** A hex dump from test/inspect/fixtures ("#" lines are comments). */
export function loadHex(name: string): Uint8Array {
  const text = readFileSync(join(here, "fixtures", name), "utf8");
  const hex = text
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .join("")
    .trim();
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
