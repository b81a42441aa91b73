// The per-request pieces of the POST path, on real sockets: reading a body
// (whole in one packet, in pieces, over the limit, cut short), Accept
// negotiation, and the JSON/SSE writers given the JSON text of a message.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ErrorCodes, McpProxyError, silentLogger } from "@mcp-proxy/core";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { readBody } from "../src/body.js";
import { EventStream } from "../src/event-stream.js";
import { Exchange } from "../src/exchange.js";
import {
  ACCEPT_CACHE_MAX_LENGTH,
  ACCEPT_CACHE_SIZE,
  acceptOf,
  parseAccept,
} from "../src/request-info.js";
import { SMALL_BODY_CHARS, sendJson } from "../src/responses.js";
import { SseWriter, sseData } from "../src/sse-writer.js";
import { onCleanup, startEcho } from "./helpers.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A bare node:http server on 127.0.0.1:0 running `handler`; closed after the test. */
async function serve(handler: Handler): Promise<number> {
  const server = http.createServer((req, res) => {
    req.on("error", () => undefined);
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

interface BodyOutcome {
  body?: Buffer;
  error?: unknown;
  /** Listeners readBody left on the request once settled. */
  listeners: number;
  /** "data" listeners readBody added while reading (0 when it took the buffered body whole). */
  subscribed: number;
}

/** A server whose handler reads the body at once and records what happened. */
async function bodyServer(limit: number, outcomes: BodyOutcome[]): Promise<number> {
  return serve(async (req, res) => {
    // Like the real pipeline, which reads after awaiting routing and auth.
    await Promise.resolve();
    const before = count(req);
    let subscribed = 0;
    const on = req.on.bind(req);
    req.on = ((event: string, listener: (...args: unknown[]) => void) => {
      if (event === "data") subscribed++;
      return on(event, listener);
    }) as typeof req.on;
    readBody(req, limit).then(
      (body) => {
        outcomes.push({ body, listeners: count(req) - before, subscribed });
        res.writeHead(200).end(String(body.length));
      },
      (error: unknown) => {
        outcomes.push({ error, listeners: count(req) - before, subscribed });
        if (!res.destroyed) res.writeHead(400, { Connection: "close" }).end();
      },
    );
  });
}

const count = (req: IncomingMessage) =>
  req.listenerCount("data") + req.listenerCount("end") + req.listenerCount("close");

/** Sends a request whose body is written in `parts`, each after the server has had a turn. */
function post(
  port: number,
  parts: Array<string | Buffer>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: "POST", path: "/", headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    const rest = [...parts];
    const next = () => {
      const part = rest.shift();
      if (part === undefined) {
        req.end();
        return;
      }
      req.write(part);
      // Separate packets: the server reads the first ones before the last arrives.
      setTimeout(next, 15);
    };
    req.flushHeaders();
    setTimeout(next, 15);
  });
}

describe("readBody", () => {
  it("takes a body that came with its headers whole, leaving no listeners", async () => {
    const outcomes: BodyOutcome[] = [];
    const port = await bodyServer(1000, outcomes);
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/",
          headers: { "Content-Length": String(Buffer.byteLength(body)) },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(res).toBe(200);
    expect(outcomes[0]?.body?.toString()).toBe(body);
    expect(outcomes[0]?.listeners).toBe(0);
    expect(outcomes[0]?.subscribed).toBe(0);
  });

  it("joins a body sent in pieces, multi-byte characters split across them", async () => {
    const outcomes: BodyOutcome[] = [];
    const port = await bodyServer(1000, outcomes);
    const text = '{"text":"héllo wörld ✓"}';
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from("✓")) + 1; // inside the three bytes of ✓
    const res = await post(port, [
      bytes.subarray(0, 5),
      bytes.subarray(5, cut),
      bytes.subarray(cut),
    ]);
    expect(res.status).toBe(200);
    expect(outcomes[0]?.body?.toString("utf8")).toBe(text);
    expect(outcomes[0]?.listeners).toBe(0);
  });

  it("reads an empty body as an empty buffer", async () => {
    const outcomes: BodyOutcome[] = [];
    const port = await bodyServer(1000, outcomes);
    expect((await post(port, [], { "Content-Length": "0" })).text).toBe("0");
    expect((await post(port, [])).text).toBe("0");
  });

  it("rejects with 413 a body over the limit: declared, buffered whole, or streamed", async () => {
    const outcomes: BodyOutcome[] = [];
    const port = await bodyServer(100, outcomes);
    const big = "x".repeat(150);
    await post(port, [big], { "Content-Length": "150" });
    // Chunked, no length: the whole body may already be buffered when the handler reads.
    await post(port, [big]);
    // Chunked in pieces: the limit trips mid-stream.
    await post(port, ["y".repeat(60), "y".repeat(60), "y".repeat(60)]);
    expect(outcomes).toHaveLength(3);
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(McpProxyError);
      expect((outcome.error as McpProxyError).code).toBe(ErrorCodes.BODY_TOO_LARGE);
      expect(outcome.listeners).toBe(0);
    }
  });

  it("rejects a body cut short by a client reset and removes its listeners", async () => {
    const outcomes: BodyOutcome[] = [];
    const port = await bodyServer(1000, outcomes);
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/",
        headers: { "Content-Length": "500" },
      });
      req.on("error", () => resolve());
      req.on("close", () => resolve());
      req.write('{"jsonrpc":"2.0"');
      setTimeout(() => req.destroy(), 30);
    });
    for (let i = 0; i < 100 && outcomes.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.error).toMatchObject({ code: ErrorCodes.BAD_REQUEST });
    expect(outcomes[0]?.listeners).toBe(0);
  });
});

