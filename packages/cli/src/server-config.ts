// `--config`: the desktop-client file of named servers ({ "mcpServers": { ... } })
// read, validated and expanded. The shape is checked with a JSON Schema through
// the SDK's own validator (its `validation/ajv` export: no dependency of ours);
// each problem becomes one line naming its JSON path. `${VAR}` is expanded from
// the environment after validation; values of `env` and `headers` never appear
// in a message.
import { readFileSync } from "node:fs";
import type { RemoteTransportKind } from "@mcp-proxy/stdio-client";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { RestartPolicy } from "./config.js";
import { UsageError } from "./usage-error.js";

/** One server of the file, after validation and `${VAR}` expansion. */
export interface ServerEntry {
  name: string;
  /** A stdio server: the command and what it runs with. */
  command?: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** A remote server, reached through stdio-client's transports. */
  url?: string;
  headers: Record<string, string>;
  transport: RemoteTransportKind;
  stateless: boolean;
  shared: boolean;
  /**
   * ms without use before this server's upstream stops (0: never): a per-session child or
   * remote connection ends with its session (the server's session timeout), a shared child
   * when no session uses it. undefined: the proxy's --sessionTimeout / the shared default.
   */
  idleTimeout?: number;
  /** ms; undefined: the proxy's --requestTimeout. */
  requestTimeout?: number;
  /** undefined: the proxy's --restart. */
  restart?: RestartPolicy;
  allowTools?: string[];
  denyTools?: string[];
}

export interface ServersFile {
  servers: ServerEntry[];
  /** Between a server's name and its tools' names in the aggregate. */
  separator?: string;
}

const stringMap = { type: "object", additionalProperties: { type: "string" } };
const globs = { type: "array", items: { type: "string", minLength: 1 } };

const SERVER_KEYS = {
  type: { type: "string", enum: ["stdio", "http", "streamable-http", "sse"] },
  command: { type: "string", minLength: 1 },
  args: { type: "array", items: { type: "string" } },
  env: stringMap,
  cwd: { type: "string", minLength: 1 },
  url: { type: "string", minLength: 1 },
  headers: stringMap,
  transport: { type: "string", enum: ["stream", "sse", "auto"] },
  disabled: { type: "boolean" },
  stateless: { type: "boolean" },
  shared: { type: "boolean" },
  requestTimeout: { type: "integer", minimum: 1 },
  idleTimeout: { type: "integer", minimum: 0 },
  restart: { type: "string", enum: ["never", "on-failure"] },
  allowTools: globs,
  denyTools: globs,
} as const;

const FILE_KEYS = {
  mcpServers: {
    type: "object",
    propertyNames: { pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$", maxLength: 100 },
    additionalProperties: {
      type: "object",
      properties: SERVER_KEYS,
      additionalProperties: false,
    },
  },
  separator: { type: "string", minLength: 1, maxLength: 8 },
} as const;

const SCHEMA = {
  type: "object",
  properties: FILE_KEYS,
  required: ["mcpServers"],
  additionalProperties: false,
} as const;

let validator: ((input: unknown) => { valid: boolean; errorMessage?: string }) | undefined;

/** Reads and checks `file`; throws a UsageError with one line per problem. */
export function loadServersFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): ServersFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `--config: cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${file}: not JSON (${(error as Error).message})`);
  }
  return parseServersFile(data, env, file);
}

