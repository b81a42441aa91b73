// The one attribution rule for what a 2025-era server sends without naming a
// call (a log message, an unasked resources/updated, a server request where no
// gate decides): it belongs to a caller only when exactly one candidate fits.
// Anything else is ambiguous, and the callers drop it or answer it themselves.

/** The single item of `items` that `fits`, or undefined when none or several do. */
export function soleMatch<T>(
  items: Iterable<T>,
  fits: (item: T) => boolean = () => true,
): T | undefined {
  let found: T | undefined;
  let seen = false;
  for (const item of items) {
    if (!fits(item)) continue;
    if (seen) return undefined;
    seen = true;
    found = item;
  }
  return found;
}
