// No import cycles among the source files of any package, type-only imports
// included: a reader of one module should not have to read its whole package.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findImportCycles } from "../src/import-cycles.js";

const PACKAGES_DIR = fileURLToPath(new URL("../../", import.meta.url));

const packages = readdirSync(PACKAGES_DIR)
  .filter((name) => existsSync(`${PACKAGES_DIR}${name}/src`))
  .sort();

describe("findImportCycles", () => {
  it("follows type-only imports, re-exports, import() types and folders", () => {
    const dir = mkdtempSync(join(tmpdir(), "import-cycles-"));
    try {
      mkdirSync(join(dir, "sub"));
      const files: Record<string, string> = {
        "a.ts": 'import type { B } from "./sub/b.js";\nexport type A = B;\n',
        "sub/b.ts": 'export { c } from "../c.js";\nexport type B = number;\n',
        "c.ts": 'export const c = 1;\nexport type D = import("./a.js").A;\n',
        "alone.ts": 'import { c } from "./c.js";\nexport const e = c;\n',
      };
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      expect(findImportCycles(dir)).toEqual(["a.ts -> sub/b.ts -> c.ts -> a.ts"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("import cycles among source files", () => {
  it("covers every package", () => {
    expect(packages).toEqual(
      expect.arrayContaining(["cli", "core", "http-server", "stdio-client"]),
    );
  });

  for (const name of packages) {
    it(`${name}: none`, () => {
      expect(findImportCycles(`${PACKAGES_DIR}${name}/src`)).toEqual([]);
    });
  }
});
