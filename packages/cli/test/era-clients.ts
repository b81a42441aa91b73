// The official MCP clients of both eras, behind one small interface, with a
// handler for each capability they declare. Every client answers with its own
// tag, so an answer that reaches the wrong client shows in the tool's result.

import {
  type DiscoverResult,
  type ClientCapabilities as ModernCapabilities,
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHTTPTransport,
} from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdioTransport } from "@modelcontextprotocol/client/stdio";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as V1HTTPTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { BIN } from "./helpers.js";

export const MODERN = "2026-07-28";

// Under the tests' 30 s, so a call the proxy never answers fails with the SDK's
// timeout naming the request rather than with vitest's.
const CALL_TIMEOUT_MS = 20_000;

export type Capability = "sampling" | "roots" | "elicitation";

/** The capability sets the cases run with: none, sampling alone, and every interactive one. */
export const PROFILES = {
  none: [],
  sampling: ["sampling"],
  full: ["sampling", "roots", "elicitation"],
} as const satisfies Record<string, readonly Capability[]>;
export type Profile = keyof typeof PROFILES;

/**
 * How a client reaches the proxy: the v2 client pinned to 2026-07-28, the v2
 * client in its 2025 mode (initialize with 2025-11-25), or the v1 SDK client.
 */
export type Era = "v2-2026" | "v2-2025" | "v1-2025";

export interface ToolResult {
  content: { type: string; text?: string }[];
  isError?: boolean;
}

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

/** What the tests need of either SDK's client. */
export interface EraClient {
  readonly era: Era;
  readonly tag: string;
  /** The server requests this client's handlers answered, in order (sampling/createMessage, …). */
  readonly asked: string[];
  call(
    name: string,
    args: Record<string, unknown>,
    onprogress?: (progress: Progress) => void,
  ): Promise<ToolResult>;
  toolNames(): Promise<string[]>;
  close(): Promise<void>;
}

/** The sampling answer of the client tagged `tag`. */
export const sampledText = (tag: string): string => `sampled by ${tag}`;

/** The root the client tagged `tag` lists. */
export const rootUri = (tag: string): string => `file:///roots/${tag}`;

const open = new Set<{ close(): Promise<void> }>();

/** afterEach: close every client this module made (before the proxies go). */
export async function closeClients(): Promise<void> {
  await Promise.allSettled([...open].map((client) => client.close()));
  open.clear();
}

function capabilitiesOf(profile: readonly Capability[]): Record<string, object> {
  return Object.fromEntries(profile.map((capability) => [capability, {}]));
}

/**
 * The handlers both SDKs' clients register, shaped as the 2025 schemas want
 * their answers; each notes in `asked` that it ran.
 */
function handlers(tag: string, asked: string[]) {
  return {
    sampling: async () => {
      asked.push("sampling/createMessage");
      return {
        model: "test-model",
        role: "assistant" as const,
        content: { type: "text" as const, text: sampledText(tag) },
      };
    },
    elicitation: async () => {
      asked.push("elicitation/create");
      return { action: "accept" as const, content: { name: tag } };
    },
    roots: async () => {
      asked.push("roots/list");
      return { roots: [{ uri: rootUri(tag), name: tag }] };
    },
  };
}

/** Every text item of a tool result, joined: what the tests look for an answer in. */
export function resultText(result: ToolResult): string {
  return result.content.map((item) => item.text ?? "").join("\n");
}

function modernClient(
  profile: readonly Capability[],
  tag: string,
  pinned: boolean,
  asked: string[],
): ModernClient {
  const answer = handlers(tag, asked);
  const client = new ModernClient(
    { name: `v2-${tag}`, version: "1.0.0" },
    {
      capabilities: capabilitiesOf(profile) as ModernCapabilities,
      ...(pinned ? { versionNegotiation: { mode: { pin: MODERN } } } : {}),
    },
  );
  // On 2026-07-28 these same handlers answer the inputRequests of an input_required result.
  if (profile.includes("sampling"))
    client.setRequestHandler("sampling/createMessage", answer.sampling);
  if (profile.includes("elicitation"))
    client.setRequestHandler("elicitation/create", answer.elicitation);
  if (profile.includes("roots")) client.setRequestHandler("roots/list", answer.roots);
  return client;
}

