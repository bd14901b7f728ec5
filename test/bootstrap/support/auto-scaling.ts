// A fake of the Auto Scaling Query API (https://autoscaling.amazonaws.com, Version 2011-01-01) for a
// `spanless bootstrap` run as its own process: the SDK in that process is pointed here with
// AWS_ENDPOINT_URL_AUTO_SCALING (smithy's getEndpointUrlConfig: AWS_ENDPOINT_URL_ + the service ID
// "Auto Scaling" upper-cased, spaces as underscores). It answers CompleteLifecycleAction with the
// documented response and records the call's parameters and the access key it was signed with (the
// instance role's, from the metadata service). Anything else is refused as AWS refuses an unknown action.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

const NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

export interface AutoScalingCall {
  action: string;
  params: Record<string, string>;
  /** The access key ID in the SigV4 Authorization header's Credential=…/date/region/service/aws4_request. */
  accessKeyId: string | undefined;
  /** The credential scope's region and service (…/<region>/<service>/aws4_request). */
  scope: string | undefined;
  /** x-amz-security-token: the session token of temporary (instance role) credentials. */
  securityToken: string | undefined;
}

export interface FakeAutoScaling {
  endpoint: string;
  calls: AutoScalingCall[];
  close(): Promise<void>;
}

export async function startFakeAutoScaling(): Promise<FakeAutoScaling> {
  const calls: AutoScalingCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      const auth = String(req.headers.authorization ?? "");
      const credential = /Credential=([^/,\s]+)\/\d{8}\/([^/]+\/[^/]+)\/aws4_request/.exec(auth);
      const token = req.headers["x-amz-security-token"];
      const action = params.Action ?? "";
      calls.push({
        action,
        params,
        accessKeyId: credential?.[1],
        scope: credential?.[2],
        securityToken: typeof token === "string" ? token : undefined,
      });
      const requestId = randomUUID();
      if (req.method === "POST" && action === "CompleteLifecycleAction") {
        res
          .writeHead(200, { "content-type": "text/xml" })
          .end(
            `<CompleteLifecycleActionResponse xmlns="${NS}"><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></CompleteLifecycleActionResponse>`,
          );
        return;
      }
      res
        .writeHead(400, { "content-type": "text/xml" })
        .end(
          `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The action ${action} is not valid for this web service (fake).</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
