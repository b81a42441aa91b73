#!/usr/bin/env node
// Verifies fixtures/conformance-server.mjs independently of our own HTTP server:
// serves it over the SDK's StreamableHTTPServerTransport (one fixture child per
// session, joined with core's bridge()) on 127.0.0.1 and runs the conformance
// suite against it. Needs Node 22 (it imports src/conformance.ts with type
// stripping): `pnpm --filter @mcp-proxy/test-utils conformance:sdk-check
// [2025-11-25|2026-07-28] [scenario]`.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { runConformance } from "../src/conformance.ts";

// test-utils does not depend on core (core's tests depend on test-utils), so the
// built core is imported by path.
const { bridge, ChildProcessTransport } = await import(
  new URL("../../core/dist/index.js", import.meta.url).href
);

const FIXTURE = fileURLToPath(new URL("../fixtures/conformance-server.mjs", import.meta.url));
const requirements = process.argv[2] ?? "2025-11-25";
const scenario = process.argv[3];

/**
 * The SDK transport routes a server message to a request's POST stream only when
 * send() names the request (relatedRequestId); a stdio child cannot, so this
 * wrapper infers it: progress by token, other notifications and server-to-client
 * requests to the newest request still in flight. Our http-server does this
 * routing properly; this is just enough for the check.
 */
function routed(transport) {
  const inFlight = [];
  const byToken = new Map();
  const wrapper = {
    get sessionId() {
      return transport.sessionId;
    },
    start: () => transport.start(),
    close: () => transport.close(),
    send(message) {
      if ("id" in message && ("result" in message || "error" in message)) {
        const i = inFlight.indexOf(message.id);
        if (i !== -1) inFlight.splice(i, 1);
        for (const [token, id] of byToken) if (id === message.id) byToken.delete(token);
        return transport.send(message);
      }
      const token =
        message.method === "notifications/progress" ? message.params?.progressToken : undefined;
      const related = token !== undefined ? byToken.get(token) : inFlight.at(-1);
      return transport.send(
        message,
        related === undefined ? undefined : { relatedRequestId: related },
      );
    },
  };
  transport.onmessage = (message, extra) => {
    if ("method" in message && "id" in message) {
      inFlight.push(message.id);
      const token = message.params?._meta?.progressToken;
      if (token !== undefined) byToken.set(token, message.id);
    }
    wrapper.onmessage?.(message, extra);
  };
  transport.onclose = () => wrapper.onclose?.();
  transport.onerror = (error) => wrapper.onerror?.(error);
  return wrapper;
}

const sessions = new Map();
const bridges = new Set();

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

function reply(res, status, message) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message } }));
}

const httpServer = createServer(async (req, res) => {
  try {
    if (new URL(req.url ?? "/", "http://x").pathname !== "/mcp")
      return reply(res, 404, "Not found");
    const sessionId = req.headers["mcp-session-id"];
    const body = req.method === "POST" ? await readBody(req) : undefined;
    if (typeof sessionId === "string") {
      const transport = sessions.get(sessionId);
      if (!transport) return reply(res, 404, "Session not found");
      return await transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST" || body?.method !== "initialize")
      return reply(res, 400, "No session");
    const port = httpServer.address().port;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableDnsRebindingProtection: true,
      allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`],
      allowedOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    const child = new ChildProcessTransport({
      command: process.execPath,
      args: [FIXTURE],
      stderr: "inherit",
    });
    const handle = await bridge(routed(transport), child, {
      onClose: () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        bridges.delete(handle);
      },
    });
    bridges.add(handle);
    await transport.handleRequest(req, res, body);
    // A rejected initialize (e.g. a foreign Host) never gets a session: end its child now.
    if (!transport.sessionId) await handle.close();
  } catch (error) {
    if (!res.headersSent) reply(res, 500, String(error));
    else res.end();
  }
});

await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${httpServer.address().port}/mcp`;
const started = Date.now();
const result = await runConformance({ url, requirements, scenario, timeoutMs: 240_000 });
const seconds = ((Date.now() - started) / 1000).toFixed(1);

if (process.env.CONFORMANCE_RAW) process.stderr.write(result.raw);
console.log(
  `conformance ${requirements} via the SDK transport: ${seconds}s, exit ${result.exitCode}${result.timedOut ? " (timed out)" : ""}`,
);
console.log(`passed (${result.passed.length}): ${result.passed.join(", ")}`);
for (const { scenario: name, detail } of result.failed) {
  const mark = result.notScored.includes(name) ? " [not scored]" : "";
  console.log(`FAILED ${name}${mark}:\n  ${detail.split("\n").join("\n  ")}`);
}

for (const [name, checks] of Object.entries(result.checks)) {
  for (const check of checks.filter((c) => c.status === "WARNING")) {
    console.log(`warning ${name}: ${check.id}: ${check.errorMessage ?? ""}`);
  }
}

await Promise.allSettled([...bridges].map((handle) => handle.close()));
await new Promise((resolve) => httpServer.close(resolve));
httpServer.closeAllConnections?.();
process.exitCode = result.failed.some((f) => !result.notScored.includes(f.scenario)) ? 1 : 0;
