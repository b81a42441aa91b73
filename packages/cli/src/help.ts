// --help and --version, rendered by cac from the same flag table the parser
// uses, with the options regrouped by concern and defaults shown.
import { readFileSync } from "node:fs";
import { type CAC, cac } from "cac";
import type { Mode } from "./argv.js";
import { FLAGS_BY_MODE } from "./config.js";
import { envVarName, type FlagSpec, kebabCase } from "./flags.js";

/** The package version, read from package.json beside dist/ (or src/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

const USAGE: Record<Mode, string> = {
  serve: "[options] -- <command> [args...]",
  stdio: "stdio [options] <url>",
  tap: "tap [options] -- <command> [args...]",
  auth: "auth status|logout [options] [url]",
};

const DESCRIPTION: Record<Mode, string> = {
  serve: "Serve a stdio MCP server over Streamable HTTP (/mcp) and HTTP+SSE (/sse)",
  stdio: "Speak MCP on stdin/stdout and forward to a remote HTTP server",
  tap: "Run a stdio MCP server and log every message it exchanges",
  auth: "Show or remove the OAuth credentials stdio mode stored for a server",
};

const EXAMPLES: Record<Mode, string[]> = {
  serve: [
    "mcp-proxy --port 8080 -- npx -y @modelcontextprotocol/server-everything",
    'mcp-proxy --apiKey "$KEY" --host 0.0.0.0 --stateless -- python server.py --verbose',
    "mcp-proxy --host 0.0.0.0 --oauthIssuer https://auth.example.com --oauthAudience https://mcp.example.com/mcp --oauthScope mcp -- node server.js",
    "MCP_PROXY_PORT=9000 mcp-proxy --server stream --endpoint /rpc uvx some-server",
  ],
  stdio: [
    "mcp-proxy stdio https://example.com/mcp",
    "mcp-proxy stdio --oauthClientId my-app --oauthCallbackPort 33418 https://example.com/mcp",
    "mcp-proxy stdio --transport sse --header 'Authorization: Bearer abc' https://example.com/sse",
  ],
  tap: [
    "mcp-proxy tap -- npx -y some-mcp-server",
    "mcp-proxy tap --log-file traffic.jsonl -- node server.js",
  ],
  auth: ["mcp-proxy auth status", "mcp-proxy auth logout https://example.com/mcp"],
};

const NOTES: Record<Mode, string> = {
  serve: [
    "Option parsing stops at `--` or at the first argument that is not an option: everything after",
    "belongs to the command, untouched. Every flag is also read from MCP_PROXY_<NAME> (e.g.",
    "MCP_PROXY_API_KEY, MCP_PROXY_SSE_ENDPOINT); flags win. kebab-case works too (--sse-endpoint).",
    "No MCP_PROXY_* variable is passed on to the child (only what --env sets explicitly).",
    "The reference CLI's --tunnel is not supported: run a tunnel (cloudflared, ngrok) in front.",
  ].join("\n  "),
  stdio: [
    "Every flag is also read from MCP_PROXY_<NAME> (e.g. MCP_PROXY_BEARER). Nothing but MCP goes to stdout.",
    "A server that answers 401 gets an OAuth login: $BROWSER (else the system's opener) opens the",
    "authorization URL, which is also printed on stderr. `mcp-proxy auth logout <url>` forgets it.",
  ].join("\n  "),
  tap: "stdin and stdout carry only the protocol; the log goes to stderr or --log-file.",
  auth: [
    "status without a URL lists every server with stored credentials; tokens are never shown.",
    "logout removes the server's directory (tokens, client registration) on this machine only.",
  ].join("\n  "),
};

/** The flags help and the README show: all but help/version (listed apart) and refused ones. */
function shownFlags(mode: Mode): FlagSpec[] {
  return FLAGS_BY_MODE[mode].filter(
    (s) => s.name !== "help" && s.name !== "version" && s.refused === undefined,
  );
}

