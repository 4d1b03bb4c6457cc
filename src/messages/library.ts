/**
 * The template library: every template of a folder, compiled once at load, rendered
 * without touching the filesystem again.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { InvitoError, type ErrorCode } from '../core/errors.js';
import { sampleContext, type MessageContext } from './context.js';
import { directionOf, HELPERS, HelperError, type CallSite, type RenderData } from './helpers.js';
import { analyseSms, transliterate, type SmsInfo } from './sms.js';
import {
  BUILTIN_HELPERS,
  isTemplateId,
  lintSource,
  locate,
  parsePartialFileName,
  parseSource,
  parseTemplateFileName,
  rootPaths,
  siteKey,
  splitEmail,
  type Channel,
  type ParsedSource,
  type RootPath,
  type SourceOrigin,
  type TemplateIssue,
} from './source.js';

/** The language every campaign falls back to last: the authority's. */
export const FALLBACK_LANGUAGE = 'it';

/** How SMS texts are finished. */
export interface SmsOptions {
  /** Replace characters that force UCS-2 (typically in names) by GSM-7 look-alikes. */
  readonly transliterate: boolean;
  /** More segments than this is SMS_TOO_LONG. */
  readonly maxSegments: number;
}

/**
 * @defaultValue transliterate: true (a name with `È` must not double the cost of a
 * campaign); maxSegments: 10, the concatenation most providers accept.
 */
export const DEFAULT_SMS_OPTIONS: SmsOptions = { transliterate: true, maxSegments: 10 };

interface RenderedBase {
  readonly templateId: string;
  /** The language the text is written in, after fallback. */
  readonly language: string;
  /** Plain text, never HTML-escaped, trimmed at both ends. */
  readonly text: string;
}
export interface RenderedSms extends RenderedBase {
  readonly channel: 'sms';
  readonly sms: SmsInfo;
}
export interface RenderedEmail extends RenderedBase {
  readonly channel: 'email';
  /** One line. */
  readonly subject: string;
  /** Values HTML-escaped. */
  readonly html: string;
}
export interface RenderedText extends RenderedBase {
  readonly channel: 'voice' | 'call';
}
export type RenderedMessage = RenderedSms | RenderedEmail | RenderedText;
/** The rendered message type of a channel. */
export type RenderedFor<C extends Channel> = C extends 'sms' ? RenderedSms : C extends 'email' ? RenderedEmail : RenderedText;

export interface RenderRequest<C extends Channel = Channel> {
  readonly templateId: string;
  readonly channel: C;
  readonly context: MessageContext;
  /** The campaign's default language, tried after the citizen's. */
  readonly defaultLanguage: string;
  /** SMS only; merged over DEFAULT_SMS_OPTIONS. */
  readonly sms?: Partial<SmsOptions>;
}

export interface CheckRequest {
  readonly templateId: string;
  readonly channels: readonly Channel[];
  /** Languages of the citizens the campaign reaches. */
  readonly languages: readonly string[];
  readonly defaultLanguage: string;
  readonly sms?: Partial<SmsOptions>;
  /**
   * The context to render samples with (e.g. sampleContext(lang, configuredBaseUrl)); its
   * citizen's language is set to each language checked, and its sex and names varied.
   * @defaultValue sampleContext(language)
   */
  readonly sample?: MessageContext;
}

