/**
 * Loading a campaign file: YAML parsed with positions, then the schema; every problem is
 * reported with `file:line:column` so an author can go straight to it.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InvitoError, type Issue } from '../core/errors.js';
import { type Campaign, campaignSchema } from './schema.js';

export interface LoadedCampaign {
  readonly campaign: Campaign;
  readonly file: string;
}

type Path = readonly PropertyKey[];

/** The YAML node at a schema path; `found` is false when the path stops short (a missing key). */
function nodeAt(root: unknown, path: Path): { node: Node | null; keyNode: Node | null; found: boolean } {
  let node: unknown = root;
  let keyNode: Node | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { node: node as Node, keyNode: null, found: false };
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) return { node: node as Node, keyNode: null, found: false };
      keyNode = null;
      node = item;
    } else return { node: (node as Node | null) ?? null, keyNode, found: false };
  }
  return { node: (node as Node | null) ?? null, keyNode, found: true };
}

function position(lc: LineCounter, node: Node | null | undefined): string {
  const offset = node?.range?.[0];
  if (offset === undefined) return '1:1';
  const { line, col } = lc.linePos(offset);
  return `${line}:${col}`;
}

const pathText = (path: Path): string =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');

function issuesFromZod(file: string, doc: unknown, lc: LineCounter, error: z.ZodError): Issue[] {
  const out: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const { node } = nodeAt(doc, issue.path);
      for (const key of issue.keys) {
        const { keyNode } = nodeAt(node, [key]);
        const where = pathText([...issue.path, key]);
        out.push({ where: `${file}:${position(lc, keyNode ?? node)}`, message: `unknown key "${where}"` });
      }
      continue;
    }
    const { node, keyNode, found } = nodeAt(doc, issue.path);
    const missing = issue.code === 'invalid_type' && !found;
    const name = pathText(issue.path) || 'campaign';
    out.push({
      where: `${file}:${position(lc, missing ? node : (node ?? keyNode))}`,
      message: missing ? `${name} is required` : `${name} ${issue.message}`,
    });
  }
  return out.sort((a, b) => {
    const [la, ca] = a.where.slice(file.length + 1).split(':').map(Number) as [number, number];
    const [lb, cb] = b.where.slice(file.length + 1).split(':').map(Number) as [number, number];
    return la - lb || ca - cb;
  });
}

/** Parses and validates campaign YAML text; `file` is used in messages only. */
export function parseCampaign(text: string, file: string): LoadedCampaign {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InvitoError('CAMPAIGN_INVALID', `${file} is not valid YAML`, {
      issues: doc.errors.map((e) => ({ where: `${file}:${e.linePos?.[0].line ?? 1}:${e.linePos?.[0].col ?? 1}`, message: e.message.split('\n')[0] ?? e.code })),
    });
  }
  const data = doc.toJS() as unknown;
  const result = campaignSchema.safeParse(data);
  if (!result.success) {
    const issues = issuesFromZod(file, doc.contents, lc, result.error);
    throw new InvitoError('CAMPAIGN_INVALID', `${file} has ${issues.length} error${issues.length === 1 ? '' : 's'}`, { issues });
  }
  return { campaign: result.data, file };
}

export async function loadCampaign(file: string): Promise<LoadedCampaign> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvitoError(code === 'ENOENT' ? 'CAMPAIGN_NOT_FOUND' : 'FILE_UNREADABLE', `cannot read campaign ${file}: ${code ?? (e as Error).message}`, { cause: e });
  }
  return parseCampaign(text, file);
}