function wrapModern(client: ModernClient, era: Era, tag: string, asked: string[]): EraClient {
  return {
    era,
    tag,
    asked,
    call: async (name, args, onprogress) =>
      (await client.callTool(
        { name, arguments: args },
        { onprogress, timeout: CALL_TIMEOUT_MS },
      )) as ToolResult,
    toolNames: async () =>
      (await client.listTools(undefined, { cacheMode: "bypass" })).tools.map((tool) => tool.name),
    close: () => client.close(),
  };
}

export interface ModernConnectOptions {
  /**
   * A discover result the client already holds (e.g. cached from an earlier
   * run), so it sends nothing at connect and its first call is the first
   * message the proxy sees.
   */
  cachedDiscover?: DiscoverResult;
}

/** A v2 client over Streamable HTTP, pinned to 2026-07-28 (or in its 2025 mode for "v2-2025"). */
export async function connectV2(
  url: string,
  era: "v2-2026" | "v2-2025",
  profile: readonly Capability[],
  tag: string,
  options: ModernConnectOptions = {},
): Promise<EraClient> {
  const asked: string[] = [];
  const client = modernClient(profile, tag, era === "v2-2026", asked);
  open.add(client);
  await client.connect(
    new ModernHTTPTransport(new URL(url)),
    options.cachedDiscover ? { prior: { kind: "modern", discover: options.cachedDiscover } } : {},
  );
  if (era === "v2-2026" && client.getNegotiatedProtocolVersion() !== MODERN)
    throw new Error(`pinned client negotiated ${client.getNegotiatedProtocolVersion()}`);
  return wrapModern(client, era, tag, asked);
}

/**
 * A v2 client pinned to 2026-07-28 on the stdin/stdout of `mcp-proxy stdio <url>`.
 * The client owns the process (and a short-lived probe sibling it spawns at
 * connect); closing the client ends it.
 */
export async function connectV2Stdio(url: string, tag: string): Promise<EraClient> {
  const asked: string[] = [];
  const client = modernClient([], tag, true, asked);
  const transport = new ModernStdioTransport({
    command: process.execPath,
    args: [BIN, "stdio", url],
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  open.add(client);
  try {
    await client.connect(transport, { timeout: CALL_TIMEOUT_MS });
  } catch (error) {
    throw new Error(`${(error as Error).message}\nmcp-proxy stdio stderr:\n${stderr}`, {
      cause: error,
    });
  }
  return wrapModern(client, "v2-2026", tag, asked);
}

/** A v1 SDK (2025-era) client over Streamable HTTP with a stateful session. */
export async function connectV1(
  url: string,
  profile: readonly Capability[],
  tag: string,
): Promise<EraClient> {
  const client = new V1Client(
    { name: `v1-${tag}`, version: "1.0.0" },
    { capabilities: capabilitiesOf(profile) },
  );
  const asked: string[] = [];
  const answer = handlers(tag, asked);
  if (profile.includes("sampling"))
    client.setRequestHandler(CreateMessageRequestSchema, answer.sampling);
  if (profile.includes("elicitation"))
    client.setRequestHandler(ElicitRequestSchema, answer.elicitation);
  if (profile.includes("roots")) client.setRequestHandler(ListRootsRequestSchema, answer.roots);
  open.add(client);
  await client.connect(new V1HTTPTransport(new URL(url)));
  return {
    era: "v1-2025",
    tag,
    asked,
    call: async (name, args, onprogress) =>
      (await client.callTool({ name, arguments: args }, undefined, {
        onprogress,
        timeout: CALL_TIMEOUT_MS,
      })) as ToolResult,
    toolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
    close: () => client.close(),
  };
}

/** A client of `era` with `profile`'s capabilities, each answering with `tag`. */
export function connectEra(
  url: string,
  era: Era,
  profile: readonly Capability[],
  tag: string,
): Promise<EraClient> {
  return era === "v1-2025" ? connectV1(url, profile, tag) : connectV2(url, era, profile, tag);
}