describe("acceptOf", () => {
  const req = (accept?: string) =>
    ({ headers: accept === undefined ? {} : { accept } }) as unknown as IncomingMessage;

  it("answers the same for a repeated value as for its first parse", () => {
    const values = [
      "application/json, text/event-stream",
      "text/event-stream",
      "Application/JSON;q=0.9",
      "*/*",
      "text/*, application/*",
      "image/png",
      "",
    ];
    for (const value of values) {
      const expected = value === "" ? { json: true, sse: true } : parseAccept(value);
      for (let i = 0; i < 3; i++) expect({ ...acceptOf(req(value)) }).toEqual(expected);
    }
    expect(acceptOf(req())).toEqual({ json: true, sse: true });
    expect(parseAccept("application/json, text/event-stream")).toEqual({ json: true, sse: true });
    expect(parseAccept("text/html")).toEqual({ json: false, sse: false });
  });

  it("stays right past the cache's size and for values too long to keep", () => {
    for (let i = 0; i < ACCEPT_CACHE_SIZE * 3; i++) {
      const sse = i % 2 === 0;
      const value = sse ? `text/event-stream;v=${i}` : `application/json;v=${i}`;
      expect(acceptOf(req(value))).toEqual({ json: !sse, sse });
    }
    const long = `application/json, ${"x-custom/type, ".repeat(ACCEPT_CACHE_MAX_LENGTH / 10)}`;
    expect(acceptOf(req(long))).toEqual({ json: true, sse: false });
    expect(acceptOf(req(long))).toEqual({ json: true, sse: false });
  });

  it("hands out results no caller can change", () => {
    const info = acceptOf(req("text/event-stream"));
    expect(Object.isFrozen(info)).toBe(true);
  });
});

/** Runs `write` on a real response and returns what the client received. */
async function capture(
  write: (res: ServerResponse) => void,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const port = await serve((_req, res) => write(res));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const result = (id: number, text: string): JSONRPCMessage =>
  ({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text }] } }) as JSONRPCMessage;

describe("sendJson", () => {
  it("sends small and large bodies with their byte length, multi-byte text included", async () => {
    for (const size of [10, SMALL_BODY_CHARS + 1000]) {
      const message = result(1, "é✓".repeat(size));
      const got = await capture((res) => sendJson(res, 200, message, { "Mcp-Session-Id": "s" }));
      expect(got.status).toBe(200);
      expect(got.headers["content-type"]).toBe("application/json");
      expect(got.headers["mcp-session-id"]).toBe("s");
      expect(Number(got.headers["content-length"])).toBe(got.body.length);
      expect(JSON.parse(got.body.toString("utf8"))).toEqual(message);
    }
  });

  it("sends a given JSON text as it is, in both size classes", async () => {
    for (const pad of [1, SMALL_BODY_CHARS]) {
      const text = `{ "jsonrpc": "2.0", "id": 7, "result": { "n": "${"ü".repeat(pad)}" } }`;
      const got = await capture((res) => sendJson(res, 200, JSON.parse(text), undefined, text));
      expect(got.body.toString("utf8")).toBe(text);
      expect(Number(got.headers["content-length"])).toBe(Buffer.byteLength(text));
    }
  });
});

