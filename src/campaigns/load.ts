/**
 * Loading a campaign file: YAML parsed with positions, then the schema; every problem is
 * reported with `file:line:column` so an author can go straight to it.
 *
 * A campaign file is a few kilobytes written by a person, so anything far from that is refused
 * before it can cost memory or stack: files over `MAX_CAMPAIGN_BYTES`, nesting deeper than
 * `MAX_DEPTH`, aliases that expand beyond yaml's `maxAliasCount` (a "billion laughs").
 */
import { readFile, stat } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { InvitoError, type Issue } from '../core/errors.js';
import { nearest } from '../core/similar.js';
import { type Campaign, campaignSchema } from './schema.js';

/** The largest campaign file read: the sample campaign is 4 KB. */
export const MAX_CAMPAIGN_BYTES = 1024 * 1024;
/** Nesting levels a campaign may have: its deepest key (`calls.script.nodes.X.answers[0].id`) is 7 down. */
export const MAX_DEPTH = 32;
/** Alias expansions yaml allows before it calls the document an attack (its own default). */
const MAX_ALIAS_COUNT = 100;

type Path = readonly PropertyKey[];

export interface LoadedCampaign {
  readonly campaign: Campaign;
  readonly file: string;
  /** `file:line:column` of the value at a schema path (or of the nearest part of it that exists). */
  where(path: Path): string;
}

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

function position(lc: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return '1:1';
  const { line, col } = lc.linePos(offset);
  return `${line}:${col}`;
}
const nodePosition = (lc: LineCounter, node: Node | null | undefined): string => position(lc, node?.range?.[0]);

const pathText = (path: Path): string =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');

/**
 * A scalar as the author wrote it, for messages: campaign files hold no personal data, so the
 * offending value is shown — cut short, without control characters.
 */
function shown(node: Node | null): string | null {
  if (!isScalar(node)) return null;
  const v = node.value;
  if (typeof v === 'number' || typeof v === 'boolean') return String(node.source ?? v);
  if (typeof v !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const clean = v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return JSON.stringify(clean.length > 60 ? `${clean.slice(0, 57)}…` : clean);
}

/** Unwraps defaults, optionals and pipes down to the schemas a value at a path may meet. */
function variants(schema: z.core.$ZodType): z.core.$ZodType[] {
  const def = schema._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; options?: z.core.$ZodType[] };
  if (def.innerType) return variants(def.innerType);
  if (def.type === 'pipe' && def.in) return variants(def.in);
  if (def.type === 'union' && def.options) return def.options.flatMap(variants);
  return [schema];
}

/** The keys the schema allows in the object at `path` (every variant of a union). */
function keysAt(path: Path): string[] {
  let here: z.core.$ZodType[] = [campaignSchema];
  for (const seg of path) {
    here = here.flatMap(variants).flatMap((s) => {
      const def = s._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType };
      if (def.type === 'object') return def.shape?.[String(seg)] ? [def.shape[String(seg)]!] : [];
      if (def.type === 'array' && def.element) return [def.element];
      if (def.type === 'record' && def.valueType) return [def.valueType];
      return [];
    });
  }
  const keys = here.flatMap(variants).flatMap((s) => {
    const def = s._zod.def as unknown as { type: string; shape?: Record<string, unknown> };
    return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
  });
  return [...new Set(keys)];
}

type ZodIssue = z.core.$ZodIssue;

/**
 * A failed union (a step's `send`, `daily_target`) as the problems of the variant the author
 * meant: the one whose keys fit, else an unknown key among every variant's keys.
 */
function flatten(issues: readonly ZodIssue[], prefix: Path = []): ZodIssue[] {
  return issues.flatMap((issue): ZodIssue[] => {
    const path = [...prefix, ...issue.path] as PropertyKey[];
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path }];
    const strangers = (branch: readonly ZodIssue[]) => branch.find((i) => i.code === 'unrecognized_keys' && i.path.length === 0);
    const fitting = issue.errors.filter((branch) => !strangers(branch));
    if (fitting.length > 0) return flatten(fitting.reduce((a, b) => (b.length < a.length ? b : a)), path);
    return [{ ...strangers(issue.errors[0]!)!, path }];
  });
}

