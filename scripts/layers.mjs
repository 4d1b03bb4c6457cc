#!/usr/bin/env node
// The size of each layer of src/, in lines of TypeScript (every line: code, comments, blank),
// and the store's share of the whole (issue 11 moved the rules out of src/store, aiming at
// persistence alone under 12% of src). With --max-store-share P it fails (exit 1) above P percent.
//
//   node scripts/layers.mjs [--root DIR] [--max-store-share 12] [--json]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve(opt('--root') ?? join(here, '..', 'src'));
const max = opt('--max-store-share') === undefined ? null : Number(opt('--max-store-share'));

function tsFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.(c|m)?ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const lines = (file) => {
  const text = readFileSync(file, 'utf8');
  return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
};

const byFolder = new Map();
let total = 0;
for (const f of tsFiles(root)) {
  const folder = relative(root, f).split(sep)[0];
  const key = folder.endsWith('.ts') ? '(top)' : folder;
  const n = lines(f);
  byFolder.set(key, (byFolder.get(key) ?? 0) + n);
  total += n;
}
const store = byFolder.get('store') ?? 0;
const share = total === 0 ? 0 : (100 * store) / total;

if (args.includes('--json')) {
  console.log(JSON.stringify({ total, store, storeShare: Number(share.toFixed(2)), folders: Object.fromEntries([...byFolder].sort((a, b) => b[1] - a[1])) }));
} else {
  for (const [folder, n] of [...byFolder].sort((a, b) => b[1] - a[1])) console.log(`${folder.padEnd(12)} ${String(n).padStart(6)}  ${((100 * n) / total).toFixed(1).padStart(5)}%`);
  console.log(`${'src'.padEnd(12)} ${String(total).padStart(6)}`);
  console.log(`src/store is ${store} of ${total} lines: ${share.toFixed(1)}%`);
}
if (max !== null && share > max) {
  console.error(`src/store is ${share.toFixed(1)}% of src, above ${max}%: rules belong in their layers, the store is persistence`);
  process.exit(1);
}
