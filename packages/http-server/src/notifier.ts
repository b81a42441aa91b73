// The handle's `notify`: change events published to 2026-07-28 listen streams
// by an embedder whose changes do not come through the proxied upstream. The
// method names are the SDK v2 ServerNotifier's, so code written for the
// reference package's `notify` runs unchanged.

export interface ServerNotifier {
  /** `notifications/tools/list_changed` to every listen stream that opted in. */
  toolsChanged(): void;
  /** `notifications/prompts/list_changed` to every listen stream that opted in. */
  promptsChanged(): void;
  /** `notifications/resources/list_changed` to every listen stream that opted in. */
  resourcesChanged(): void;
  /** `notifications/resources/updated` for `uri` to the listen streams subscribed to it. */
  resourceUpdated(uri: string): void;
}

/** Where the events go: the open listen streams (ModernEndpoint), when the server has them. */
export interface ChangePublisher {
  publish(method: string, params?: Record<string, unknown>): void;
}

export function createNotifier(endpoint: ChangePublisher | undefined): ServerNotifier {
  const publish = (method: string, params?: Record<string, unknown>) =>
    endpoint?.publish(method, params);
  return {
    toolsChanged: () => publish("notifications/tools/list_changed"),
    promptsChanged: () => publish("notifications/prompts/list_changed"),
    resourcesChanged: () => publish("notifications/resources/list_changed"),
    resourceUpdated: (uri) => publish("notifications/resources/updated", { uri }),
  };
}
