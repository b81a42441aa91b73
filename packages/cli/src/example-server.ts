#!/usr/bin/env node
// A small real MCP server over stdio, bundled so that `pnpm start` (and anyone
// trying the CLI) has something to proxy: three tools, a resource and a prompt.
// It uses the SDK's low-level Server with plain JSON Schemas, so it needs no
// dependency beyond the SDK.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ErrorCode as McpErrorCode,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

const README_URI = "example://readme";
const README = [
  "This is the example server bundled with @mcp-proxy/cli.",
  "It speaks stdio; mcp-proxy puts it on HTTP at /mcp (Streamable HTTP) and /sse.",
].join("\n");

const server = new Server(
  { name: "mcp-proxy-example", version: "1.0.0" },
  {
    capabilities: { tools: {}, resources: {}, prompts: {} },
    instructions: "An example server: try the echo, add and time tools.",
  },
);

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: "echo",
      description: "Returns the text it is given",
      inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    },
    {
      name: "add",
      description: "Adds two numbers",
      inputSchema: {
        type: "object",
        properties: { a: { type: "number" }, b: { type: "number" } },
        required: ["a", "b"],
      },
    },
    {
      name: "time",
      description: "Returns the server's current time (ISO 8601, UTC)",
      inputSchema: { type: "object", properties: {} },
    },
  ],
}));

const text = (value: string): CallToolResult => ({ content: [{ type: "text", text: value }] });

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const args = (request.params.arguments ?? {}) as Record<string, unknown>;
  switch (request.params.name) {
    case "echo":
      if (typeof args.text !== "string")
        throw new McpError(McpErrorCode.InvalidParams, "text must be a string");
      return text(args.text);
    case "add":
      if (typeof args.a !== "number" || typeof args.b !== "number") {
        throw new McpError(McpErrorCode.InvalidParams, "a and b must be numbers");
      }
      return text(String(args.a + args.b));
    case "time":
      return text(new Date().toISOString());
    default:
      throw new McpError(McpErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  }
});

server.setRequestHandler(ListResourcesRequestSchema, async () => ({
  resources: [
    { uri: README_URI, name: "readme", mimeType: "text/plain", description: "About this server" },
  ],
}));

server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
  if (request.params.uri !== README_URI) {
    throw new McpError(McpErrorCode.InvalidParams, `Unknown resource: ${request.params.uri}`);
  }
  return { contents: [{ uri: README_URI, mimeType: "text/plain", text: README }] };
});

server.setRequestHandler(ListPromptsRequestSchema, async () => ({
  prompts: [
    {
      name: "greet",
      description: "A greeting for someone",
      arguments: [{ name: "name", description: "Who to greet", required: true }],
    },
  ],
}));

server.setRequestHandler(GetPromptRequestSchema, async (request) => {
  if (request.params.name !== "greet") {
    throw new McpError(McpErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
  }
  const name = request.params.arguments?.name ?? "there";
  return {
    description: "A greeting",
    messages: [{ role: "user", content: { type: "text", text: `Please greet ${name} warmly.` } }],
  };
});

await server.connect(new StdioServerTransport());
