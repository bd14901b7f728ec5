// sensor-ami/image/check-listeners.sh, the image build's last check, against real sockets this test
// opens: one beyond loopback is reported and fails the check, loopback ones are not.
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_DIR, missingTools } from "./support.js";

const CHECK = join(IMAGE_DIR, "check-listeners.sh");
const skip = process.platform !== "linux" ? "ss is Linux's" : missingTools("ss");

const listen = (server: Server, host: string) =>
  new Promise<number>((resolve) =>
    server.listen(0, host, () => resolve((server.address() as { port: number }).port)),
  );

describe.skipIf(skip !== undefined)(`check-listeners.sh${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const open = createServer();
  const loopback = createServer();
  const udpLoopback = createSocket("udp4");
  let ports: { open: number; loopback: number; udp: number };

  beforeAll(async () => {
    await new Promise<void>((resolve) => udpLoopback.bind(0, "127.0.0.1", resolve));
    ports = {
      open: await listen(open, "0.0.0.0"),
      loopback: await listen(loopback, "127.0.0.1"),
      udp: udpLoopback.address().port,
    };
  });
  afterAll(() => {
    open.close();
    loopback.close();
    udpLoopback.close();
  });

  it("reports a TCP listener on every address and fails; loopback listeners pass", () => {
    // Prepare: beforeAll opened them
    // Act
    const r = spawnSync("bash", [CHECK], { encoding: "utf8" });

    // Assess
    expect(r.status).toBe(1);
    const strays = r.stderr.split("\n").slice(1).filter(Boolean);
    expect(strays).toContain(`tcp 0.0.0.0:${ports.open}`);
    expect(strays.some((l) => l.endsWith(`:${ports.loopback}`))).toBe(false);
    expect(strays.some((l) => l.endsWith(`:${ports.udp}`))).toBe(false);
  });
});
