// The paths one server answers on must not shadow each other: the router takes
// /ping (and /health when a health hook is set) first, then the stream, SSE and
// messages endpoints in that order, so a collision silently disables one of them.

/** The paths the router answers before any MCP endpoint. */
export function reservedPaths(health: boolean): string[] {
  return health ? ["/ping", "/health"] : ["/ping"];
}

/**
 * Throws a TypeError naming the first collision among the enabled endpoints
 * (`null` ones are disabled) and the reserved paths.
 */
export function checkEndpointPaths(
  endpoints: Record<string, string | null>,
  reserved: readonly string[],
): void {
  const seen = new Map<string, string>(reserved.map((path) => [path, `the built-in ${path}`]));
  for (const [name, path] of Object.entries(endpoints)) {
    if (path === null) continue;
    const clash = seen.get(path);
    if (clash !== undefined) {
      throw new TypeError(`startHTTPServer: ${name} "${path}" collides with ${clash}`);
    }
    seen.set(path, name);
  }
}
