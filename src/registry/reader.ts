/**
 * Streaming reader for registry files: CSV (comma or semicolon, detected from the header;
 * optional UTF-8 BOM; CRLF or LF; UTF-8 or Latin-1) and NDJSON. Yields one record at a time
 * with its line number, so memory does not grow with the file.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { InvitoError } from '../core/errors.js';

export type FileEncoding = 'utf8' | 'latin1';
export type FileFormat = 'csv' | 'ndjson';

export interface SourceRecord {
  /** 1-based line of the file where the record starts (the header is line 1 in CSV). */
  readonly line: number;
  /** Values by column name, as text; a missing or empty value is ''. */
  readonly values: Record<string, string>;
  /** The record as it was in the file, for the rejects file (CSV fields, or the NDJSON line). */
  readonly original: readonly string[];
}

/** A record the reader could not turn into values (bad JSON, wrong field count): rejected, not fatal. */
export interface BrokenRecord {
  readonly line: number;
  readonly reason: string;
  readonly original: readonly string[];
}

export interface OpenedSource {
  readonly format: FileFormat;
  readonly delimiter: ',' | ';' | null;
  readonly columns: readonly string[];
  /** Columns of the rejects file after `line` and `reason`: the file's own columns, or `record` for NDJSON. */
  readonly originalColumns: readonly string[];
  readonly size: number;
  /** Bytes consumed so far, for progress. */
  bytesRead(): number;
  records(): AsyncGenerator<SourceRecord | BrokenRecord>;
}

export interface ColumnRules {
  readonly known: readonly string[];
  readonly required: readonly string[];
}

const isBroken = (r: SourceRecord | BrokenRecord): r is BrokenRecord => 'reason' in r;
export { isBroken };

async function firstLine(path: string, encoding: FileEncoding): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString(encoding);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (encoding === 'latin1' && text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
    const nl = text.search(/\r?\n/);
    return nl === -1 ? text : text.slice(0, nl);
  } finally {
    await fh.close();
  }
}

function checkColumns(path: string, columns: readonly string[], rules: ColumnRules): void {
  const unknown = columns.filter((c) => !rules.known.includes(c));
  if (unknown.length > 0) {
    throw new InvitoError(
      'IMPORT_UNKNOWN_COLUMN',
      `${path}:1: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')}; expected only: ${rules.known.join(', ')}`,
    );
  }
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup !== undefined) throw new InvitoError('IMPORT_BAD_FORMAT', `${path}:1: column "${dup}" appears twice in the header`);
  const missing = rules.required.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new InvitoError('IMPORT_MISSING_COLUMN', `${path}:1: missing required column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}`);
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
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw new InvitoError('FILE_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  let head: string;
  try {
    head = await firstLine(path, encoding);
  } catch (e) {
    throw new InvitoError('FILE_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const format: FileFormat = options.format ?? (/\.(nd)?jsonl?$/i.test(path) || head.trimStart().startsWith('{') ? 'ndjson' : 'csv');
  if (head.trim() === '') throw new InvitoError('IMPORT_BAD_FORMAT', `${path}:1: the file is empty or has no header`);

  // The header is checked before the file is opened for reading: a wrong header reads nothing.
  let columns: string[];
  let delimiter: ',' | ';' | null = null;
  if (format === 'ndjson') {
    // NDJSON has no header: the columns are the keys of the first object.
    try {
      const first = JSON.parse(head) as unknown;
      if (first === null || typeof first !== 'object' || Array.isArray(first)) throw new Error('not an object');
      columns = Object.keys(first);
    } catch (e) {
      throw new InvitoError('IMPORT_BAD_FORMAT', `${path}:1: the first line is not a JSON object (${(e as Error).message})`);
    }
  } else {
    delimiter = head.split(';').length > head.split(',').length ? ';' : ',';
    columns = head.split(delimiter).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  }
  checkColumns(path, columns, rules);

  const stream = createReadStream(path);
  let consumed = 0;
  stream.on('data', (chunk) => {
    consumed += chunk.length;
  });
  const d = delimiter;
  return {
    format,
    delimiter,
    columns,
    // NDJSON rejects keep the line as it was; CSV rejects keep the file's own columns.
    originalColumns: d === null ? ['record'] : columns,
    size,
    bytesRead: () => consumed,
    records: () => (d === null ? ndjsonRecords(stream, encoding, rules) : csvRecords(stream, encoding, d, columns)),
  };
}

async function* csvRecords(
  stream: NodeJS.ReadableStream,
  encoding: FileEncoding,
  delimiter: string,
  columns: readonly string[],
): AsyncGenerator<SourceRecord | BrokenRecord> {
  // Line numbers are counted here rather than with csv-parse's `info`, which halves its speed:
  // empty lines arrive as one empty field, and a quoted field may span lines.
  const parser = parse({ delimiter, bom: true, encoding, from_line: 2, relax_column_count: true });
  stream.pipe(parser);
  let line = 2;
  for await (const record of parser as AsyncIterable<string[]>) {
    const start = line;
    line++;
    if (record.length === 1 && record[0]!.trim() === '') continue;
    for (const f of record) {
      if (f.includes('\n')) line += f.split('\n').length - 1;
    }
    if (record.length !== columns.length) {
      yield { line: start, reason: `expected ${columns.length} fields, found ${record.length}`, original: record };
      continue;
    }
    const values: Record<string, string> = {};
    for (let i = 0; i < columns.length; i++) values[columns[i]!] = record[i]!.trim();
    yield { line: start, values, original: record };
  }
}

async function* ndjsonRecords(
  stream: NodeJS.ReadableStream,
  encoding: FileEncoding,
  rules: ColumnRules,
): AsyncGenerator<SourceRecord | BrokenRecord> {
  (stream as NodeJS.ReadStream).setEncoding(encoding);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    const t = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (t.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch (e) {
      yield { line, reason: `not valid JSON (${(e as Error).message})`, original: [t] };
      continue;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      yield { line, reason: 'not a JSON object', original: [t] };
      continue;
    }
    const unknown = Object.keys(obj).filter((k) => !rules.known.includes(k));
    if (unknown.length > 0) {
      yield { line, reason: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, original: [t] };
      continue;
    }
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) {
      values[k] = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v).trim();
    }
    yield { line, values, original: [t] };
  }
}
