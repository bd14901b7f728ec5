// A loopback HTTP endpoint subscribed to the SNS topic in moto_server: moto POSTs every published message to
// it, so tests count and read the notifications an on-call engineer would receive.
import { createServer, type Server } from "node:http";

export interface InboxMessage {
  subject: string;
  message: string;
}

export interface SnsInbox {
  url: string;
  messages: InboxMessage[];
  clear(): void;
  close(): Promise<void>;
}

export async function startSnsInbox(): Promise<SnsInbox> {
  const messages: InboxMessage[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      try {
        const post = JSON.parse(body) as { Type?: string; Subject?: string; Message?: string };
        if (post.Type === "Notification")
          messages.push({ subject: post.Subject ?? "", message: post.Message ?? "" });
      } catch {
        // not an SNS post; ignore
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    messages,
    clear: () => {
      messages.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
