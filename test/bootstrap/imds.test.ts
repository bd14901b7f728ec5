// The boot's IMDSv2 client against a fake metadata service: the token flow (GETs without a token are
// refused), a token renewed after a 401, retries with a clear error when the service is away or
// silent, and what a missing user data says.
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ImdsError } from "../../sensor-ami/src/bootstrap/errors.js";
import { ImdsClient } from "../../sensor-ami/src/bootstrap/imds.js";
import { type FakeImds, startFakeImds } from "./support/imds.js";

const INSTANCE = { instanceId: "i-0abcdef0123456789", availabilityZone: "eu-west-1b", region: "eu-west-1" };
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

/** `null`: the instance has no user data. */
async function fake(userData: string | null = "#!/bin/bash\n"): Promise<FakeImds> {
  const imds = await startFakeImds({ ...INSTANCE, userData: userData ?? undefined });
  cleanup.push(() => imds.close());
  return imds;
}

describe("ImdsClient", () => {
  it("takes a session token first and reads the identity and user data with it", async () => {
    // Prepare
    const imds = await fake("#!/bin/bash\necho pins\n");
    const client = new ImdsClient({ endpoint: imds.endpoint });

    // Act
    const identity = await client.identity();
    const userData = await client.userData();
    const tokenless = await fetch(`${imds.endpoint}/latest/meta-data/instance-id`);

    // Assess
    expect(identity).toEqual(INSTANCE);
    expect(userData).toBe("#!/bin/bash\necho pins");
    expect(tokenless.status).toBe(401);
    expect(imds.requests.filter((r) => r.startsWith("PUT"))).toEqual(["PUT /latest/api/token 200"]);
  });

  it("gets a new token when the service refuses the old one", async () => {
    // Prepare
    const imds = await fake();
    const client = new ImdsClient({ endpoint: imds.endpoint, retryDelayMs: 5 });
    await client.identity();
    imds.expireTokens();

    // Act
    const region = await client.get("/latest/meta-data/placement/region");

    // Assess
    expect(region).toBe(INSTANCE.region);
    expect(imds.requests.filter((r) => r.startsWith("PUT"))).toHaveLength(2);
    expect(imds.requests).toContain("GET /latest/meta-data/placement/region 401");
  });

  it("says so when the instance has no user data", async () => {
    // Prepare
    const imds = await fake(null);

    // Act
    const read = new ImdsClient({ endpoint: imds.endpoint }).userData();

    // Assess
    await expect(read).rejects.toThrow(/the instance has no user data/);
  });

  it("retries a service that is not there, then names it and the attempts", async () => {
    // Prepare: a port that refuses connections
    const srv: Server = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));

    // Act
    const read = new ImdsClient({
      endpoint: `http://127.0.0.1:${port}`,
      attempts: 3,
      retryDelayMs: 5,
    }).identity();

    // Assess
    await expect(read).rejects.toThrow(ImdsError);
    await expect(read).rejects.toThrow(
      new RegExp(
        `service at http://127.0.0.1:${port} did not answer GET /latest/meta-data/instance-id after 3 attempts .*ECONNREFUSED`,
      ),
    );
  });

  it("gives up on a silent service after its timeouts", async () => {
    // Prepare: accepts connections, never answers
    const sockets = new Set<import("node:net").Socket>();
    const srv: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    cleanup.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    });
    const port = (srv.address() as { port: number }).port;

    // Act
    const started = Date.now();
    const read = new ImdsClient({
      endpoint: `http://127.0.0.1:${port}`,
      attempts: 2,
      timeoutMs: 100,
      retryDelayMs: 5,
    }).userData();

    // Assess
    await expect(read).rejects.toThrow(/no answer within 100 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
