// The client ceiling: a Streamable HTTP endpoint with no upstream at all, answering
// initialize and tools/call (`echo`, `big`) itself in the cheapest way node:http allows.
// What a client reaches against it is the most any proxy could give that client.
// Run as its own process: `node dist/null-server.js`; prints `Streamable HTTP: <url>` on stderr.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

interface Request {
  id?: string | number;
  method?: string;
  params?: { protocolVersion?: string; arguments?: { text?: string; size?: number } };
}

const SESSION = "null-session";

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.method === "DELETE") {
    res.writeHead(200).end();
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(405, { Allow: "POST, DELETE" }).end();
    return;
  }
  const message = JSON.parse(body) as Request;
  if (message.id === undefined) {
    res.writeHead(202).end();
    return;
  }
  const result =
    message.method === "initialize"
      ? {
          protocolVersion: message.params?.protocolVersion ?? "2025-06-18",
          capabilities: { tools: {} },
          serverInfo: { name: "null", version: "0.0.0" },
        }
      : {
          content: [
            {
              type: "text",
              text:
                message.params?.arguments?.text ?? "x".repeat(message.params?.arguments?.size ?? 0),
            },
          ],
        };
  const text = JSON.stringify({ jsonrpc: "2.0", id: message.id, result });
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "mcp-session-id": SESSION,
  });
  res.end(text);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => answer(req, res, Buffer.concat(chunks).toString("utf8")));
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stderr.write(`Streamable HTTP: http://127.0.0.1:${port}/mcp\n`);
});
process.on("SIGINT", () => server.close(() => process.exit(0)));
