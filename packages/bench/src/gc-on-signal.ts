// Preloaded into the proxy under test (`node --expose-gc --import <this> …`) so that the
// bench can ask for a full GC (SIGUSR2) before reading memory: readings then compare live
// memory, not how much garbage happened to be collected. After the GC it reports the
// process's own view (heap, external) on stderr, one marked line. Not on any request path.
const gc = (globalThis as { gc?: () => void }).gc;
process.on("SIGUSR2", () => {
  gc?.();
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  process.stderr.write(`[bench-memory] ${JSON.stringify({ heapUsed, external, arrayBuffers })}\n`);
});