function issuesFromZod(file: string, doc: unknown, lc: LineCounter, error: z.ZodError): Issue[] {
  const out: Issue[] = [];
  for (const issue of flatten(error.issues)) {
    if (issue.code === 'unrecognized_keys') {
      const { node } = nodeAt(doc, issue.path);
      const allowed = keysAt(issue.path);
      for (const key of issue.keys) {
        const { keyNode } = nodeAt(node, [key]);
        const where = pathText([...issue.path, key]);
        const guess = nearest(key, allowed);
        out.push({ where: `${file}:${nodePosition(lc, keyNode ?? node)}`, message: `unknown key "${where}"${guess ? ` — did you mean "${guess}"?` : ''}` });
      }
      continue;
    }
    const { node, keyNode, found } = nodeAt(doc, issue.path);
    const missing = issue.code === 'invalid_type' && !found;
    const name = pathText(issue.path) || 'campaign';
    const value = found ? shown(node) : null;
    out.push({
      where: `${file}:${nodePosition(lc, missing ? node : (node ?? keyNode))}`,
      message: missing ? `${name} is required` : value !== null ? `${name}: ${value} ${issue.message}` : `${name} ${issue.message}`,
    });
  }
  return out.sort((a, b) => {
    const [la, ca] = a.where.slice(file.length + 1).split(':').map(Number) as [number, number];
    const [lb, cb] = b.where.slice(file.length + 1).split(':').map(Number) as [number, number];
    return la - lb || ca - cb;
  });
}

const invalid = (file: string, summary: string, issues: Issue[]): InvitoError => new InvitoError('CAMPAIGN_INVALID', `${file} ${summary}`, { issues });

/** The first node nested deeper than `MAX_DEPTH`, found without recursion (the point is not to need the stack). */
function tooDeep(root: unknown): Node | null {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= MAX_DEPTH) return node as Node;
    const children = isMap(node) ? node.items.flatMap((p) => [p.key, p.value]) : node.items;
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], depth + 1]);
  }
  return null;
}

/** The first alias of the document (where an expansion that went too far begins). */
function firstAlias(doc: ReturnType<typeof parseDocument>): Node | null {
  let found: Node | null = null;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/** Parses and validates campaign YAML text; `file` is used in messages only. */
export function parseCampaign(text: string, file: string): LoadedCampaign {
  if (text.length > MAX_CAMPAIGN_BYTES) {
    throw invalid(file, 'is too large', [{ where: `${file}:1:1`, message: `a campaign file is at most ${MAX_CAMPAIGN_BYTES / 1024} KB; this one has ${text.length.toLocaleString('en')} characters` }]);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(file, 'is not valid YAML', doc.errors.map((e) => ({
      where: `${file}:${position(lc, e.pos[0])}`,
      // yaml turns its own stack overflow into RESOURCE_EXHAUSTION; the author needs to know why.
      message: e.code === 'RESOURCE_EXHAUSTION' ? `nested too deeply to read (a campaign needs a few levels, at most ${MAX_DEPTH})` : (e.message.split('\n')[0] ?? e.code),
    })));
  }
  const deep = tooDeep(doc.contents);
  if (deep) throw invalid(file, 'is nested too deeply', [{ where: `${file}:${nodePosition(lc, deep)}`, message: `nested more than ${MAX_DEPTH} levels deep (a campaign needs a few)` }]);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // yaml's guard against exponential alias expansion throws a ReferenceError.
    const at = `${file}:${nodePosition(lc, firstAlias(doc))}`;
    const reason = e instanceof ReferenceError && /alias/i.test(e.message) ? 'aliases expand to too much data (a "billion laughs"?); write the values out' : `cannot be read: ${(e as Error).message.split('\n')[0]}`;
    throw invalid(file, 'cannot be expanded', [{ where: at, message: reason }]);
  }
  const result = campaignSchema.safeParse(data);
  if (!result.success) {
    const issues = issuesFromZod(file, doc.contents, lc, result.error);
    throw invalid(file, `has ${issues.length} error${issues.length === 1 ? '' : 's'}`, issues);
  }
  return {
    campaign: result.data,
    file,
    where(path) {
      const { node, keyNode } = nodeAt(doc.contents, path);
      return `${file}:${nodePosition(lc, node ?? keyNode)}`;
    },
  };
}

export async function loadCampaign(file: string): Promise<LoadedCampaign> {
  let text: string;
  try {
    // Checked before reading: a campaign path pointing at a huge file must not be read whole.
    const { size } = await stat(file);
    if (size > MAX_CAMPAIGN_BYTES) {
      throw invalid(file, 'is too large', [{ where: `${file}:1:1`, message: `a campaign file is at most ${MAX_CAMPAIGN_BYTES / 1024} KB; this one has ${size.toLocaleString('en')} bytes` }]);
    }
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof InvitoError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvitoError(code === 'ENOENT' ? 'CAMPAIGN_NOT_FOUND' : 'FILE_UNREADABLE', `cannot read campaign ${file}: ${code ?? (e as Error).message}`, { cause: e });
  }
  return parseCampaign(text, file);
}
