import { defineConfig } from "tsup";

// Entry points: the benchmark run, the CPU-profile run and the null server (the client
// ceiling, run as its own process). Private: no declarations.
export default defineConfig({
  entry: ["src/main.ts", "src/profile.ts", "src/null-server.ts"],
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
});
