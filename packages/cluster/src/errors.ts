// The one error a cluster store raises when Redis cannot answer. Its code is
// core's CLUSTER_UNAVAILABLE, which the WIRE table answers with 503: a replica
// that cannot reach the store cannot route, but may well serve again soon.
import { ErrorCodes, McpProxyError } from "@mcp-proxy/core";

/** Redis could not be reached or refused a command; `cause` is the client's error. */
export class ClusterStoreError extends McpProxyError {
  override readonly name = "ClusterStoreError";
  constructor(operation: string, cause: unknown) {
    super(
      ErrorCodes.CLUSTER_UNAVAILABLE,
      `Cluster store: could not ${operation}: ${errorText(cause)}`,
      { cause },
    );
  }
}

/**
 * What went wrong, in a few words, for messages and log fields. A failed connect to a name with
 * several addresses is an AggregateError whose message is empty: its code says more.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message || (error as NodeJS.ErrnoException).code || error.name;
}
