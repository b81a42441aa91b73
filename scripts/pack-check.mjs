#!/usr/bin/env node
// Release check: pack every publishable package with pnpm (which rewrites
// workspace: ranges), install the tarballs into a scratch project outside the
// workspace with npm, and import each package there. Catches a wrong exports
// map, a missing file in "files", or a dependency used but not declared.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const packagesDir = join(root, "packages");
const publishable = readdirSync(packagesDir).filter((dir) => {
  const pkg = JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8"));
  return !pkg.private;
});

const scratch = mkdtempSync(join(tmpdir(), "mcp-proxy-pack-"));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, {
    cwd,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    timeout: 180_000,
  });

try {
  const tarballs = publishable.map((dir) => {
    const out = run("pnpm", ["pack", "--pack-destination", scratch], join(packagesDir, dir));
    const file = out.trim().split("\n").pop().trim();
    return resolve(join(packagesDir, dir), file);
  });
  const project = join(scratch, "project");
  run("mkdir", ["-p", project]);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "scratch", private: true, type: "module" }),
  );
  // One npm command, so @mcp-proxy/* dependencies resolve to these tarballs, not the registry.
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs], project);
  const names = publishable.map((dir) => `@mcp-proxy/${dir}`);
  const probe = names
    .map(
      (n) =>
        `const m_${n.replace(/\W/g, "_")} = await import(${JSON.stringify(n)}); if (Object.keys(m_${n.replace(/\W/g, "_")}).length === 0) throw new Error("${n} exports nothing");`,
    )
    .join("\n");
  writeFileSync(
    join(project, "probe.mjs"),
    `${probe}\nconsole.log("imported: ${names.join(", ")}");\n`,
  );
  process.stdout.write(run(process.execPath, ["probe.mjs"], project));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
