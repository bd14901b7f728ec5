// `spanless token`: create prints label:secret once and keeps only the derived key (0600 file), list shows
// labels and states, revoke marks a label; the printed token is one the sensor's config accepts.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pushTokenSchema } from "../../contracts/config/rules.js";
import { deriveTokenKey, parsePushToken } from "../../contracts/upload/index.js";
import { runToken } from "../../sensor-ami/src/cli/token.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "spanless-token-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function token(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const status = runToken(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { status, stdout, stderr };
}

describe("spanless token", () => {
  it("create prints label:secret once and stores only the derived key, mode 0600", () => {
    // Act
    const created = token("create", "sensor-a", "--store", dir);

    // Assess
    expect(created.status).toBe(0);
    const printed = created.stdout.trim();
    expect(pushTokenSchema.safeParse(printed).success).toBe(true);
    const { label, secret } = parsePushToken(printed);
    expect(label).toBe("sensor-a");
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const file = readFileSync(join(dir, "tokens.json"), "utf8");
    expect(file).not.toContain(secret);
    expect(JSON.parse(file).tokens[0].key).toBe(deriveTokenKey(secret).toString("base64url"));
    expect(statSync(join(dir, "tokens.json")).mode & 0o777).toBe(0o600);
  });

  it("makes a different secret every time", () => {
    // Act
    const a = token("create", "a", "--tokens", join(dir, "t.json")).stdout;
    const b = token("create", "b", "--tokens", join(dir, "t.json")).stdout;

    // Assess
    expect(a.split(":")[1]).not.toBe(b.split(":")[1]);
  });

  it("lists labels with their creation time and revocation, never keys", () => {
    // Prepare
    token("create", "sensor-a", "--store", dir);
    token("create", "sensor-b", "--store", dir);

    // Act
    const revoked = token("revoke", "sensor-a", "--store", dir);
    const list = token("list", "--store", dir, "--json");
    const text = token("list", "--store", dir);

    // Assess
    expect(revoked.status).toBe(0);
    const rows = JSON.parse(list.stdout);
    expect(rows.map((r: { label: string; revoked: string | null }) => [r.label, r.revoked !== null])).toEqual(
      [
        ["sensor-a", true],
        ["sensor-b", false],
      ],
    );
    expect(list.stdout).not.toContain("key");
    expect(text.stdout).toMatch(/^sensor-a\tcreated \S+\trevoked \S+\nsensor-b\tcreated \S+\tactive\n$/);
  });

  it.each([
    [["create", "sensor-a", "--store", "DIR"], 1, "already exists"],
    [["create", "bad label", "--store", "DIR"], 1, "label must be"],
    [["revoke", "nobody", "--store", "DIR"], 1, 'no token labelled "nobody"'],
    [["create", "x"], 64, "missing --store"],
    [["frobnicate", "--store", "DIR"], 64, "expected create, list or revoke"],
    [["create", "--store", "DIR"], 64, "create needs a <label>"],
  ])("refuses %j", (argv, status, message) => {
    // Prepare
    token("create", "sensor-a", "--store", dir);

    // Act
    const result = token(...argv.map((a) => (a === "DIR" ? dir : a)));

    // Assess
    expect(result.status).toBe(status);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
  });
});
