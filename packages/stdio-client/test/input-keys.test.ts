// Relayed input requests keep the keys the server chose. A 2026-07-28 client
// talks to our http-server, whose gateway runs this stdio front as its
// (2025-era) upstream, in front of a 2026-07-28 remote: the front asks the
// gateway with a real sampling request, named with the server's key in
// `_meta["mcp-proxy/inputKey"]`, so the client sees `question`, not `input-1`.
import { fileURLToPath } from "node:url";
import { ChildProcessTransport, modernRequestHeaders } from "@mcp-proxy/core";
import { INPUT_KEY_META } from "@mcp-proxy/core/internal";
import { type HTTPServerHandle, startHTTPServer } from "@mcp-proxy/http-server";
import { afterEach, expect, it } from "vitest";
import { envelope } from "./helpers/modern-runner.js";
import { closeModernServers, REQUEST_STATE, startModernServer } from "./helpers/modern-server.js";

const RUNNER = fileURLToPath(new URL("fixtures/stdio-runner.mjs", import.meta.url));

let proxy: HTTPServerHandle | undefined;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await closeModernServers();
});

type Answer = { result?: Record<string, unknown>; error?: { message: string } };

/** POSTs a 2026-07-28 request with its headers; reads a JSON or SSE answer. */
async function post(url: string, message: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...modernRequestHeaders(message),
    },
    body: JSON.stringify(message),
  });
  const text = await response.text();
  if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
    return JSON.parse(text) as Answer;
  }
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as Answer & { id?: unknown });
  return data.find((m) => m.id === message.id) as Answer;
}

it("surfaces the server's inputRequests key through a gateway in front of the stdio front", async () => {
  const remote = await startModernServer();
  proxy = await startHTTPServer({
    createUpstream: () =>
      new ChildProcessTransport({
        command: process.execPath,
        args: [RUNNER],
        env: { STDIO_RUNNER_OPTIONS: JSON.stringify({ url: remote.url }) },
        stderr: "ignore",
      }),
    port: 0,
    host: "127.0.0.1",
  });
  const url = `${proxy.url}/mcp`;
  const meta = envelope({ sampling: {} });
  const call = { name: "ask", arguments: {}, _meta: meta };

  const first = await post(url, { jsonrpc: "2.0", id: 1, method: "tools/call", params: call });
  const result = first.result as {
    resultType: string;
    inputRequests: Record<string, { method: string; params: Record<string, unknown> }>;
    requestState: string;
  };
  expect(result.resultType).toBe("input_required");
  expect(Object.keys(result.inputRequests)).toEqual(["question"]);
  const question = result.inputRequests.question;
  expect(question?.method).toBe("sampling/createMessage");
  // The hint is for the gateway; the client gets the server's params.
  expect(JSON.stringify(question?.params)).not.toContain(INPUT_KEY_META);

  const second = await post(url, {
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: {
      ...call,
      inputResponses: {
        question: { role: "assistant", model: "m", content: { type: "text", text: "kept" } },
      },
      requestState: result.requestState,
    },
  });
  expect(second.result?.content).toEqual([{ type: "text", text: "sampled: kept" }]);
  // The stdio front answered the remote under its key, with its exact state.
  const retry = remote.requests.filter((r) => r.body.params?.name === "ask")[1];
  expect(retry?.body.params?.requestState).toBe(REQUEST_STATE);
  expect(Object.keys(retry?.body.params?.inputResponses ?? {})).toEqual(["question"]);
});