/** A compiled template folder. */
export interface TemplateLibrary {
  /** The folder it was loaded from. */
  readonly dir: string;
  /** Template ids, sorted. */
  templateIds(): string[];
  /** Whether `<templateId>/<channel>.<language>.hbs` exists. */
  has(templateId: string, channel: Channel, language: string): boolean;
  /** Languages a template exists in for a channel, sorted; empty when it does not exist. */
  languages(templateId: string, channel: Channel): string[];
  /**
   * The language a message is written in: the citizen's, else the campaign's default, else
   * Italian. A regional tag falls back to its language (`de-AT` → `de`).
   * @returns null when none of them exists.
   */
  resolveLanguage(templateId: string, channel: Channel, citizenLanguage: string, defaultLanguage: string): string | null;
  /**
   * Renders one message.
   * @throws InvitoError TEMPLATE_NOT_FOUND, TEMPLATE_LANGUAGE_MISSING, TEMPLATE_MISSING_VARIABLE,
   *   TEMPLATE_SYNTAX (a helper given a value it cannot use), SMS_TOO_LONG. Messages name the
   *   template, the place and the citizen id, never personal data.
   * @example
   * lib.render({ templateId: 'invite', channel: 'sms', context, defaultLanguage: 'it' }).sms.segments
   */
  render<C extends Channel>(request: RenderRequest<C>): RenderedFor<C>;
  /**
   * Campaign validation: every channel has the template, every language is covered (directly
   * or by fallback), and each template in use renders a representative context for several
   * citizens (F, M, X, unknown sex without names) within the SMS limit. Reports every
   * problem; an empty list means the campaign's messages are sound.
   */
  check(request: CheckRequest): TemplateIssue[];
  /**
   * Renders short inline sources (a WhatsApp content template's variables, messages/whatsapp.ts)
   * with the templates' helpers and partials, strict like a template file, in `language`.
   * Each value is trimmed and its whitespace runs collapsed to one space.
   * @throws InvitoError TEMPLATE_SYNTAX or TEMPLATE_MISSING_VARIABLE naming `where` and the key (never the data).
   */
  renderInline(sources: Readonly<Record<string, string>>, context: MessageContext, language: string, where: string): Record<string, string>;
}

type CompiledFn = Handlebars.TemplateDelegate<MessageContext>;

interface CompiledTemplate {
  readonly templateId: string;
  readonly channel: Channel;
  readonly language: string;
  /** `invite/sms.it`, as error messages name a template. */
  readonly key: string;
  readonly text: CompiledFn;
  readonly subject: CompiledFn | null;
  readonly html: CompiledFn | null;
  readonly paths: readonly RootPath[];
}

const textEnv = (): typeof Handlebars => {
  const env = Handlebars.create();
  env.registerHelper(HELPERS as Handlebars.HelperDeclareSpec);
  return env;
};

const KNOWN = Object.fromEntries([...BUILTIN_HELPERS, ...Object.keys(HELPERS)].map((h) => [h, true]));
// strict: a missing variable throws instead of printing nothing; knownHelpersOnly: an unknown
// helper is a load error, and plain `{{name}}` is always a lookup (faster, and checked by strict).
const TEXT_OPTIONS = { strict: true, noEscape: true, knownHelpers: KNOWN, knownHelpersOnly: true };
const HTML_OPTIONS = { strict: true, noEscape: false, knownHelpers: KNOWN, knownHelpersOnly: true };

function compileEager(env: typeof Handlebars, ast: hbs.AST.Program, options: object): CompiledFn {
  // Handlebars.compile defers compilation to the first call; precompiling and instantiating
  // the spec (what compile does internally) surfaces compiler errors at load instead. The
  // compiler rewrites the AST it is given, and partials are compiled twice (text and HTML).
  const spec = env.precompile(structuredClone(ast), options) as unknown as string;
  return env.template(new Function(`return ${spec}`)() as TemplateSpecification);
}

function smsOptions(options: Partial<SmsOptions> | undefined): SmsOptions {
  const merged = { ...DEFAULT_SMS_OPTIONS, ...options };
  if (!(merged.maxSegments >= 1)) throw new InvitoError('CONFIG_INVALID', `sms.maxSegments must be at least 1, got ${merged.maxSegments}`);
  return merged;
}

const normaliseLanguage = (tag: string): string => tag.trim().toLowerCase().replace(/_/g, '-');

function pathMissing(context: unknown, parts: readonly string[]): boolean {
  let cur = context;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return true;
    cur = (cur as Record<string, unknown>)[part];
  }
  return false;
}

class Library implements TemplateLibrary {
  constructor(
    readonly dir: string,
    private readonly templates: ReadonlyMap<string, ReadonlyMap<Channel, ReadonlyMap<string, CompiledTemplate>>>,
    private readonly origins: ReadonlyMap<string, SourceOrigin>,
    private readonly helperArgs: ReadonlyMap<string, readonly (string | null)[]>,
    private readonly textEnv: typeof Handlebars,
  ) {}

  /** Inline sources compiled once each (a campaign's few variables, shared by every message). */
  private readonly inline = new Map<string, CompiledFn>();

