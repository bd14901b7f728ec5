// Runs the HTTP analyzer over the committed stream fixtures and keys the records by connection.

import { http } from "../../../sensor-ami/src/protocols/http/index.js";
import type { LogRecord } from "../../../sensor-ami/src/protocols/types.js";
import {
  loadStreams,
  type Recorded,
  recordingContext,
  replay,
  type StreamFixture,
} from "./stream-fixture.js";

export interface StreamRun {
  fixture: StreamFixture;
  /** The client's TCP port (from the fixture's originator "addr:port"). */
  clientPort: string;
  records: LogRecord[];
  out: Recorded;
}

export const fixtureUrl = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

export function runHttpFixture(
  name: string,
  split?: (segmentIndex: number, length: number) => number[],
): StreamRun[] {
  return loadStreams(fixtureUrl(name)).map((fixture) => {
    const { ctx, out } = recordingContext();
    replay(http.create!(ctx), fixture, split);
    return {
      fixture,
      clientPort: fixture.originator.slice(fixture.originator.lastIndexOf(":") + 1),
      records: out.logs.filter((l) => l.path === "http").map((l) => l.record),
      out,
    };
  });
}
