// The README's flag tables and snippet are generated from the code; this keeps
// them in step. Run with UPDATE_README=1 to rewrite them after changing a flag.
import { readFileSync, writeFileSync } from "node:fs";
import { expect, it } from "vitest";
import type { Mode } from "../src/argv.js";
import { flagTableMarkdown } from "../src/help.js";

// The package README and the root README both carry the generated flag tables.
const readmePaths = [
  new URL("../README.md", import.meta.url),
  new URL("../../../README.md", import.meta.url),
];
const examplesPath = new URL("../src/parse.examples.ts", import.meta.url);
const MODES: Mode[] = ["serve", "stdio", "tap"];

function regenerate(readme: string): string {
  let out = readme;
  for (const mode of MODES) {
    const block = new RegExp(
      `(<!-- flags:${mode}:start -->)[\\s\\S]*?(<!-- flags:${mode}:end -->)`,
    );
    out = out.replace(block, `$1\n${flagTableMarkdown(mode)}\n$2`);
  }
  const source = readFileSync(examplesPath, "utf8");
  const region = /\/\/#region parseCommandLine\n([\s\S]*?)\/\/#endregion/.exec(source)![1]!;
  return out.replace(
    /(<!-- snippet: src\/parse\.examples\.ts#parseCommandLine -->\n```ts\n)[\s\S]*?(```)/,
    `$1${region}$2`,
  );
}

/** Table rows without alignment padding, so the formatter's column alignment does not matter. */
const normalize = (markdown: string): string =>
  markdown
    .split("\n")
    .map((line) =>
      line.startsWith("|")
        ? line
            .split(/(?<!\\)\|/)
            .map((cell) => cell.trim().replace(/^-+$/, "---"))
            .join("|")
        : line,
    )
    .join("\n");

it.each(readmePaths.map((url) => [url.pathname, url] as const))(
  "%s documents every flag and its env var, as the code defines them",
  (_name, readmePath) => {
    const readme = readFileSync(readmePath, "utf8");
    const expected = regenerate(readme);
    if (process.env.UPDATE_README === "1") writeFileSync(readmePath, expected);
    else expect(normalize(readme)).toBe(normalize(expected));
  },
);
