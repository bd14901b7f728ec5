// The same SSH bytes cut at random places (including byte by byte) give the same ssh.log fields
// and weirds: the direction parser must keep only copies of what it has not parsed yet (the
// replay scrubs every delivery's buffer after the call). auth_success / auth_attempts are left
// out: Zeek's heuristic judges the sizes of encrypted deliveries, which re-cutting changes.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LogRecord } from "../../../sensor-ami/src/protocols/types.js";
import { loadStreams } from "../http/stream-fixture.js";
import { runSsh, type SshRun, sshFixtureUrl } from "./ssh-runs.js";

function cleartextFields(run: SshRun): LogRecord | undefined {
  if (!run.record) return undefined;
  const { auth_success: _success, auth_attempts: _attempts, ...rest } = run.record;
  return rest as LogRecord;
}

const FIXTURES = ["ssh.json", "ndpi-ssh.json", "ssh-on-port-80.json"];

describe("SSH delivery boundaries do not matter", () => {
  for (const name of FIXTURES) {
    const fixtures = loadStreams(sshFixtureUrl(name));
    it(`${name}: random re-segmentation gives the same records and weirds`, () => {
      const whole = fixtures.map((f) => runSsh(f));
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 12 }), (cuts) => {
          const pieces = fixtures.map((f) =>
            runSsh(f, (index, length) => cuts.map((c) => (c * (index + 1)) % Math.max(length, 1))),
          );
          expect(pieces.map(cleartextFields)).toEqual(whole.map(cleartextFields));
          expect(pieces.map((r) => r.out.weirds)).toEqual(whole.map((r) => r.out.weirds));
        }),
        { numRuns: 20 },
      );
    });

    it(`${name}: byte-at-a-time delivery gives the same records`, () => {
      const whole = fixtures.map((f) => runSsh(f));
      const bytewise = fixtures.map((f) => runSsh(f, (_i, length) => Array.from({ length }, (_, k) => k)));
      expect(bytewise.map(cleartextFields)).toEqual(whole.map(cleartextFields));
      expect(bytewise.map((r) => r.out.weirds)).toEqual(whole.map((r) => r.out.weirds));
    });
  }
});