  renderInline(sources: Readonly<Record<string, string>>, context: MessageContext, language: string, where: string): Record<string, string> {
    const data: RenderData = { language, timezone: context.campaign.timezone };
    const out: Record<string, string> = {};
    for (const [key, source] of Object.entries(sources)) {
      let fn = this.inline.get(source);
      try {
        if (fn === undefined) {
          fn = compileEager(this.textEnv, Handlebars.parse(source), TEXT_OPTIONS);
          if (this.inline.size > 1000) this.inline.clear();
          this.inline.set(source, fn);
        }
        out[key] = fn(context, { data }).replace(/\s+/g, ' ').trim();
      } catch (e) {
        const err = e as { message?: unknown };
        const name = typeof err.message === 'string' ? /^"([^"]+)" not defined in /.exec(err.message)?.[1] : undefined;
        // The source is the campaign author's text, never a citizen's data: it may be quoted.
        if (name !== undefined) throw new InvitoError('TEMPLATE_MISSING_VARIABLE', `${where}: variable ${key} (${source}): ${name} is not defined; citizen ${context.citizen.id}`);
        const reason = e instanceof HelperError ? `helper ${e.helper} ${e.message}` : fn === undefined ? 'is not a valid Handlebars expression' : 'cannot be rendered';
        throw new InvitoError('TEMPLATE_SYNTAX', `${where}: variable ${key} ${reason}; citizen ${context.citizen.id}`);
      }
    }
    return out;
  }

  templateIds(): string[] {
    return [...this.templates.keys()].sort();
  }

  has(templateId: string, channel: Channel, language: string): boolean {
    return this.templates.get(templateId)?.get(channel)?.has(language) ?? false;
  }

  languages(templateId: string, channel: Channel): string[] {
    return [...(this.templates.get(templateId)?.get(channel)?.keys() ?? [])].sort();
  }

  resolveLanguage(templateId: string, channel: Channel, citizenLanguage: string, defaultLanguage: string): string | null {
    const byLanguage = this.templates.get(templateId)?.get(channel);
    if (byLanguage === undefined) return null;
    for (const tag of [citizenLanguage, defaultLanguage, FALLBACK_LANGUAGE]) {
      const full = normaliseLanguage(tag);
      if (byLanguage.has(full)) return full;
      const primary = full.split('-')[0] ?? '';
      if (byLanguage.has(primary)) return primary;
    }
    return null;
  }

  render<C extends Channel>(request: RenderRequest<C>): RenderedFor<C> {
    const { templateId, channel, context } = request;
    const template = this.pick(templateId, channel, context.citizen.language, request.defaultLanguage, context.citizen.id);
    const missing = this.missingPaths(template, context);
    const first = missing[0];
    if (first !== undefined) {
      throw new InvitoError(
        'TEMPLATE_MISSING_VARIABLE',
        `template ${template.key}: variable ${first.original} is not defined (${first.where}); citizen ${context.citizen.id}`,
        { issues: missing.map((m) => ({ where: m.where, message: `variable ${m.original} is not defined` })) },
      );
    }
    return this.execute(template, context, smsOptions(request.sms)) as RenderedFor<C>;
  }

  check(request: CheckRequest): TemplateIssue[] {
    const issues = new Map<string, TemplateIssue>();
    const add = (issue: TemplateIssue): void => void issues.set(`${issue.code}|${issue.where}|${issue.message}`, issue);
    const sms = smsOptions(request.sms);
    const { templateId, defaultLanguage } = request;
    for (const channel of request.channels) {
      const byLanguage = this.templates.get(templateId)?.get(channel);
      if (byLanguage === undefined) {
        add({ code: 'TEMPLATE_NOT_FOUND', where: `${templateId}/${channel}`, message: `no ${channel} template "${templateId}" in ${this.dir}` });
        continue;
      }
      const used = new Set<string>();
      for (const language of new Set([...request.languages, defaultLanguage])) {
        const resolved = this.resolveLanguage(templateId, channel, language, defaultLanguage);
        if (resolved === null) {
          add({
            code: 'TEMPLATE_LANGUAGE_MISSING',
            where: `${templateId}/${channel}.${language}`,
            message: `no ${channel} template "${templateId}" in ${language}, in the default ${defaultLanguage}, or in ${FALLBACK_LANGUAGE}`,
          });
        } else {
          used.add(resolved);
        }
      }
      for (const language of used) {
        const template = byLanguage.get(language) as CompiledTemplate;
        let longest: RenderedSms | null = null;
        for (const context of sampleVariants(request.sample ?? sampleContext(language), language)) {
          const missing = this.missingPaths(template, context);
          for (const m of missing) {
            add({ code: 'TEMPLATE_MISSING_VARIABLE', where: m.where, message: `template ${template.key}: variable ${m.original} is not defined` });
          }
          if (missing.length > 0) continue;
          try {
            // The limit is applied once below, to the longest sample, so it is reported once.
            const rendered = this.execute(template, context, { ...sms, maxSegments: Infinity });
            if (rendered.channel === 'sms' && (longest === null || rendered.sms.units > longest.sms.units)) longest = rendered;
          } catch (e) {
            if (!(e instanceof InvitoError)) throw e;
            add({ code: e.code, where: template.key, message: e.message });
          }
        }
        if (longest !== null && longest.sms.segments > sms.maxSegments) {
          const { segments, encoding, units } = longest.sms;
          add({
            code: 'SMS_TOO_LONG',
            where: template.key,
            message: `template ${template.key}: ${segments} segments (${encoding}, ${units} units) with the sample citizens, more than ${sms.maxSegments}`,
          });
        }
      }
    }
    return [...issues.values()];
  }

  private pick(templateId: string, channel: Channel, citizenLanguage: string, defaultLanguage: string, citizenId: string): CompiledTemplate {
    const byLanguage = this.templates.get(templateId)?.get(channel);
    if (byLanguage === undefined) {
      throw new InvitoError('TEMPLATE_NOT_FOUND', `no ${channel} template "${templateId}" in ${this.dir}; citizen ${citizenId}`);
    }
    const language = this.resolveLanguage(templateId, channel, citizenLanguage, defaultLanguage);
    if (language === null) {
      throw new InvitoError(
        'TEMPLATE_LANGUAGE_MISSING',
        `template ${templateId}/${channel}: none of ${citizenLanguage}, ${defaultLanguage}, ${FALLBACK_LANGUAGE} exists; citizen ${citizenId}`,
      );
    }
    return byLanguage.get(language) as CompiledTemplate;
  }

  private missingPaths(template: CompiledTemplate, context: MessageContext): RootPath[] {
    return template.paths.filter((p) => pathMissing(context, p.parts));
  }

  private execute(template: CompiledTemplate, context: MessageContext, sms: SmsOptions): RenderedMessage {
    const data: RenderData = { language: template.language, timezone: context.campaign.timezone, dir: directionOf(template.language) };
    const run = (fn: CompiledFn): string => {
      try {
        return fn(context, { data });
      } catch (e) {
        throw this.renderError(template, context.citizen.id, e);
      }
    };
    const base = { templateId: template.templateId, language: template.language, text: run(template.text).trim() };
    switch (template.channel) {
      case 'sms': {
        const text = sms.transliterate ? transliterate(base.text) : base.text;
        const info = analyseSms(text);
        if (info.segments > sms.maxSegments) {
          throw new InvitoError(
            'SMS_TOO_LONG',
            `template ${template.key}: ${info.segments} segments (${info.encoding}, ${info.units} units), more than ${sms.maxSegments}; citizen ${context.citizen.id}`,
          );
        }
        return { ...base, channel: 'sms', text, sms: info };
      }
      case 'email':
        return {
          ...base,
          channel: 'email',
          subject: run(template.subject as CompiledFn).replace(/\s+/g, ' ').trim(),
          html: run(template.html as CompiledFn).trim(),
        };
      default:
        // Template files are sms, email, voice or call (source.ts TEMPLATE_FILE); WhatsApp is a content template (whatsapp.ts).
        return { ...base, channel: template.channel as 'voice' | 'call' };
    }
  }

  // Handlebars' own messages may quote data ("… in Mario"), so none is passed on: the error
  // is rebuilt from the template, the call site and the citizen id.
  private renderError(template: CompiledTemplate, citizenId: string, e: unknown): InvitoError {
    if (e instanceof HelperError) {
      const where = this.where(e.site);
      const arg = e.argument === null ? null : (this.helperArgs.get(siteKey(e.site.source, e.site.start.line, e.site.start.column))?.[e.argument] ?? null);
      const subject = arg === null ? `helper ${e.helper}` : `variable ${arg} (helper ${e.helper})`;
      return new InvitoError(e.code, `template ${template.key}: ${subject} ${e.message} (${where}); citizen ${citizenId}`);
    }
    const err = e as { message?: unknown; lineNumber?: unknown; column?: unknown };
    const name = typeof err.message === 'string' ? /^"([^"]+)" not defined in /.exec(err.message)?.[1] : undefined;
    if (name !== undefined) {
      // Only inside each/with blocks: Handlebars reports the position but not which source.
      const at = typeof err.lineNumber === 'number' ? ` at line ${err.lineNumber}:${Number(err.column) + 1} of the template or a partial` : '';
      return new InvitoError('TEMPLATE_MISSING_VARIABLE', `template ${template.key}: variable ${name} is not defined${at}; citizen ${citizenId}`);
    }
    const kind = e instanceof Error ? e.name : typeof e;
    return new InvitoError('INTERNAL', `template ${template.key}: rendering failed (${kind}); citizen ${citizenId}`);
  }

  private where(site: CallSite): string {
    const origin = this.origins.get(site.source);
    return origin === undefined ? `${site.source}:${site.start.line}` : locate(origin, site.start.line, site.start.column);
  }
}

