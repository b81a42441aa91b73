// Preloaded into the proxy under test (`node --expose-gc --import <this> …`) so that the
// bench can ask for a full GC (SIGUSR2) before reading RSS: readings then compare live
// memory, not how much garbage happened to be collected. Not on any request path.
const gc = (globalThis as { gc?: () => void }).gc;
process.on("SIGUSR2", () => gc?.());
