// A compact, redacted, length-bounded JSON rendering for one-line logs. It stops
// walking once the budget is spent, so a multi-megabyte result costs no more to
// preview than a small one.
import { REDACTED } from "./redact.js";

class BudgetSpent extends Error {}

/** JSON of `value` with secret keys redacted, cut to `max` characters (ending in "…" when cut). */
export function preview(value: unknown, isSecret: (key: string) => boolean, max: number): string {
  const parts: string[] = [];
  let length = 0;
  const push = (text: string): void => {
    parts.push(text);
    length += text.length;
    if (length > max) throw new BudgetSpent();
  };
  const ancestors = new Set<object>();
  const write = (item: unknown): void => {
    if (typeof item === "string") {
      // Slice before quoting so a huge string is never serialised whole.
      const room = Math.max(0, max - length);
      push(JSON.stringify(item.length > room ? item.slice(0, room + 1) : item));
      return;
    }
    if (typeof item !== "object" || item === null) {
      // undefined, functions and symbols have no JSON form; show them as null like arrays do.
      push(typeof item === "bigint" ? String(item) : (JSON.stringify(item) ?? "null"));
      return;
    }
    if (ancestors.has(item)) {
      push('"[Circular]"');
      return;
    }
    ancestors.add(item);
    if (Array.isArray(item)) {
      push("[");
      item.forEach((element, index) => {
        if (index > 0) push(",");
        write(element);
      });
      push("]");
    } else {
      push("{");
      let first = true;
      for (const [key, element] of Object.entries(item)) {
        if (element === undefined) continue;
        if (!first) push(",");
        first = false;
        push(`${JSON.stringify(key)}:`);
        if (isSecret(key)) push(JSON.stringify(REDACTED));
        else write(element);
      }
      push("}");
    }
    ancestors.delete(item);
  };
  try {
    write(value);
    return parts.join("");
  } catch (error) {
    if (!(error instanceof BudgetSpent)) throw error;
    return `${parts.join("").slice(0, Math.max(0, max - 1))}…`;
  }
}