/** Sample citizens that take every branch a template is likely to have: F, M, X, and no names nor sex. */
function sampleVariants(sample: MessageContext, language: string): MessageContext[] {
  const citizen = { ...sample.citizen, language };
  return [
    { ...sample, citizen: { ...citizen, sex: 'F' } },
    { ...sample, citizen: { ...citizen, sex: 'M' } },
    { ...sample, citizen: { ...citizen, sex: 'X' } },
    { ...sample, citizen: { ...citizen, sex: null, given_name: null, family_name: null, full_name: '' } },
  ];
}

async function readFolder(path: string): Promise<{ name: string; isDir: boolean }[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, isDir: e.isDirectory() })).sort((a, b) => a.name.localeCompare(b.name));
  } catch (e) {
    throw new InvitoError('FILE_UNREADABLE', `cannot read template folder ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
}

const readText = async (file: string): Promise<string> => (await readFile(file, 'utf8')).replace(/\r\n?/g, '\n');

interface PendingTemplate {
  readonly templateId: string;
  readonly channel: Channel;
  readonly language: string;
  readonly file: string;
  readonly text: ParsedSource;
  readonly subject: ParsedSource | null;
  readonly html: ParsedSource | null;
}

function raise(dir: string, issues: readonly TemplateIssue[]): never {
  const first = issues[0] as TemplateIssue;
  const code: ErrorCode = issues.some((i) => i.code === 'TEMPLATE_SYNTAX') ? 'TEMPLATE_SYNTAX' : first.code;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new InvitoError(code, `templates in ${dir}: ${first.where}: ${first.message}${more}`, { issues });
}

/**
 * Reads and compiles a template folder: `partials/*.hbs` and `<template-id>/<channel>.<lang>.hbs`
 * (the layout and the email format are described in templates/README.md). Files not ending
 * in `.hbs` and hidden folders are ignored.
 *
 * @throws InvitoError FILE_UNREADABLE when the folder cannot be read; TEMPLATE_SYNTAX (or
 *   TEMPLATE_NOT_FOUND for a missing partial) listing every problem in `issues`, each with file:line:column.
 * @example
 * const lib = await loadTemplates('templates');
 */
export async function loadTemplates(dir: string): Promise<TemplateLibrary> {
  const issues: TemplateIssue[] = [];
  const entries = await readFolder(dir);

  const partialSources = new Map<string, ParsedSource>();
  if (entries.some((e) => e.name === 'partials' && e.isDir)) {
    for (const entry of await readFolder(join(dir, 'partials'))) {
      if (entry.isDir || !entry.name.endsWith('.hbs')) continue;
      const file = join(dir, 'partials', entry.name);
      const name = parsePartialFileName(entry.name);
      if (name === null) {
        issues.push({ code: 'TEMPLATE_SYNTAX', where: file, message: 'a partial file is named <name>.hbs (letters, digits, . _ -)' });
        continue;
      }
      // A one-line partial is used inside a sentence (`at {{> place}}.`), so its line break is
      // dropped; a longer one keeps it, so the line after a standalone `{{> faq.it}}` stays apart.
      const raw = await readText(file);
      const source = /^[^\n]*\n$/.test(raw) ? raw.slice(0, -1) : raw;
      const parsed = parseSource(`partials/${entry.name}`, source, { file, lineOffset: 0 }, issues);
      if (parsed !== null) partialSources.set(name, parsed);
    }
  }

  const pending: PendingTemplate[] = [];
  for (const folder of entries) {
    if (!folder.isDir || folder.name === 'partials' || folder.name.startsWith('.')) continue;
    if (!isTemplateId(folder.name)) {
      issues.push({ code: 'TEMPLATE_SYNTAX', where: join(dir, folder.name), message: 'a template id is lower case letters, digits, - and _' });
      continue;
    }
    for (const entry of await readFolder(join(dir, folder.name))) {
      if (entry.isDir || !entry.name.endsWith('.hbs')) continue;
      const file = join(dir, folder.name, entry.name);
      const parsedName = parseTemplateFileName(entry.name);
      if (parsedName === null) {
        issues.push({ code: 'TEMPLATE_SYNTAX', where: file, message: 'a template file is named <channel>.<lang>.hbs, channel sms, email, voice or call' });
        continue;
      }
      const rel = `${folder.name}/${entry.name}`;
      const source = await readText(file);
      const base = { templateId: folder.name, ...parsedName, file };
      if (parsedName.channel !== 'email') {
        const text = parseSource(rel, source, { file, lineOffset: 0 }, issues);
        if (text !== null) pending.push({ ...base, text, subject: null, html: null });
        continue;
      }
      const parts = splitEmail(source, file, issues);
      if (parts === null) continue;
      const part = (suffix: string, p: { text: string; line: number }) =>
        parseSource(`${rel}#${suffix}`, p.text, { file, lineOffset: p.line - 1 }, issues);
      const subject = part('subject', parts.subject);
      const text = part('text', parts.text);
      const html = part('html', parts.html);
      if (subject !== null && text !== null && html !== null) pending.push({ ...base, text, subject, html });
    }
  }

  const helperArgs = new Map<string, readonly (string | null)[]>();
  const partialNames = new Set(partialSources.keys());
  const allSources = [...partialSources.values(), ...pending.flatMap((t) => [t.subject, t.text, t.html].filter((s) => s !== null))];
  for (const src of allSources) lintSource(src, partialNames, issues, helperArgs);
  if (issues.length > 0) raise(dir, issues);
  const pathsOf = new Map(pending.map((t) => [t, rootPaths([t.subject, t.text, t.html].filter((s) => s !== null), partialSources)]));

  const text = textEnv();
  const html = textEnv();
  const compile = (env: typeof Handlebars, src: ParsedSource, options: object): CompiledFn | null => {
    try {
      return compileEager(env, src.ast, options);
    } catch (e) {
      const err = e as Error & { lineNumber?: number; column?: number };
      issues.push({ code: 'TEMPLATE_SYNTAX', where: locate(src.origin, err.lineNumber ?? 1, err.column ?? 0), message: err.message.replace(/ - \d+:\d+$/, '') });
      return null;
    }
  };
  for (const [name, src] of partialSources) {
    const forText = compile(text, src, TEXT_OPTIONS);
    const forHtml = compile(html, src, HTML_OPTIONS);
    if (forText !== null) text.registerPartial(name, forText);
    if (forHtml !== null) html.registerPartial(name, forHtml);
  }

  const templates = new Map<string, Map<Channel, Map<string, CompiledTemplate>>>();
  for (const t of pending) {
    const textFn = compile(text, t.text, TEXT_OPTIONS);
    const subjectFn = t.subject === null ? null : compile(text, t.subject, TEXT_OPTIONS);
    const htmlFn = t.html === null ? null : compile(html, t.html, HTML_OPTIONS);
    if (textFn === null || (t.subject !== null && subjectFn === null) || (t.html !== null && htmlFn === null)) continue;
    const byChannel = templates.get(t.templateId) ?? new Map<Channel, Map<string, CompiledTemplate>>();
    templates.set(t.templateId, byChannel);
    const byLanguage = byChannel.get(t.channel) ?? new Map<string, CompiledTemplate>();
    byChannel.set(t.channel, byLanguage);
    byLanguage.set(t.language, {
      templateId: t.templateId,
      channel: t.channel,
      language: t.language,
      key: `${t.templateId}/${t.channel}.${t.language}`,
      text: textFn,
      subject: subjectFn,
      html: htmlFn,
      paths: pathsOf.get(t) ?? [],
    });
  }
  if (issues.length > 0) raise(dir, issues);

  const origins = new Map(allSources.map((s) => [s.name, s.origin]));
  return new Library(dir, templates, origins, helperArgs, text);
}
