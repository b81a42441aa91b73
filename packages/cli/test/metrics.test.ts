// --metrics: Prometheus text at /metrics behind the API key, counting requests,
// sessions and children of a real proxy in front of the echo fixture.
import { ECHO_SERVER } from "@mcp-proxy/test-utils";
import { afterEach, expect, it } from "vitest";
import { cleanup, connectClient, startProxy, textOf } from "./helpers.js";

afterEach(cleanup);

/** The value of one sample line, e.g. `mcp_proxy_children_started_total 1`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

it("serves request, session and child metrics at /metrics behind the API key", async () => {
  const proxy = await startProxy(
    ["--host", "127.0.0.1", "--metrics", "--", process.execPath, ECHO_SERVER],
    { env: { MCP_PROXY_API_KEY: "k" } },
  );
  expect(proxy.stderr()).toContain(`${proxy.url}/metrics`);
  const client = await connectClient(`${proxy.url}/mcp`, "stream", { "X-API-Key": "k" });
  expect(textOf(await client.callTool({ name: "echo", arguments: { text: "m" } }))).toBe("m");

  const refused = await fetch(`${proxy.url}/metrics`);
  expect(refused.status).toBe(401);
  await refused.text();
  const res = await fetch(`${proxy.url}/metrics`, { headers: { "X-API-Key": "k" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const text = await res.text();
  expect(sample(text, 'mcp_proxy_requests_total{method="tools/call",status="200"}')).toBe(1);
  expect(sample(text, 'mcp_proxy_sessions{transport="streamable-http",era="2025"}')).toBe(1);
  expect(sample(text, "mcp_proxy_children_started_total")).toBe(1);
  expect(sample(text, "mcp_proxy_children_alive")).toBe(1);
  expect(sample(text, 'mcp_proxy_refused_requests_total{reason="ERR_UNAUTHORIZED"}')).toBe(1);
  expect(sample(text, 'mcp_proxy_http_bytes_total{direction="in"}')).toBeGreaterThan(0);
  expect(text).toContain(
    'mcp_proxy_request_duration_seconds_bucket{le="+Inf",method="tools/call"} 1',
  );
  // Timed at the child: initialize and the call, each answered once.
  expect(sample(text, 'mcp_proxy_upstream_latency_seconds_count{method="tools/call"}')).toBe(1);
  expect(sample(text, 'mcp_proxy_upstream_latency_seconds_count{method="initialize"}')).toBe(1);
});
