// A fake EC2 instance metadata service speaking IMDSv2: PUT /latest/api/token (with the TTL header)
// issues a session token; every GET without that token is refused with 401, as the real service does
// when IMDSv1 is disabled. Serves the instance's ID, zone, region and user data, and the instance
// role's credentials the AWS SDK's default provider chain reads (its IMDSv2 flow, not ours).
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The instance profile's role, as IMDS names it. */
export const ROLE = "spanless-sensor";
const ROLE_PATH = "/latest/meta-data/iam/security-credentials/";

export interface FakeImds {
  endpoint: string;
  /** Every request as "METHOD path status". */
  requests: string[];
  instance: { instanceId: string; availabilityZone: string; region: string; userData: string | undefined };
  /** Forgets every issued token (as when one expires): the next GET with one is refused. */
  expireTokens(): void;
  close(): Promise<void>;
}

export async function startFakeImds(instance: FakeImds["instance"]): Promise<FakeImds> {
  const tokens = new Set<string>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "";
    const answer = (status: number, body = "") => {
      requests.push(`${req.method} ${path} ${status}`);
      res.writeHead(status, { "content-type": "text/plain" }).end(body);
    };
    if (req.method === "PUT" && path === "/latest/api/token") {
      const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return answer(400);
      const token = randomBytes(24).toString("base64");
      tokens.add(token);
      return answer(200, token);
    }
    if (req.method !== "GET") return answer(405);
    const token = req.headers["x-aws-ec2-metadata-token"];
    if (typeof token !== "string" || !tokens.has(token)) return answer(401);
    const values: Record<string, string | undefined> = {
      "/latest/meta-data/instance-id": instance.instanceId,
      "/latest/meta-data/placement/availability-zone": instance.availabilityZone,
      "/latest/meta-data/placement/region": instance.region,
      "/latest/user-data": instance.userData,
      [`${ROLE_PATH}`]: ROLE,
      [`${ROLE_PATH}${ROLE}`]: JSON.stringify({
        Code: "Success",
        Type: "AWS-HMAC",
        AccessKeyId: "ASIAFAKEIMDSROLE0001",
        SecretAccessKey: "fake-imds-role-secret",
        Token: "fake-imds-session-token",
        LastUpdated: new Date().toISOString(),
        Expiration: new Date(Date.now() + 6 * 3600_000).toISOString(),
      }),
    };
    const value = values[path];
    return value === undefined ? answer(404) : answer(200, value);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    instance,
    expireTokens: () => tokens.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