/** Validates parsed JSON (see loadServersFile). */
export function parseServersFile(
  data: unknown,
  env: Readonly<Record<string, string | undefined>>,
  source = "the config file",
): ServersFile {
  validator ??= new AjvJsonSchemaValidator().getValidator(SCHEMA);
  const checked = validator(data);
  const problems: string[] = [];
  if (!checked.valid) problems.push(...describeErrors(checked.errorMessage ?? "invalid", data));
  const file = data as { mcpServers?: Record<string, Record<string, unknown>>; separator?: string };
  const servers: ServerEntry[] = [];
  if (checked.valid) {
    for (const [name, raw] of Object.entries(file.mcpServers ?? {})) {
      const path = `/mcpServers/${name}`;
      if ((raw.command === undefined) === (raw.url === undefined)) {
        problems.push(`${path}: give either "command" (a stdio server) or "url" (a remote one)`);
        continue;
      }
      const local = raw.command !== undefined;
      for (const key of local
        ? ["url", "headers", "transport"]
        : ["args", "env", "cwd", "stateless", "shared", "restart"]) {
        if (raw[key] !== undefined)
          problems.push(`${path}/${key}: not for a ${local ? "stdio" : "remote"} server`);
      }
      if (raw.stateless === true && raw.shared === true)
        problems.push(`${path}: "stateless" and "shared" exclude each other`);
      if (raw.stateless === true && raw.idleTimeout !== undefined)
        problems.push(
          `${path}/idleTimeout: not for a stateless server (one child serves it throughout)`,
        );
      if (raw.disabled === true) continue;
      try {
        servers.push(expandEntry(name, raw, env, path));
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  if (problems.length > 0) {
    throw new UsageError(`--config ${source}:\n  ${problems.join("\n  ")}`);
  }
  return { servers, ...(file.separator !== undefined ? { separator: file.separator } : {}) };
}

/** Turns Ajv's "data/a/b must …, data/c must …" into lines with JSON paths (and names the extra keys). */
function describeErrors(message: string, data: unknown): string[] {
  return message.split(/, (?=data[/ ])/).map((part) => {
    const match = /^data(\S*) (.*)$/.exec(part);
    const path = match?.[1] || "/";
    let reason = match?.[2] ?? part;
    if (reason === "must NOT have additional properties") {
      const extra = unknownKeys(data, path);
      if (extra.length > 0)
        reason = `unknown key${extra.length > 1 ? "s" : ""} ${extra.join(", ")}`;
    }
    return `${path}: ${reason}`;
  });
}

function unknownKeys(data: unknown, path: string): string[] {
  let node: unknown = data;
  const segments = path.split("/").filter((s) => s !== "");
  for (const segment of segments) node = (node as Record<string, unknown> | undefined)?.[segment];
  if (typeof node !== "object" || node === null) return [];
  const known: readonly string[] =
    segments.length === 0 ? Object.keys(FILE_KEYS) : Object.keys(SERVER_KEYS);
  return Object.keys(node)
    .filter((k) => !known.includes(k))
    .map((k) => JSON.stringify(k));
}

function expandEntry(
  name: string,
  raw: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  path: string,
): ServerEntry {
  const expand = (value: string, at: string) =>
    value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
      const found = env[variable];
      if (found === undefined) throw new Error(`${at}: \${${variable}} is not set`);
      return found;
    });
  const map = (value: unknown, at: string) =>
    Object.fromEntries(
      Object.entries((value ?? {}) as Record<string, string>).map(([k, v]) => [
        k,
        expand(v, `${at}/${k}`),
      ]),
    );
  const type = raw.type as string | undefined;
  return {
    name,
    ...(raw.command !== undefined
      ? { command: expand(raw.command as string, `${path}/command`) }
      : {}),
    args: ((raw.args ?? []) as string[]).map((a, i) => expand(a, `${path}/args/${i}`)),
    env: map(raw.env, `${path}/env`),
    ...(raw.cwd !== undefined ? { cwd: expand(raw.cwd as string, `${path}/cwd`) } : {}),
    ...(raw.url !== undefined ? { url: expand(raw.url as string, `${path}/url`) } : {}),
    headers: map(raw.headers, `${path}/headers`),
    transport:
      (raw.transport as RemoteTransportKind | undefined) ??
      (type === "sse" ? "sse" : type === "http" || type === "streamable-http" ? "stream" : "auto"),
    stateless: raw.stateless === true,
    shared: raw.shared === true,
    ...(raw.requestTimeout !== undefined ? { requestTimeout: raw.requestTimeout as number } : {}),
    ...(raw.idleTimeout !== undefined ? { idleTimeout: raw.idleTimeout as number } : {}),
    ...(raw.restart !== undefined ? { restart: raw.restart as RestartPolicy } : {}),
    ...(raw.allowTools !== undefined ? { allowTools: raw.allowTools as string[] } : {}),
    ...(raw.denyTools !== undefined ? { denyTools: raw.denyTools as string[] } : {}),
  };
}

/** A glob (`*` any run, `?` one character) as a whole-name RegExp. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`);
}

/** Whether a tool named `name` passes the allow and deny lists (deny wins). */
export function toolAllowed(
  name: string,
  filters: { allowTools?: readonly string[]; denyTools?: readonly string[] },
): boolean {
  if (filters.denyTools?.some((g) => globToRegExp(g).test(name))) return false;
  if (filters.allowTools && !filters.allowTools.some((g) => globToRegExp(g).test(name)))
    return false;
  return true;
}
