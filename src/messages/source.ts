/**
 * Reading template files: names, the email file format, and the static checks that do not
 * need data (syntax, helper arity, partial names). Everything here runs once, at load.
 */
import Handlebars from 'handlebars';
import { parse as parseYaml } from 'yaml';
import type { ErrorCode, Issue } from '../core/errors.js';
import { HELPERS, HELPER_ARITY, HELPER_STYLES } from './helpers.js';

import type { Channel } from '../core/channels.js';

export { CHANNELS, type Channel } from '../core/channels.js';

/** A problem found in templates, with the error code it would raise. */
export interface TemplateIssue extends Issue {
  readonly code: ErrorCode;
}

/** Where a parsed source came from: its file, and the file line its first line sits on (email parts start mid-file). */
export interface SourceOrigin {
  readonly file: string;
  readonly lineOffset: number;
}

/** One Handlebars source: a whole file, or one part of an email file. */
export interface ParsedSource {
  /** The srcName given to Handlebars; helper call sites carry it at run time. */
  readonly name: string;
  readonly origin: SourceOrigin;
  readonly ast: hbs.AST.Program;
}

const TEMPLATE_FILE = /^(sms|email|voice|call)\.([a-z]{2,3}(?:-[a-z0-9]{2,8})*)\.hbs$/;
const TEMPLATE_ID = /^[a-z0-9][a-z0-9_-]*$/;
const PARTIAL_FILE = /^([a-z0-9][a-z0-9._-]*)\.hbs$/i;
const HTML_SEPARATOR = /^--- html ---[ \t]*$/m;

export const BUILTIN_HELPERS: readonly string[] = ['if', 'unless', 'each', 'with', 'lookup', 'log'];
const KNOWN_HELPERS = new Set([...BUILTIN_HELPERS, ...Object.keys(HELPERS)]);

/** Template file name → channel and language, or null when the name does not follow `<channel>.<lang>.hbs`. */
export function parseTemplateFileName(name: string): { channel: Channel; language: string } | null {
  const m = TEMPLATE_FILE.exec(name);
  return m === null ? null : { channel: m[1] as Channel, language: m[2] as string };
}

/** Whether a folder name is a valid template id (lower-case letters, digits, - and _). */
export const isTemplateId = (name: string): boolean => TEMPLATE_ID.test(name);

/** Partial file name → partial name (`appointment.it.hbs` → `appointment.it`), or null. */
export function parsePartialFileName(name: string): string | null {
  return PARTIAL_FILE.exec(name)?.[1] ?? null;
}

/** `file:line:column`, 1-based, for a position inside a source. */
export function locate(origin: SourceOrigin, line: number, column: number): string {
  return `${origin.file}:${line + origin.lineOffset}:${column + 1}`;
}

/** Parses one source; a syntax error becomes an issue with the file's line. */
export function parseSource(name: string, text: string, origin: SourceOrigin, issues: TemplateIssue[]): ParsedSource | null {
  try {
    return { name, origin, ast: Handlebars.parse(text, { srcName: name }) };
  } catch (e) {
    const err = e as Error & { lineNumber?: number; column?: number };
    const line = err.lineNumber ?? Number(/on line (\d+)/.exec(err.message)?.[1] ?? 1);
    // Jison's message repeats the source line and a caret; its last line says what was expected.
    const lines = err.message.split('\n');
    const detail = lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : err.message.replace(/ - \d+:\d+$/, '');
    issues.push({ code: 'TEMPLATE_SYNTAX', where: locate(origin, line, err.column ?? 0), message: detail });
    return null;
  }
}

/** The three parts of an email file, each with the file line it starts on (1-based). */
export interface EmailParts {
  readonly subject: { readonly text: string; readonly line: number };
  readonly text: { readonly text: string; readonly line: number };
  readonly html: { readonly text: string; readonly line: number };
}

/**
 * Splits an email file: YAML front matter between `---` lines holding `subject`, the text
 * body, a line `--- html ---`, the HTML body.
 */
