// The version in completion records is the package's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { SPANLESS_VERSION } from "../../sensor-ami/src/cli/version.js";
import { REPO_ROOT } from "../support/corpus.js";

it("SPANLESS_VERSION is package.json's version", () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
  expect(SPANLESS_VERSION).toBe(pkg.version);
});
