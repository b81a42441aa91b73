// Release check as users meet it: pack every publishable package (pnpm rewrites
// workspace: ranges), install all tarballs globally into a temporary prefix in
// one npm command (so @mcp-proxy/* resolve to these tarballs, not the
// registry), then run the installed `mcp-proxy` for real.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@mcp-proxy/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, expect, it } from "vitest";
import { textOf } from "./helpers.js";

const packagesDir = fileURLToPath(new URL("../../", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "mcp-proxy-global-"));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 240_000,
  });

it("installs globally from packed tarballs and proxies for real", {
  timeout: 300_000,
}, async () => {
  const publishable = readdirSync(packagesDir).filter((dir) => {
    const file = join(packagesDir, dir, "package.json");
    return (
      existsSync(file) && !(JSON.parse(readFileSync(file, "utf8")) as { private?: boolean }).private
    );
  });
  expect(publishable).toContain("cli");
  const tarballs = publishable.map((dir) => {
    const out = run("pnpm", ["pack", "--pack-destination", scratch], join(packagesDir, dir));
    return resolve(join(packagesDir, dir), out.trim().split("\n").pop()!.trim());
  });
  const prefix = join(scratch, "prefix");
  run(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...tarballs,
    ],
    scratch,
  );

  const binDir = process.platform === "win32" ? prefix : join(prefix, "bin");
  const modules =
    process.platform === "win32"
      ? join(prefix, "node_modules")
      : join(prefix, "lib", "node_modules");
  const mcpProxy = join(binDir, "mcp-proxy");
  // No registry copy of our own packages nested under the CLI: the tarballs serve them.
  expect(existsSync(join(modules, "@mcp-proxy", "cli", "node_modules", "@mcp-proxy"))).toBe(false);

  // Each library imports by its public name from outside the workspace, through
  // its exports map, with only the dependencies its tarball declares.
  const probe = join(modules, "..", "probe.mjs");
  const names = publishable.map((dir) => `@mcp-proxy/${dir}`);
  writeFileSync(
    probe,
    `for (const name of ${JSON.stringify(names)}) {
  const m = await import(name);
  if (Object.keys(m).length === 0) throw new Error(name + " exports nothing");
}
console.log("imported " + ${JSON.stringify(names.join(" "))});
`,
  );
  expect(run(process.execPath, [probe], scratch)).toContain(`imported ${names.join(" ")}`);

  const version = JSON.parse(readFileSync(join(packagesDir, "cli", "package.json"), "utf8"))
    .version as string;
  expect(run(mcpProxy, ["--version"], scratch)).toContain(`mcp-proxy/${version}`);

  const example = join(modules, "@mcp-proxy", "cli", "dist", "example-server.js");
  const proxy = spawn(mcpProxy, ["--port", "0", "--", process.execPath, example], {
    cwd: scratch,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proxy.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((r) => proxy.once("exit", (code) => r(code)));
  const client = new Client({ name: "global-install", version: "1.0.0" });
  try {
    await waitFor(() => /Streamable HTTP: (\S+)/.test(stderr) || proxy.exitCode !== null, 15_000);
    const url = /Streamable HTTP: (\S+)/.exec(stderr)?.[1];
    expect(url, stderr).toBeDefined();
    await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "installed" } }))).toBe(
      "installed",
    );
  } finally {
    await client.close().catch(() => undefined);
    proxy.kill("SIGTERM");
    const timer = setTimeout(() => proxy.kill("SIGKILL"), 8000);
    expect(await exited).toBe(0);
    clearTimeout(timer);
  }
});