describe("SSE writer with a known JSON text", () => {
  it("frames the text as it is, and re-serialises one that spans lines", async () => {
    const message = result(3, "ok");
    const spaced =
      '{ "jsonrpc": "2.0", "id": 3, "result": {"content": [{"type": "text", "text": "ok"}]} }';
    expect(sseData(message, spaced)).toBe(spaced);
    expect(sseData(message, spaced.replace(", ", ",\r\n"))).toBe(JSON.stringify(message));
    expect(sseData(message, spaced.replace(", ", ",\n"))).toBe(JSON.stringify(message));
    expect(sseData(message, undefined)).toBe(JSON.stringify(message));
    const got = await capture((res) => {
      const writer = new SseWriter(res, {}, 0);
      writer.writeMessage(message, "e1", spaced);
      writer.writeMessage(message, undefined, spaced.replace(", ", ",\n"));
      writer.end();
    });
    expect(got.headers["content-type"]).toBe("text/event-stream");
    expect(got.body.toString()).toBe(
      `id: e1\nevent: message\ndata: ${spaced}\n\nevent: message\ndata: ${JSON.stringify(message)}\n\n`,
    );
  });
});

describe("Exchange with known JSON texts", () => {
  const exchange = (res: ServerResponse, ids: number[], batch: boolean, sse = false) =>
    new Exchange({
      res,
      ids,
      batch,
      sseAllowed: sse,
      jsonAllowed: !sse,
      headers: {},
      heartbeatMs: 0,
      openStream: () => new EventStream("s1", undefined, silentLogger),
      onDone: () => undefined,
    });

  it("answers one request with its text, and a batch with the texts joined", async () => {
    const one = await capture((res) =>
      exchange(res, [1], false).deliver(result(1, "a"), ' {"x": 1} '),
    );
    expect(one.body.toString()).toBe(' {"x": 1} ');
    const batch = await capture((res) => {
      const ex = exchange(res, [1, 2, 3], true);
      ex.deliver(result(2, "b"), '{"id":2}');
      ex.deliver(result(1, "a"));
      ex.deliver(result(3, "c"), '{"id":3}');
    });
    expect(JSON.parse(batch.body.toString())).toEqual([{ id: 2 }, result(1, "a"), { id: 3 }]);
    const plain = await capture((res) => {
      const ex = exchange(res, [1, 2], true);
      ex.deliver(result(1, "a"));
      ex.deliver(result(2, "b"));
    });
    expect(JSON.parse(plain.body.toString())).toEqual([result(1, "a"), result(2, "b")]);
  });

  it("streams with the text when the client only accepts SSE", async () => {
    const got = await capture((res) =>
      exchange(res, [1], false, true).deliver(result(1, "a"), '{"id":1}'),
    );
    expect(got.body.toString()).toBe('event: message\ndata: {"id":1}\n\n');
  });
});

describe("large results end to end", () => {
  it("returns a result past the small-body size intact, as JSON and over SSE", async () => {
    const { url } = await startEcho();
    for (const accept of ["application/json, text/event-stream", "text/event-stream"]) {
      const headers = {
        "Content-Type": "application/json",
        Accept: accept,
      };
      const init = await fetch(`${url}/mcp`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 0,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "t", version: "1" },
          },
        }),
      });
      const session = init.headers.get("mcp-session-id") ?? "";
      await init.text();
      const call = await fetch(`${url}/mcp`, {
        method: "POST",
        headers: { ...headers, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "big", arguments: { size: SMALL_BODY_CHARS * 4 } },
        }),
      });
      const text = await call.text();
      const json = call.headers.get("content-type")?.startsWith("application/json")
        ? text
        : (/^data: (.*)$/m.exec(text)?.[1] ?? "");
      const message = JSON.parse(json) as {
        id: number;
        result: { content: Array<{ text: string }> };
      };
      expect(message.id).toBe(1);
      expect(message.result.content[0]?.text).toHaveLength(SMALL_BODY_CHARS * 4);
    }
  });
});
