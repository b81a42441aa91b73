// The lean stdio client: newline-delimited JSON-RPC on a child's stdin/stdout.
import { spawn } from "node:child_process";
import { stopProcess } from "../proc.js";
import { PendingRequests } from "./pending.js";
import { recordSplitter } from "./records.js";
import { type BenchSession, INITIALIZE_PARAMS, textLength } from "./types.js";

export async function openLeanStdio(command: string, args: string[]): Promise<BenchSession> {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "ignore"] });
  const pending = new PendingRequests();
  child.stdout.setEncoding("utf8");
  child.stdout.on(
    "data",
    recordSplitter("\n", (line) => {
      if (line.startsWith("{")) pending.settle(JSON.parse(line) as { id?: unknown });
    }),
  );
  child.on("exit", () => pending.failAll(new Error("stdio child exited")));
  child.stdin.on("error", () => {});

  const ask = (method: string, params: unknown) => {
    const { id, response } = pending.next();
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    return response;
  };
  await ask("initialize", INITIALIZE_PARAMS);
  child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');

  let closing: Promise<void> | undefined;
  return {
    async call(name, args) {
      return textLength(await ask("tools/call", { name, arguments: args }));
    },
    close() {
      closing ??= (async () => {
        child.stdin.end();
        await stopProcess(child, 2000);
      })();
      return closing;
    },
  };
}
