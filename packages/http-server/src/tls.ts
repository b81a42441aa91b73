// TLS material: each option is PEM text or a path to a PEM file.
import { readFileSync } from "node:fs";

/** PEM text is recognised by its "-----BEGIN" armour; anything else is read as a file path. */
export function loadPem(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.includes("-----BEGIN") ? value : readFileSync(value, "utf8");
}
