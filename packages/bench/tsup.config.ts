import { defineConfig } from "tsup";

// Entry points: the benchmark run, the CPU-profile run, the null server (the client
// ceiling) and the GC hook preloaded into proxies. Private: no declarations.
export default defineConfig({
  entry: ["src/main.ts", "src/profile.ts", "src/null-server.ts", "src/gc-on-signal.ts"],
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
  // test-utils is TypeScript source (never built): bundle what the cluster targets use
  // (startRedis, startHaproxy). Its fixtures are still resolved at run time.
  noExternal: ["@mcp-proxy/test-utils"],
});
