// A pass-through HTTP recorder in front of moto_server (which checks no signature): every request is
// forwarded unchanged and its JSON-protocol operation (X-Amz-Target), the access key of its SigV4
// signature, its session token and whether it asked for decryption are recorded, so a test can tell
// that a separate process signed its SSM calls with the instance role's credentials from the metadata
// service. Response bodies (which hold decrypted parameters) are not kept.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SignedRequest {
  target: string | undefined;
  accessKeyId: string | undefined;
  securityToken: string | undefined;
  withDecryption: boolean | undefined;
}

export interface SigningRecorder {
  endpoint: string;
  requests: SignedRequest[];
  close(): Promise<void>;
}

export async function startSigningRecorder(upstream: string): Promise<SigningRecorder> {
  const to = new URL(upstream);
  const requests: SignedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let withDecryption: boolean | undefined;
      try {
        const parsed = JSON.parse(body.toString("utf8")) as { WithDecryption?: boolean };
        withDecryption = parsed.WithDecryption;
      } catch {
        // not JSON: nothing to record
      }
      const token = req.headers["x-amz-security-token"];
      const target = req.headers["x-amz-target"];
      requests.push({
        target: typeof target === "string" ? target : undefined,
        accessKeyId: /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ""))?.[1],
        securityToken: typeof token === "string" ? token : undefined,
        withDecryption,
      });
      const forward = request(
        {
          host: to.hostname,
          port: to.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on("error", (e) => res.writeHead(502).end(e.message));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
