// The lean legacy (2024-11-05) SSE client: a GET stream whose `endpoint` event names
// the URL to POST messages to; responses come back as `message` events on the stream.
import { type Agent, request } from "node:http";
import { httpRequest } from "./http-request.js";
import { PendingRequests } from "./pending.js";
import { recordSplitter } from "./records.js";
import { type BenchSession, INITIALIZE_PARAMS, textLength } from "./types.js";

export async function openLeanSse(url: URL, agent: Agent): Promise<BenchSession> {
  const pending = new PendingRequests();
  let endpoint!: (value: URL) => void;
  let noEndpoint!: (error: Error) => void;
  const endpointKnown = new Promise<URL>((resolve, reject) => {
    endpoint = resolve;
    noEndpoint = reject;
  });
  // Once the stream is gone, nothing more can arrive: fail the wait for the endpoint too.
  const streamGone = (error: Error) => {
    noEndpoint(error);
    pending.failAll(error);
  };
  const get = request({
    agent,
    method: "GET",
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: { accept: "text/event-stream" },
  });
  get.on("response", (res) => {
    res.setEncoding("utf8");
    res.on(
      "data",
      recordSplitter("\n\n", (event) => onEvent(event)),
    );
    res.on("error", () => {});
    res.on("close", () => streamGone(new Error("SSE stream closed")));
  });
  get.on("error", streamGone);
  get.end();

  const onEvent = (event: string) => {
    let type = "message";
    let data = "";
    for (const line of event.split("\n")) {
      if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(line.startsWith("data: ") ? 6 : 5);
    }
    if (type === "endpoint") endpoint(new URL(data, url));
    else if (data) pending.settle(JSON.parse(data) as { id?: unknown });
  };

  const postUrl = await endpointKnown;
  const headers = { "content-type": "application/json" };
  const send = async (message: Record<string, unknown>) => {
    const reply = await httpRequest(agent, "POST", postUrl, headers, JSON.stringify(message));
    if (reply.status >= 300) throw new Error(`POST ${reply.status}: ${reply.body.slice(0, 200)}`);
  };
  const ask = async (method: string, params: unknown) => {
    const { id, response } = pending.next();
    await send({ jsonrpc: "2.0", id, method, params });
    return response;
  };

  await ask("initialize", INITIALIZE_PARAMS);
  await send({ jsonrpc: "2.0", method: "notifications/initialized" });
  let closed = false;
  return {
    async call(name, args) {
      return textLength(await ask("tools/call", { name, arguments: args }));
    },
    async close() {
      if (closed) return;
      closed = true;
      get.destroy();
    },
  };
}
