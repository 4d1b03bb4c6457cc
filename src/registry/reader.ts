/**
 * Streaming reader for registry files: CSV (comma or semicolon, detected from the header;
 * optional UTF-8 BOM; CRLF or LF; UTF-8 or Latin-1) and NDJSON. Yields one record at a time
 * with its line number, so memory does not grow with the file.
 *
 * Nothing read from the file reaches a message: reasons name lines, fields and rules. The
 * only file text ever shown is a header cell that looks like a column name.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { InvitoError } from '../core/errors.js';

export type FileEncoding = 'utf8' | 'latin1';
export type FileFormat = 'csv' | 'ndjson';

/**
 * The longest record (a line, or the lines of one quoted field), in characters. A registry row
 * within the column limits is under 2,000; a longer one is rejected without being held whole.
 */
export const MAX_RECORD_CHARS = 65_536;
/** A quoted field spanning more lines than this is taken for a stray quote. */
const MAX_RECORD_LINES = 50;

export interface SourceRecord {
  /** 1-based line of the file where the record starts (the header is line 1 in CSV). */
  readonly line: number;
  /** Values by column name, as text; a missing or empty value is ''. */
  readonly values: Record<string, string>;
  /** The record as it was in the file, for the rejects file (CSV fields, or the NDJSON line). */
  readonly original: readonly string[];
}

/** A record the reader could not turn into values (bad JSON, wrong field count, a stray quote): rejected, not fatal. */
export interface BrokenRecord {
  readonly line: number;
  readonly reason: string;
  readonly original: readonly string[];
}

/** The file cannot be read on from `line`: the import stops there, keeping what came before. */
export interface StopRecord {
  readonly stop: 'IMPORT_MALFORMED' | 'IMPORT_ENCODING';
  readonly line: number;
  readonly reason: string;
}

export type ReadRecord = SourceRecord | BrokenRecord | StopRecord;

export interface OpenedSource {
  readonly format: FileFormat;
  readonly delimiter: ',' | ';' | null;
  readonly columns: readonly string[];
  /** Columns of the rejects file after `line` and `reason`: the file's own columns, or `record` for NDJSON. */
  readonly originalColumns: readonly string[];
  readonly size: number;
  /** Bytes consumed so far, for progress. */
  bytesRead(): number;
  records(): AsyncGenerator<ReadRecord>;
}

export interface ColumnRules {
  readonly known: readonly string[];
  readonly required: readonly string[];
}

export const isBroken = (r: ReadRecord): r is BrokenRecord => 'reason' in r && !('stop' in r);
export const isStop = (r: ReadRecord): r is StopRecord => 'stop' in r;

/** A path as typed may hold control characters; a message shows them escaped, never raw to a terminal. */
// eslint-disable-next-line no-control-regex
export const printable = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

const LATIN1_HINT = 'if the file was saved as Latin-1 (Windows, older Excel exports), import it with --encoding latin1';
const encodingStop = (line: number): StopRecord => ({
  stop: 'IMPORT_ENCODING',
  line,
  reason: `this line holds bytes that are not valid UTF-8; ${LATIN1_HINT}`,
});

/** Byte-order marks of encodings invito does not read (UTF-32 first: its LE mark starts like UTF-16's). */
const BOMS: readonly [string, readonly number[]][] = [
  ['UTF-32LE', [0xff, 0xfe, 0x00, 0x00]],
  ['UTF-32BE', [0x00, 0x00, 0xfe, 0xff]],
  ['UTF-16LE', [0xff, 0xfe]],
  ['UTF-16BE', [0xfe, 0xff]],
];

async function firstLine(path: string, encoding: FileEncoding): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const bytes = buf.subarray(0, bytesRead);
    // UTF-16 and UTF-32 are refused rather than read: every other tool in the chain (and the
    // rejects file) would have to agree on them, and "save as CSV UTF-8" is one click away.
    const bom = BOMS.find(([, mark]) => mark.every((b, i) => bytes[i] === b));
    if (bom) {
      throw new InvitoError('IMPORT_ENCODING', `${printable(path)}:1: the file is ${bom[0]} (byte-order mark); save it as UTF-8 (in Excel: "CSV UTF-8") and import it again`);
    }
    let text = bytes.toString(encoding);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (encoding === 'latin1' && text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
    const nl = text.search(/\r?\n/);
    const head = nl === -1 ? text : text.slice(0, nl);
    if (head.includes('\u0000')) {
      throw new InvitoError('IMPORT_ENCODING', `${printable(path)}:1: the header holds NUL bytes: the file looks like UTF-16 or UTF-32 without a byte-order mark, or is not a text file; save it as UTF-8`);
    }
    if (encoding === 'utf8' && head.includes('\ufffd')) throw new InvitoError('IMPORT_ENCODING', `${printable(path)}:1: ${encodingStop(1).reason}`);
    return head;
  } finally {
    await fh.close();
  }
}