export function splitEmail(source: string, file: string, issues: TemplateIssue[]): EmailParts | null {
  const fail = (line: number, message: string): null => {
    issues.push({ code: 'TEMPLATE_SYNTAX', where: `${file}:${line}`, message });
    return null;
  };
  const lines = source.split('\n');
  if (lines[0]?.trimEnd() !== '---') return fail(1, 'an email template starts with front matter: a line "---", "subject: ...", a line "---"');
  const close = lines.findIndex((l, i) => i > 0 && l.trimEnd() === '---');
  if (close < 0) return fail(1, 'front matter is not closed by a line "---"');
  let meta: unknown;
  try {
    meta = parseYaml(lines.slice(1, close).join('\n'));
  } catch (e) {
    return fail(2, `front matter is not valid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return fail(2, 'front matter must hold "subject: ..."');
  const keys = Object.keys(meta);
  const unknown = keys.filter((k) => k !== 'subject');
  if (unknown.length > 0) return fail(2, `unknown front matter key(s): ${unknown.join(', ')} (only "subject" is read)`);
  const subject = (meta as { subject?: unknown }).subject;
  if (typeof subject !== 'string' || subject.trim() === '') return fail(2, 'front matter must hold a non-empty "subject"');
  const subjectLine = 2 + Math.max(0, lines.slice(1, close).findIndex((l) => /^subject\s*:/.test(l)));

  const rest = lines.slice(close + 1).join('\n');
  const parts = rest.split(HTML_SEPARATOR);
  if (parts.length !== 2) {
    return fail(close + 2, parts.length < 2 ? 'missing the line "--- html ---" before the HTML part' : 'the line "--- html ---" appears more than once');
  }
  const [text = '', html = ''] = parts;
  const textLine = close + 2;
  const htmlLine = textLine + text.split('\n').length;
  // split() left the separator's newline at the head of the HTML part.
  return {
    subject: { text: subject, line: subjectLine },
    text: { text, line: textLine },
    html: { text: html.replace(/^\n/, ''), line: htmlLine },
  };
}

type Node = hbs.AST.Node;
type CallNode = hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;

const isPath = (n: Node): n is hbs.AST.PathExpression => n.type === 'PathExpression';
const simpleName = (n: Node): string | null => (isPath(n) && !n.data && n.depth === 0 && n.parts.length === 1 ? (n.parts[0] ?? null) : null);

/** Whether a mustache or block calls a helper (rather than printing or entering a variable). */
export function helperName(node: CallNode): string | null {
  const name = simpleName(node.path);
  if (name === null) return null;
  return KNOWN_HELPERS.has(name) || node.params.length > 0 ? name : null;
}

/** Call-site key as Handlebars reports it to helpers: `source:line:column`. */
export const siteKey = (source: string, line: number, column: number): string => `${source}:${line}:${column}`;

/**
 * Static checks of one source: helpers exist and get the arguments they accept, literal
 * styles are valid, partials exist and are named (not computed), no decorators. Also
 * records, for each helper call, the variable paths of its arguments, so a run-time
 * complaint ("has no value") can name the variable.
 */
export function lintSource(
  src: ParsedSource,
  partials: ReadonlySet<string>,
  issues: TemplateIssue[],
  helperArgs: Map<string, readonly (string | null)[]>,
): void {
  const at = (node: Node): string => locate(src.origin, node.loc.start.line, node.loc.start.column);
  const report = (node: Node, code: ErrorCode, message: string): void => void issues.push({ code, where: at(node), message });

  const checkCall = (node: CallNode): void => {
    const name = helperName(node);
    if (name === null) return;
    if (!KNOWN_HELPERS.has(name)) {
      report(node, 'TEMPLATE_SYNTAX', `unknown helper "${name}"`);
      return;
    }
    helperArgs.set(
      siteKey(src.name, node.loc.start.line, node.loc.start.column),
      node.params.map((p) => (isPath(p) ? p.original : null)),
    );
    const arity = HELPER_ARITY[name];
    if (arity === undefined) return;
    const n = node.params.length;
    if (n < arity.min || n > arity.max || (arity.even === true && n % 2 !== 0)) {
      const expected = name === 'choose' ? 'a value, pairs of match and result, and a fallback' : `${arity.min}–${arity.max} argument(s)`;
      report(node, 'TEMPLATE_SYNTAX', `helper "${name}" takes ${expected}; got ${n}`);
    }
    if (node.hash !== undefined && node.hash.pairs.length > 0) report(node, 'TEMPLATE_SYNTAX', `helper "${name}" takes no named arguments`);
    const styles = HELPER_STYLES[name];
    const style = node.params[1];
    if (styles !== undefined && style?.type === 'StringLiteral' && !styles.includes((style as hbs.AST.StringLiteral).value)) {
      report(style, 'TEMPLATE_SYNTAX', `helper "${name}": style must be one of ${styles.join(', ')}`);
    }
  };

  const checkPartial = (node: hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement): void => {
    const nameNode = node.name as Node;
    if (nameNode.type === 'SubExpression') {
      report(node, 'TEMPLATE_SYNTAX', 'computed partial names are not supported: name the partial');
      return;
    }
    const name = isPath(nameNode) ? nameNode.original : String((nameNode as hbs.AST.StringLiteral).value);
    if (name !== '@partial-block' && !partials.has(name)) report(node, 'TEMPLATE_NOT_FOUND', `partial "${name}" not found in partials/`);
  };

  const visit = (node: Node | undefined | null): void => {
    if (node === undefined || node === null) return;
    switch (node.type) {
      case 'Program':
        for (const s of (node as hbs.AST.Program).body) visit(s);
        return;
      case 'Decorator':
      case 'DecoratorBlock':
        report(node, 'TEMPLATE_SYNTAX', 'decorators and inline partials are not supported: put shared text in partials/');
        return;
      case 'MustacheStatement':
      case 'SubExpression':
      case 'BlockStatement': {
        const call = node as CallNode;
        checkCall(call);
        for (const p of call.params) visit(p);
        for (const pair of call.hash?.pairs ?? []) visit(pair.value);
        if (node.type === 'BlockStatement') {
          visit((node as hbs.AST.BlockStatement).program);
          visit((node as hbs.AST.BlockStatement).inverse);
        }
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement': {
        const partial = node as hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement;
        checkPartial(partial);
        for (const p of partial.params) visit(p);
        for (const pair of partial.hash?.pairs ?? []) visit(pair.value);
        if (node.type === 'PartialBlockStatement') visit((node as hbs.AST.PartialBlockStatement).program);
        return;
      }
      default:
        return;
    }
  };
  visit(src.ast);
}

/** A variable read in the root context (the MessageContext), with where it is read. */
export interface RootPath {
  readonly parts: readonly string[];
  /** As written in the template, e.g. `citizen.given_name` or `@root.citizen.id`. */
  readonly original: string;
  readonly where: string;
}

/**
 * Every variable path a template reads from the root context, through the partials it
 * includes, whether or not the branch runs for a given citizen. Paths inside `each`,
 * `with`, or partials given another context are left to Handlebars' own strict mode.
 */
export function rootPaths(entry: readonly ParsedSource[], partials: ReadonlyMap<string, ParsedSource>): RootPath[] {
  const found = new Map<string, RootPath>();
  const walk = (src: ParsedSource, node: Node | undefined | null, root: boolean, visiting: ReadonlySet<string>): void => {
    if (node === undefined || node === null) return;
    const expr = (n: Node): void => walk(src, n, root, visiting);
    switch (node.type) {
      case 'Program':
        for (const s of (node as hbs.AST.Program).body) walk(src, s, root, visiting);
        return;
      case 'PathExpression': {
        if (!root) return;
        const p = node as hbs.AST.PathExpression;
        let parts: readonly string[];
        if (p.data) {
          if (p.parts[0] !== 'root' || p.parts.length < 2) return;
          parts = p.parts.slice(1);
        } else {
          if (p.depth > 0 || p.parts.length === 0) return;
          parts = p.parts;
        }
        const where = locate(src.origin, p.loc.start.line, p.loc.start.column);
        found.set(`${p.original}@${where}`, { parts, original: p.original, where });
        return;
      }
      case 'MustacheStatement':
      case 'SubExpression': {
        const call = node as hbs.AST.MustacheStatement | hbs.AST.SubExpression;
        if (node.type === 'SubExpression' || helperName(call) !== null) {
          call.params.forEach(expr);
          for (const pair of call.hash?.pairs ?? []) expr(pair.value);
        } else {
          expr(call.path);
        }
        return;
      }
      case 'BlockStatement': {
        const block = node as hbs.AST.BlockStatement;
        const name = helperName(block);
        if (name === null) expr(block.path);
        block.params.forEach(expr);
        for (const pair of block.hash?.pairs ?? []) expr(pair.value);
        // if/unless keep the context; each, with and sections enter another one.
        walk(src, block.program, root && (name === 'if' || name === 'unless'), visiting);
        walk(src, block.inverse, root, visiting);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement': {
        const call = node as hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement;
        const nameNode = call.name as Node;
        const name = isPath(nameNode) ? nameNode.original : String((nameNode as hbs.AST.StringLiteral).value);
        const partial = partials.get(name);
        call.params.forEach(expr);
        for (const pair of call.hash?.pairs ?? []) expr(pair.value);
        const sameContext = call.params.length === 0 && (call.hash?.pairs.length ?? 0) === 0;
        if (partial !== undefined && !visiting.has(name)) {
          walk(partial, partial.ast, root && sameContext, new Set([...visiting, name]));
        }
        if (node.type === 'PartialBlockStatement') walk(src, (node as hbs.AST.PartialBlockStatement).program, root, visiting);
        return;
      }
      default:
        return;
    }
  };
  for (const src of entry) walk(src, src.ast, true, new Set());
  return [...found.values()];
}
