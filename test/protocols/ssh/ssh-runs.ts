// Runs the SSH analyzer over committed stream fixtures (see ../http/fixtures/extract-streams.mjs;
// SSH fixtures keep the first 12,000 bytes of each direction, far past NEWKEYS and the
// authentication exchange).

import { ssh } from "../../../sensor-ami/src/protocols/ssh/index.js";
import type { LogRecord } from "../../../sensor-ami/src/protocols/types.js";
import {
  loadStreams,
  type Recorded,
  recordingContext,
  replay,
  type StreamFixture,
} from "../http/stream-fixture.js";

export interface SshRun {
  fixture: StreamFixture;
  clientPort: string;
  record?: LogRecord;
  out: Recorded;
}

export const sshFixtureUrl = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

export function runSsh(
  fixture: StreamFixture,
  split?: (segmentIndex: number, length: number) => number[],
): SshRun {
  const { ctx, out } = recordingContext();
  replay(ssh.create!(ctx), fixture, split);
  const logs = out.logs.filter((l) => l.path === "ssh");
  if (logs.length > 1)
    throw new Error(`stream ${fixture.stream}: ${logs.length} ssh.log records, expected one`);
  return {
    fixture,
    clientPort: fixture.originator.slice(fixture.originator.lastIndexOf(":") + 1),
    record: logs[0]?.record,
    out,
  };
}

export function runSshFixture(name: string): SshRun[] {
  return loadStreams(sshFixtureUrl(name)).map((fixture) => runSsh(fixture));
}