/** What a header cell may look like to be shown in a message: a short identifier, nothing read from a row. */
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;
/** Cells no header has: an address, a run of digits (dates, phones, ids), a date separator between digits. */
const VALUE_LIKE = /@|\d{2}|\d[/.-]\d/;

/** `"a", "b", "c" … and 12 more`. */
function listed(names: readonly string[], max = 8): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(', ');
  return names.length > max ? `${shown} … and ${names.length - max} more` : shown;
}

/** Unknown names, the ones that look like column names shown, the others only counted. */
function unknownList(unknown: readonly string[]): string {
  const shown = unknown.filter((c) => COLUMN_NAME.test(c));
  const hidden = unknown.length - shown.length;
  const parts = [];
  if (shown.length > 0) parts.push(listed(shown));
  if (hidden > 0) parts.push(`${hidden} ${shown.length > 0 ? 'more ' : ''}that ${hidden > 1 ? 'do' : 'does'} not look like a column name (not shown)`);
  return parts.join(' and ');
}

function checkColumns(path: string, columns: readonly string[], rules: ColumnRules, format: FileFormat): void {
  const where = `${printable(path)}:1`;
  const unknown = columns.filter((c) => !rules.known.includes(c));
  if (format === 'csv' && (unknown.length === columns.length || columns.some((c) => VALUE_LIKE.test(c)))) {
    // A file without its header: the "column names" are somebody's id, name and birth date.
    throw new InvitoError(
      'IMPORT_BAD_FORMAT',
      `${where}: line 1 looks like a data row, not a header; the first line must name the columns (${rules.required.join(', ')} are required; known: ${rules.known.join(', ')})`,
    );
  }
  if (unknown.length > 0) {
    throw new InvitoError(
      'IMPORT_UNKNOWN_COLUMN',
      `${where}: unknown column${unknown.length > 1 ? 's' : ''} ${unknownList(unknown)}; expected only: ${rules.known.join(', ')}`,
    );
  }
  // Every column is a known one from here on: naming them shows nothing from the file.
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup !== undefined) throw new InvitoError('IMPORT_BAD_FORMAT', `${where}: column "${dup}" appears twice in the header`);
  const missing = rules.required.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new InvitoError('IMPORT_MISSING_COLUMN', `${where}: missing required column${missing.length > 1 ? 's' : ''} ${listed(missing)}`);
  }
}

/**
 * Opens a registry file, detects its format and delimiter, and checks the header against the
 * column rules before a single row is read (a wrong header is an error, not a file of rejects).
 */
