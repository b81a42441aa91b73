// README snippets, type-checked with the package (see STYLE.md "Examples that compile").
import { parseCommandLine } from "./index.js";

//#region parseCommandLine
// import { parseCommandLine } from "@mcp-proxy/cli";

export function describeInvocation(argv: string[]): string {
  // Exactly what `mcp-proxy` would do with this command line and environment.
  const invocation = parseCommandLine(argv, process.env);
  if (invocation.kind !== "serve") return invocation.kind;
  const { child, configFile, port, host, streamEndpoint } = invocation.config;
  const what = child ? `${child.command} ${child.args.join(" ")}` : `the servers of ${configFile}`;
  return `${what} on http://${host}:${port}${streamEndpoint ?? ""}`;
}
// describeInvocation(["--port", "9000", "--", "npx", "-y", "server", "--verbose"])
// -> "npx -y server --verbose on http://127.0.0.1:9000/mcp"
//#endregion parseCommandLine
