// Import cycles among a package's source files, read with the TypeScript
// compiler's parser: every static import and re-export (type-only ones too),
// `import("…")` types and dynamic imports, resolved within the folder.
// A cycle makes a reader of one file read every file on it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** Every `.ts`/`.mts` file under `dir`, recursively (declaration files excluded). */
function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.m?ts$/.test(entry) && !/\.d\.m?ts$/.test(entry)) files.push(path);
  }
  return files.sort();
}

/** The module specifiers one file names, whatever the kind of import. */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push(node.argument.literal.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names (`./x.js` is `./x.ts` in source), if it is one of `files`. */
function resolveLocal(
  from: string,
  specifier: string,
  files: ReadonlySet<string>,
): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(m?js|m?ts)$/, "");
  const candidates = [
    base,
    `${stem}.ts`,
    `${stem}.mts`,
    join(base, "index.ts"),
    join(stem, "index.ts"),
  ];
  return candidates.find((candidate) => files.has(candidate));
}

/** The import graph of the source files under `dir`: file -> the local files it imports. */
export function importGraph(dir: string): Map<string, string[]> {
  const files = sourceFiles(dir);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = specifiersOf(file)
      .map((specifier) => resolveLocal(file, specifier, known))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The import cycles among the source files under `dir`, one line per group of files that import
 * each other (a strongly connected component): a shortest cycle through its first file, written
 * as a path back to its start (`a.ts -> b.ts -> a.ts`), then the group's other files when the
 * path does not pass them all. Paths are relative to `dir`; empty when there is no cycle.
 */
export function findImportCycles(dir: string): string[] {
  const graph = importGraph(dir);
  const name = (file: string) => relative(dir, file);
  const cycles: string[] = [];
  for (const group of stronglyConnected(graph)) {
    const start = group[0] as string;
    const selfLoop = graph.get(start)?.includes(start) ?? false;
    if (group.length === 1 && !selfLoop) continue;
    const path = cycleThrough(start, new Set(group), graph);
    const rest = group.filter((file) => !path.includes(file));
    const line = path.map(name).join(" -> ");
    cycles.push(
      rest.length === 0 ? line : `${line} (also in this group: ${rest.map(name).join(", ")})`,
    );
  }
  return cycles.sort();
}

/** Tarjan's algorithm: the strongly connected components of `graph`, each sorted. */
function stronglyConnected(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        group.push(member);
      } while (member !== file);
      groups.push(group.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) connect(file);
  return groups;
}

/** A shortest path from `start` back to itself inside `group` (breadth first). */
function cycleThrough(
  start: string,
  group: ReadonlySet<string>,
  graph: ReadonlyMap<string, readonly string[]>,
): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const target of graph.get(file) ?? []) {
      if (!group.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at: string | undefined = file; at !== start && at; at = previous.get(at))
          path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(target)) {
        previous.set(target, file);
        queue.push(target);
      }
    }
  }
  return [start, start];
}
