/**
 * The files in `public/` at the repository's root: style sheets and the console's script, kept
 * as real files (tsc does not copy them, so they sit beside `src/` and `dist/`, not inside).
 * This module is two folders deep in both (`src/web/assets.ts`, `dist/web/assets.js`), so one
 * relative URL finds them from the sources under test and from the build.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `public/`, as a directory path. */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/** A file under `public/` as text, e.g. `publicText('citizen/page.css')`: read when called, so call it once. */
export const publicText = (path: string): string => readFileSync(join(PUBLIC_DIR, path), 'utf8');

/**
 * A file under `public/` to serve from memory: its text, read once, and an ETag made from that
 * text, so a release whose file has the same size and date but other content is fetched anew
 * (an ETag from size and modification time would answer 304: npm packs every file with one date).
 */
export function publicAsset(path: string): { readonly body: string; readonly etag: string } {
  const body = publicText(path);
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/**
 * A file of an installed package (`chart.js`, `dist/chart.umd.min.js`), served like `publicAsset`:
 * from `node_modules` of this installation, never from a CDN. The package is found through
 * Node's resolution of its main entry, so a hoisted or nested install both work.
 */
export function packageAsset(pkg: string, file: string): { readonly body: string; readonly etag: string } {
  const main = createRequire(import.meta.url).resolve(pkg);
  let dir = dirname(main);
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const body = readFileSync(join(dir, file), 'utf8');
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}
