import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // These tests spawn the built binary and real children; a loaded CI machine needs headroom.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