export async function openSource(
  path: string,
  rules: ColumnRules,
  options: { encoding?: FileEncoding; format?: FileFormat } = {},
): Promise<OpenedSource> {
  const encoding = options.encoding ?? 'utf8';
  const unreadable = (e: unknown): InvitoError =>
    new InvitoError('FILE_UNREADABLE', `cannot read ${printable(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw unreadable(e);
  }
  let head: string;
  try {
    head = await firstLine(path, encoding);
  } catch (e) {
    if (e instanceof InvitoError) throw e;
    throw unreadable(e);
  }
  const format: FileFormat = options.format ?? (/\.(nd)?jsonl?$/i.test(path) || head.trimStart().startsWith('{') ? 'ndjson' : 'csv');
  if (head.trim() === '') throw new InvitoError('IMPORT_BAD_FORMAT', `${printable(path)}:1: the file is empty or has no header`);

  // The header is checked before the file is opened for reading: a wrong header reads nothing.
  let columns: string[];
  let delimiter: ',' | ';' | null = null;
  if (format === 'ndjson') {
    // NDJSON has no header: the columns are the keys of the first object.
    const first = parseJsonLine(head);
    if (first === null) throw new InvitoError('IMPORT_BAD_FORMAT', `${printable(path)}:1: the first line is not a JSON object`);
    columns = Object.keys(first);
  } else {
    delimiter = head.split(';').length > head.split(',').length ? ';' : ',';
    columns = (splitQuoted(head, delimiter) ?? head.split(delimiter)).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  }
  checkColumns(path, columns, rules, format);

  let consumed = 0;
  const d = delimiter;
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(path)) {
      consumed += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  };
  return {
    format,
    delimiter,
    columns,
    // NDJSON rejects keep the line as it was; CSV rejects keep the file's own columns.
    originalColumns: d === null ? ['record'] : columns,
    size,
    bytesRead: () => consumed,
    records: () => (d === null ? ndjsonRecords(counted(), encoding, rules) : csvRecords(counted(), encoding, d, columns)),
  };
}

/**
 * The file's lines, a chunk's worth at a time, without their line ends; null stands for a line
 * longer than {@link MAX_RECORD_CHARS}, which is skipped without being held.
 */
async function* physicalLines(chunks: AsyncIterable<Buffer>, encoding: FileEncoding): AsyncGenerator<(string | null)[]> {
  const decoder = new StringDecoder(encoding);
  let pending = '';
  let skipping = false;
  const bare = (line: string): string => (line.endsWith('\r') ? line.slice(0, -1) : line);
  const cut = (text: string, out: (string | null)[]): void => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      if (skipping) {
        skipping = false;
        out.push(null);
      } else {
        const line = pending === '' ? text.slice(start, nl) : pending + text.slice(start, nl);
        pending = '';
        out.push(line.length > MAX_RECORD_CHARS ? null : bare(line));
      }
      start = nl + 1;
    }
    if (skipping) return;
    pending += text.slice(start);
    if (pending.length > MAX_RECORD_CHARS) {
      pending = '';
      skipping = true;
    }
  };
  for await (const chunk of chunks) {
    const out: (string | null)[] = [];
    cut(decoder.write(chunk), out);
    if (out.length > 0) yield out;
  }
  const out: (string | null)[] = [];
  cut(decoder.end(), out);
  if (skipping) out.push(null);
  else if (pending !== '') out.push(bare(pending));
  if (out.length > 0) yield out;
}

const QUOTE = 0x22;

/**
 * Splits one CSV record (one line, or several joined by `\n` when a quoted field spans them)
 * into fields as RFC 4180 reads them: a field that begins with `"` runs to the next lone `"`,
 * `""` inside it is a quote. A quote anywhere else is text (`Mario "Super"`), and so is text
 * after a closing quote (`"Mario"x`), kept as it was — csv-parse's `relax_quotes` reading.
 * Returns null when a quoted field is still open at the end: the record goes on on the next line.
 */
export function splitQuoted(s: string, d: string): string[] | null {
  const fields: string[] = [];
  const n = s.length;
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === QUOTE) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q === -1) return null;
        if (s.charCodeAt(q + 1) === QUOTE) {
          value += s.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        const after = q + 1;
        if (after === n || s[after] === d) {
          fields.push(value + s.slice(j, q));
          i = after;
        } else {
          const end = s.indexOf(d, after);
          const stop = end === -1 ? n : end;
          fields.push(s.slice(i, stop));
          i = stop;
        }
        break;
      }
    } else {
      const end = s.indexOf(d, i);
      const stop = end === -1 ? n : end;
      fields.push(s.slice(i, stop));
      i = stop;
    }
    if (i >= n) return fields;
    i++; // the delimiter
    if (i === n) {
      fields.push('');
      return fields;
    }
  }
}

/**
 * Turns lines into CSV records. Most lines hold no quote and are split as they are. A line that
 * opens a quoted field it does not close starts a record that may span lines — legitimately
 * (an address typed with Alt+Enter) or because of a stray quote, which would otherwise swallow
 * every row up to the next quote in the file. So a spanning record stands only if it closes
 * within {@link MAX_RECORD_LINES} lines and {@link MAX_RECORD_CHARS}, has the header's field
 * count, and no line inside it is a complete row on its own (no quote, the header's field
 * count); otherwise its first line is rejected and reading starts again on the line after it.
 * Nothing valid after a stray quote is lost, and every line number is the line's own.
 */
class CsvRows {
  private open: string[] | null = null;
  private openAt = 0;
  private openChars = 0;

  constructor(
    private readonly d: string,
    private readonly columns: readonly string[],
    private readonly out: (SourceRecord | BrokenRecord)[],
  ) {}

  line(text: string | null, no: number): void {
    const open = this.open;
    if (open !== null) {
      const complete = text !== null && !text.includes('"') && this.fieldCount(text) === this.columns.length;
      if (text === null || complete || open.length >= MAX_RECORD_LINES || this.openChars + text.length >= MAX_RECORD_CHARS) {
        this.abandon();
        this.line(text, no);
        return;
      }
      open.push(text);
      this.openChars += text.length + 1;
      this.tryClose();
      return;
    }
    if (text === null) {
      this.out.push({ line: no, reason: `the line is longer than ${MAX_RECORD_CHARS} characters`, original: [] });
      return;
    }
    if (text.trim() === '') return;
    if (!text.includes('"')) {
      this.emit(no, text.split(this.d), true);
      return;
    }
    this.open = [text];
    this.openAt = no;
    this.openChars = text.length;
    this.tryClose();
  }

  /** At the end of the file, no record may stay open. */
  end(): void {
    while (this.open !== null) this.abandon();
  }

  private fieldCount(text: string): number {
    let n = 1;
    for (let i = text.indexOf(this.d); i !== -1; i = text.indexOf(this.d, i + 1)) n++;
    return n;
  }

  private tryClose(): void {
    const open = this.open!;
    const fields = splitQuoted(open.length === 1 ? open[0]! : open.join('\n'), this.d);
    if (fields === null) return;
    if (open.length > 1 && fields.length !== this.columns.length) {
      this.abandon();
      return;
    }
    this.open = null;
    this.emit(this.openAt, fields, false);
  }

  /** Rejects the first line of the open record and reads the lines after it again. */
  private abandon(): void {
    const [first, ...rest] = this.open!;
    const at = this.openAt;
    this.open = null;
    this.out.push({ line: at, reason: 'a quoted field opened on this line is not closed where the row ends (a stray quote?)', original: first!.split(this.d) });
    for (let i = 0; i < rest.length; i++) this.line(rest[i]!, at + 1 + i);
  }

  private emit(line: number, fields: string[], plain: boolean): void {
    const columns = this.columns;
    if (fields.length !== columns.length) {
      this.out.push({
        line,
        reason: `expected ${columns.length} fields, found ${fields.length}${plain ? '' : ' (check the quotes on this line)'}`,
        original: fields,
      });
      return;
    }
    const values: Record<string, string> = {};
    for (let i = 0; i < columns.length; i++) values[columns[i]!] = readBack(fields[i]!.trim());
    this.out.push({ line, values, original: fields });
  }
}

/**
 * A cell invito's own CSV writer neutralised (`'+39…` in a rejects file, OWASP's rule) reads back
 * as it was, so a row fixed in rejects.csv imports again unchanged. No real value begins with
 * a quote before `=`, `+`, `-` or `@`.
 */
const readBack = (v: string): string => (v.length > 1 && v.charCodeAt(0) === 0x27 && '=+-@'.includes(v[1]!) ? v.slice(1) : v);

async function* csvRecords(
  chunks: AsyncIterable<Buffer>,
  encoding: FileEncoding,
  delimiter: string,
  columns: readonly string[],
): AsyncGenerator<ReadRecord> {
  const out: (SourceRecord | BrokenRecord)[] = [];
  const rows = new CsvRows(delimiter, columns, out);
  const utf8 = encoding === 'utf8';
  let no = 0;
  for await (const lines of physicalLines(chunks, encoding)) {
    for (const text of lines) {
      no++;
      if (no === 1) continue; // the header, checked by openSource
      // StringDecoder turns undecodable bytes into U+FFFD; a real U+FFFD in a registry means
      // it was damaged before it got here, which is worth stopping for too.
      if (utf8 && text !== null && text.includes('\ufffd')) {
        rows.end();
        yield* out;
        yield encodingStop(no);
        return;
      }
      rows.line(text, no);
    }
    yield* out;
    out.length = 0;
  }
  rows.end();
  yield* out;
}

/** A JSON object, or null when the text is not one; JSON.parse's own message quotes the text, so it is not kept. */
function parseJsonLine(text: string): Record<string, unknown> | null {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return null;
  }
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>) : null;
}

async function* ndjsonRecords(chunks: AsyncIterable<Buffer>, encoding: FileEncoding, rules: ColumnRules): AsyncGenerator<ReadRecord> {
  let line = 0;
  for await (const lines of physicalLines(chunks, encoding)) {
    for (const text of lines) {
      line++;
      if (text === null) {
        yield { line, reason: `the line is longer than ${MAX_RECORD_CHARS} characters`, original: [] };
        continue;
      }
      const t = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (t.trim() === '') continue;
      if (encoding === 'utf8' && t.includes('\ufffd')) {
        yield encodingStop(line);
        return;
      }
      if (!t.trimStart().startsWith('{')) {
        yield { line, reason: 'not a JSON object', original: [t] };
        continue;
      }
      const obj = parseJsonLine(t);
      if (obj === null) {
        yield { line, reason: 'not valid JSON', original: [t] };
        continue;
      }
      const unknown = Object.keys(obj).filter((k) => !rules.known.includes(k));
      if (unknown.length > 0) {
        yield { line, reason: `unknown field${unknown.length > 1 ? 's' : ''} ${unknownList(unknown)}`, original: [t] };
        continue;
      }
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(obj)) {
        values[k] = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v).trim();
      }
      yield { line, values, original: [t] };
    }
  }
}
