// TLS material: each option is PEM text or a path to a PEM file.
import { readFileSync } from "node:fs";

/**
 * PEM text is recognised by its "-----BEGIN" armour; anything else is read as
 * a file path, which must hold PEM. `name` (the option) goes into errors.
 */
export function loadPem(value: string | null | undefined, name = "PEM"): string | undefined {
  // null is "not set" (the reference package's spelling).
  if (value === undefined || value === null) return undefined;
  if (value.includes("-----BEGIN")) return value;
  const text = readFileSync(value, "utf8");
  if (!text.includes("-----BEGIN")) {
    throw new TypeError(`${name}: "${value}" holds no PEM block (-----BEGIN …)`);
  }
  return text;
}

/** Names the TLS options in an error from building the secure context (e.g. a key that does not match). */
export function tlsError(error: unknown, files: Record<string, string | null | undefined>): Error {
  const named = Object.entries(files)
    .filter(([, v]) => typeof v === "string" && !v.includes("-----BEGIN"))
    .map(([k, v]) => `${k} "${v}"`)
    .join(", ");
  const message = error instanceof Error ? error.message : String(error);
  return new TypeError(`TLS: ${message}${named ? ` (${named})` : ""}`, { cause: error });
}
