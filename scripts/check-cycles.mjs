#!/usr/bin/env node
// Folders under src/ are layers, and docs/ARCHITECTURE.md says their dependencies point one way.
// This keeps that true: every relative import of every .ts file (type-only ones and `import('…')`
// type expressions included, since a type import ties two layers together as much as a value one)
// becomes an edge between top folders, and any strongly connected component of more than one
// folder is a cycle. Parsed with the TypeScript compiler already installed, so comments and
// strings that merely look like imports are not counted.
//
//   node scripts/check-cycles.mjs [--root DIR]    (DIR defaults to the project's src/)
//
// Exit 0: "no folder cycle (N folders, M edges)". Exit 1: each cycle, one example import per edge.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  let root = join(here, '..', 'src');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1] !== undefined) root = argv[++i];
    else {
      console.error(`usage: check-cycles.mjs [--root DIR] (unknown argument ${argv[i]})`);
      process.exit(2);
    }
  }
  return resolve(root);
}

function tsFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.(c|m)?tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function specifiers(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found = [];
  const literal = (node) => {
    if (node && ts.isStringLiteralLike(node)) found.push(node.text);
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      literal(node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      literal(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

// The layer a path belongs to: its first folder under the root ('.' for a file directly in it),
// or null when it lies outside the root.
function folderOf(root, path) {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || resolve(root, rel) !== path) return null;
  const parts = rel.split(sep);
  return parts.length === 1 ? '.' : parts[0];
}

function graph(root) {
  const folders = new Set();
  const edges = new Map(); // from → (to → example "file → file")
  for (const file of tsFiles(root)) {
    const from = folderOf(root, file);
    folders.add(from);
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('.')) continue; // a package, not a layer
      const target = resolve(dirname(file), spec);
      const to = folderOf(root, target);
      if (to === null || to === from) continue;
      folders.add(to);
      if (!edges.has(from)) edges.set(from, new Map());
      const out = edges.get(from);
      // Named as the source file it is: ESM specifiers say .js for a .ts file.
      const named = [target.replace(/\.(m|c)?js$/, '.$1ts'), target].find((p) => existsSync(p)) ?? target;
      if (!out.has(to)) out.set(to, `${relative(root, file)} → ${relative(root, named)}`);
    }
  }
  return { folders, edges };
}

// Tarjan's strongly connected components.
function components(folders, edges) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const result = [];
  const connect = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of (edges.get(v) ?? new Map()).keys()) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      result.push(scc);
    }
  };
  for (const v of [...folders].sort()) if (!idx.has(v)) connect(v);
  return result;
}

// Shortest path from → to inside one component (breadth first), as a list of folders.
function path(edges, members, from, to) {
  const previous = new Map([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    if (v === to) break;
    for (const w of [...(edges.get(v) ?? new Map()).keys()].sort()) {
      if (members.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  const out = [];
  for (let v = to; v !== null; v = previous.get(v)) out.unshift(v);
  return out;
}

// One cycle per edge of the component (the edge, then the shortest way back), so every edge
// that takes part shows up; the same cycle found from two of its edges is printed once.
function cycles(edges, scc) {
  const members = new Set(scc);
  const seen = new Set();
  const out = [];
  for (const u of [...scc].sort()) {
    for (const v of [...(edges.get(u) ?? new Map()).keys()].sort()) {
      if (!members.has(v)) continue;
      const ring = [u, ...path(edges, members, v, u).slice(0, -1)];
      const start = ring.indexOf([...ring].sort()[0]);
      const key = [...ring.slice(start), ...ring.slice(0, start)].join(' ');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(ring);
    }
  }
  return out;
}

const root = parseArgs(process.argv.slice(2));
try {
  if (!statSync(root).isDirectory()) throw new Error('not a folder');
} catch {
  console.error(`check-cycles: ${root} is not a folder`);
  process.exit(2);
}
const { folders, edges } = graph(root);
const edgeCount = [...edges.values()].reduce((n, out) => n + out.size, 0);
const tangled = components(folders, edges).filter((scc) => scc.length > 1);
if (tangled.length === 0) {
  console.log(`no folder cycle (${folders.size} folders, ${edgeCount} edges)`);
  process.exit(0);
}
for (const scc of tangled) {
  console.log(`folders in a cycle: ${[...scc].sort().join(', ')}`);
  for (const ring of cycles(edges, scc)) {
    console.log(`  cycle: ${[...ring, ring[0]].join(' → ')}`);
    ring.forEach((from, i) => {
      const to = ring[(i + 1) % ring.length];
      console.log(`    ${from} → ${to}: ${edges.get(from).get(to)}`);
    });
  }
}
process.exit(1);
