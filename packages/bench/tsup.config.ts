import { defineConfig } from "tsup";

// Two entry points: the benchmark run and the CPU-profile run. Private: no declarations.
export default defineConfig({
  entry: ["src/main.ts", "src/profile.ts"],
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
});
