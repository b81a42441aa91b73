// The metrics hook: one record per HTTP request as it ends (what was asked,
// status, duration, bytes, the refusal code), and the exposition at /metrics
// behind the server's auth.
import { waitFor } from "@mcp-proxy/test-utils";
import { describe, expect, it } from "vitest";
import type { RequestRecord } from "../src/index.js";
import { connectStreamable, startEcho, textOf } from "./helpers.js";
import { modernRequest, postModern } from "./modern-helpers.js";

describe("metrics", () => {
  it("records each request and serves the exposition behind the API key", async () => {
    const records: RequestRecord[] = [];
    const answered: string[] = [];
    const { url } = await startEcho({
      apiKey: "k",
      metrics: {
        onRequest: (record) => void records.push(record),
        onUpstreamAnswer: (method, seconds) => {
          if (seconds >= 0) answered.push(method);
        },
        scrape: async () => ({ contentType: "text/plain; version=0.0.4", body: "calls 1\n" }),
      },
    });
    const client = await connectStreamable(`${url}/mcp`, { headers: { "X-API-Key": "k" } });
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    await waitFor(() => records.some((r) => r.method === "tools/call"), 5000);
    const call = records.find((r) => r.method === "tools/call") as RequestRecord;
    expect(call.status).toBe(200);
    expect(call.bytesIn).toBeGreaterThan(0);
    expect(call.bytesOut).toBeGreaterThan(0);
    expect(call.seconds).toBeGreaterThanOrEqual(0);
    expect(records.find((r) => r.method === "initialize")?.status).toBe(200);
    expect(answered).toEqual(["initialize", "tools/call"]);

    // A 2026-07-28 request whose headers do not match its body is refused, and counted so.
    const mismatched = await postModern(url, modernRequest("tools/list"), {
      "X-API-Key": "k",
      "Mcp-Method": "prompts/list",
    });
    expect(mismatched.status).toBe(400);
    await mismatched.text();
    await waitFor(() => records.some((r) => r.refused === "ERR_HEADER_MISMATCH"), 5000);

    // A wrong method is a refusal like any other: 405 from core's error table, counted by its code.
    const wrongMethod = await fetch(`${url}/mcp`, { method: "PUT", headers: { "X-API-Key": "k" } });
    expect(wrongMethod.status).toBe(405);
    await wrongMethod.text();
    await waitFor(() => records.some((r) => r.refused === "ERR_METHOD_NOT_ALLOWED"), 5000);

    const refused = await fetch(`${url}/metrics`);
    expect(refused.status).toBe(401);
    await refused.text();
    await waitFor(() => records.some((r) => r.refused === "ERR_UNAUTHORIZED"), 5000);
    const scraped = await fetch(`${url}/metrics`, { headers: { "X-API-Key": "k" } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get("content-type")).toContain("text/plain");
    expect(await scraped.text()).toBe("calls 1\n");
  });
});
