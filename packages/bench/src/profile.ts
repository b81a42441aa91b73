// `pnpm --filter @mcp-proxy/bench profile [--seconds 5] [--sessions 1,16] [--client lean|sdk]
// [--stateless] [--size bytes]`: runs the built CLI under `node --cpu-prof`, drives a closed-loop echo load
// with N sessions, stops the proxy with SIGINT (which writes the profile) and prints the
// functions and modules with the most self time.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { keepAliveAgent } from "./clients/http-request.js";
import { openLeanStreamable } from "./clients/lean-streamable.js";
import { openSdkStreamable } from "./clients/sdk.js";
import type { BenchSession } from "./clients/types.js";
import { summariseProfile } from "./cpuprofile-summary.js";
import { CLI_BIN, ECHO_SERVER, REPO_ROOT } from "./paths.js";
import { spawnServer, waitForStderr } from "./proc.js";
import { table } from "./report.js";
import { measureThroughput } from "./scenarios/throughput.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    sessions: { type: "string", default: "1,16" },
    client: { type: "string", default: "lean" },
    stateless: { type: "boolean", default: false },
    top: { type: "string", default: "25" },
    /** Call `big{size}` with this many bytes instead of `echo`. */
    size: { type: "string" },
  },
});

for (const level of values.sessions.split(",").map(Number)) {
  const dir = mkdtempSync(join(tmpdir(), "mcp-proxy-prof-"));
  const server = spawnServer({
    command: process.execPath,
    args: [
      "--cpu-prof",
      "--cpu-prof-dir",
      dir,
      CLI_BIN,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      ...(values.stateless ? ["--stateless"] : []),
      "--",
      process.execPath,
      ECHO_SERVER,
    ],
  });
  const url = new URL(await waitForStderr(server, /Streamable HTTP:\s+(\S+)/));
  const agent = keepAliveAgent();
  const sessions: BenchSession[] = [];
  for (let i = 0; i < level; i++) {
    sessions.push(
      values.client === "sdk" ? await openSdkStreamable(url) : await openLeanStreamable(url, agent),
    );
  }
  const size = values.size === undefined ? undefined : Number(values.size);
  const call = (s: BenchSession) =>
    size === undefined ? s.call("echo", { text: "load" }) : s.call("big", { size });
  await measureThroughput(sessions, 500, call); // warm-up, not in the figure
  const callsPerSec = await measureThroughput(sessions, Number(values.seconds) * 1000, call);
  await Promise.all(sessions.map((s) => s.close()));
  agent.destroy();
  await server.stop();
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const summary = summariseProfile(join(dir, file), REPO_ROOT, Number(values.top));
  const mode = values.stateless ? "stateless" : "stateful";
  process.stdout.write(
    `\n${mode}, ${level} session(s), ${values.client} client, ${size === undefined ? "echo" : `big ${size} B`}: ${callsPerSec} calls/s; ` +
      `profile ${join(dir, file)} (${summary.totalMs} ms, idle ${summary.idleMs} ms)\n\n`,
  );
  process.stdout.write(
    `${table(
      ["function", "where", "self ms", "%busy"],
      summary.functions.map((f) => [f.name, f.where, f.selfMs, f.percent]),
    )}\n\n`,
  );
  process.stdout.write(
    `${table(
      ["group", "", "self ms", "%busy"],
      summary.groups.map((g) => [g.group, "", g.selfMs, g.percent]),
    )}\n`,
  );
}
