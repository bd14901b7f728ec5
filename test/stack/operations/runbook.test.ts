// The on-call runbook (stack/operations/README.md) has a section for every alarm kind the stack creates, and
// each section says what to check first and how missing data counts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALARM_KINDS } from "../../../stack/operations/alarms.js";
import { ROOT } from "./support/sources.js";

describe("operations runbook", () => {
  it("has a section per alarm kind with what to check first and the missing-data rule", () => {
    // Prepare
    const text = readFileSync(join(ROOT, "stack", "operations", "README.md"), "utf8");

    // Act
    const sections = new Map(
      text
        .split(/^### /m)
        .slice(1)
        .map((s) => [s.slice(0, s.indexOf("\n")).trim(), s] as const),
    );

    // Assess
    expect(ALARM_KINDS.filter((k) => !sections.has(k))).toEqual([]);
    for (const kind of ALARM_KINDS) {
      expect(sections.get(kind), kind).toMatch(/Check first: /);
      expect(sections.get(kind), kind).toMatch(/Missing data: /);
    }
  });
});