function optionLabel(spec: FlagSpec): string {
  const value = spec.valueName ? ` <${spec.valueName}>` : "";
  const short = spec.short ? `-${spec.short}, ` : "";
  const negation = spec.negatable ? ` / --no-${spec.name}` : "";
  return `${short}--${spec.name}${value}${negation}`;
}

function groupedOptions(specs: readonly FlagSpec[]): { title: string; body: string }[] {
  const width = Math.max(...specs.map((s) => optionLabel(s).length));
  const groups = new Map<string, FlagSpec[]>();
  for (const spec of specs) groups.set(spec.group, [...(groups.get(spec.group) ?? []), spec]);
  return [...groups].map(([title, list]) => ({
    title,
    body: list
      .map((s) => {
        const def = s.defaultLabel === undefined ? "" : ` (default: ${s.defaultLabel})`;
        const choices = s.choices ? ` [${s.choices.join("|")}]` : "";
        return `  ${optionLabel(s).padEnd(width)}  ${s.description}${choices}${def}`;
      })
      .join("\n"),
  }));
}

/** The cac command of each mode. */
const COMMAND: Record<Mode, string> = {
  serve: "[...command]",
  stdio: "stdio <url>",
  tap: "tap [...command]",
  auth: "auth <action> [url]",
};

/** A cac program describing one mode, for help and version output. */
export function createProgram(mode: Mode, version: string): CAC {
  const program = cac("mcp-proxy");
  const command = program.command(COMMAND[mode], DESCRIPTION[mode]).usage(USAGE[mode]);
  for (const spec of shownFlags(mode)) {
    const value = spec.valueName ? ` <${spec.valueName}>` : "";
    command.option(`--${kebabCase(spec.name)}${value}`, spec.description);
  }
  for (const example of EXAMPLES[mode]) command.example(`  $ ${example}`);
  program.version(version);
  program.help((sections) => {
    const out = sections.filter(
      (s) =>
        s.title !== "Options" && s.title !== "Commands" && !s.title?.startsWith("For more info"),
    );
    const examples = out.findIndex((s) => s.title === "Examples");
    const at = examples === -1 ? out.length : examples;
    out.splice(at, 0, ...groupedOptions(FLAGS_BY_MODE[mode].filter((s) => !s.refused)), {
      title: "Notes",
      body: `  ${NOTES[mode]}`,
    });
    if (mode === "serve") {
      out.splice(2, 0, {
        title: "Commands",
        body: [
          `  mcp-proxy ${USAGE.serve.padEnd(38)}${DESCRIPTION.serve}`,
          `  mcp-proxy ${USAGE.stdio.padEnd(38)}${DESCRIPTION.stdio}`,
          `  mcp-proxy ${USAGE.tap.padEnd(38)}${DESCRIPTION.tap}`,
          `  mcp-proxy ${USAGE.auth.padEnd(38)}${DESCRIPTION.auth}`,
        ].join("\n"),
      });
    }
    return out;
  });
  return program;
}

/** Prints the help of a mode on stdout. */
export function printHelp(mode: Mode, version: string): void {
  const program = createProgram(mode, version);
  program.commands[0]!.outputHelp();
}

/** Prints `mcp-proxy/<version> <platform> <node>` on stdout. */
export function printVersion(version: string): void {
  createProgram("serve", version).outputVersion();
}

/** Markdown table of a mode's flags with their env vars, for the README. */
export function flagTableMarkdown(mode: Mode): string {
  const rows = shownFlags(mode).map((s) => {
    const choices = s.choices ? ` (${s.choices.join(", ")})` : "";
    return `| \`${optionLabel(s).replace(/\|/g, "\\|")}\` | \`${envVarName(s.name)}\` | ${s.defaultLabel ?? ""} | ${s.description}${choices} |`;
  });
  return ["| flag | env var | default | what |", "|---|---|---|---|", ...rows].join("\n");
}
