// Client capability profiles: a shared 2025-era upstream negotiates client
// capabilities once, at `initialize`, so it can only serve callers that
// declared exactly what it was initialised with (LESSONS 16). A profile is the
// caller's capabilities with a canonical key, so that upstreams can be picked
// per profile by 2025 sessions (initialize) and 2026-07-28 requests (_meta) alike.

/** A caller's client capabilities and the key that identifies them. */
export interface CapabilityProfile {
  /** Exactly what the caller declared (an object; `{}` when it declared nothing). */
  readonly capabilities: Record<string, unknown>;
  /** Canonical JSON of `capabilities` (keys sorted): equal keys, equal profiles. */
  readonly key: string;
  /**
   * True when the profile lets the server ask the client something (sampling,
   * elicitation or roots): only then does a call's server->client request need
   * the upstream to itself to be attributed.
   */
  readonly interactive: boolean;
}

/** Capabilities that let a server send requests to the client. */
const INTERACTIVE_CAPABILITIES = ["sampling", "elicitation", "roots"] as const;

/** The profile of `capabilities` as a client declared them (anything not an object counts as `{}`). */
export function capabilityProfile(capabilities: unknown): CapabilityProfile {
  const caps =
    typeof capabilities === "object" && capabilities !== null && !Array.isArray(capabilities)
      ? (capabilities as Record<string, unknown>)
      : {};
  return {
    capabilities: caps,
    key: canonicalJson(caps),
    interactive: INTERACTIVE_CAPABILITIES.some((name) => isObject(caps[name])),
  };
}

/** JSON with object keys sorted at every depth. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (!isObject(value)) return JSON.stringify(value) ?? "null";
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
