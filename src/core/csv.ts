/**
 * Every CSV file invito writes goes through here: csv-stringify (the csv-parse project's own
 * writer) with its `escape_formulas`, which is OWASP's rule against CSV injection — a cell that
 * begins with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so a spreadsheet
 * shows it as text instead of running it. Files are written as a new private temporary file
 * in the target's folder and only then given their name, so nobody reads half a file and a
 * symlink planted at the name is never written through.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { type Options, stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';

// csv-stringify quotes only the record delimiter it writes (`\n`); a bare carriage return left
// unquoted would end the row for most readers (csv-parse included), so it is quoted too.
const OPTIONS: Options = { escape_formulas: true, record_delimiter: 'unix', quoted_match: /\r/ };

/** Rows as CSV text, formulas neutralised. */
export const csvText = (rows: readonly (readonly unknown[])[]): string => stringifySync(rows as unknown[][], OPTIONS);

// Registry files invito makes for itself to import (`invito generate`) are input, not a report
// for a spreadsheet: a `+39…` phone must stay a phone, so nothing is neutralised there.
const INPUT_OPTIONS: Options = { record_delimiter: 'unix', quoted_match: /\r/, cast: { boolean: (b) => String(b) } };

/** One record of a registry file meant for `invito import` (no formula neutralising), with its line end. */
export const csvInputRecord = (values: readonly unknown[]): string => stringifySync([values as unknown[]], INPUT_OPTIONS);

/** Files holding personal data (rejected rows, warnings with ids) are readable by their owner only. */
export const PRIVATE = 0o600;

export interface CsvFileOptions {
  /** Permission bits of the new file. @defaultValue {@link PRIVATE} */
  mode?: number;
}

/** A CSV file being written under a temporary name, placed at its final name by `replace` or `placeNew`. */
export class CsvFile {
  private readonly stringifier = stringify(OPTIONS);
  private done: Promise<void>;
  private closed = false;
  rows = 0;

  private constructor(
    /** The temporary file, hidden, next to where the file will go. */
    readonly tempPath: string,
    out: NodeJS.WritableStream,
  ) {
    this.stringifier.pipe(out);
    this.done = finished(out);
    // Until `close` waits on it, a failed write must not be an unhandled rejection.
    this.done.catch(() => {});
  }

  /**
   * Creates the temporary file for `target` in the same folder (a rename never crosses file
   * systems). `wx` is O_CREAT|O_EXCL: it fails rather than open anything that exists at the
   * path, a symlink included.
   */
  static async create(target: string, header: readonly string[], options: CsvFileOptions = {}): Promise<CsvFile> {
    const tempPath = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tempPath, 'wx', options.mode ?? PRIVATE);
    const file = new CsvFile(tempPath, handle.createWriteStream());
    await file.write(header);
    file.rows = 0;
    return file;
  }

  async write(fields: readonly unknown[]): Promise<void> {
    this.rows++;
    if (!this.stringifier.write(fields)) await once(this.stringifier, 'drain');
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stringifier.end();
    await this.done;
  }

  /** Gives the file the name `target`, replacing whatever is there (a symlink itself, not what it points to). */
  async replace(target: string): Promise<void> {
    await this.close();
    await rename(this.tempPath, target);
  }

  /**
   * Gives the file the name `target` only if nothing has it (a hard link is the atomic
   * "create if absent" for a finished file); false, and the file still temporary, otherwise.
   */
  async placeNew(target: string): Promise<boolean> {
    await this.close();
    try {
      await link(this.tempPath, target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    await unlink(this.tempPath);
    return true;
  }

  /** Removes the temporary file. */
  async discard(): Promise<void> {
    await this.close().catch(() => {});
    await unlink(this.tempPath).catch(() => {});
  }
}

/**
 * Writes a whole file (a report) as CsvFile does: a new private temporary file beside `target`,
 * then renamed over it, so nobody reads half a file and a planted symlink is not written through.
 */
export async function writePrivateFile(target: string, body: Buffer | string): Promise<void> {
  const tempPath = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tempPath, 'wx', PRIVATE);
  try {
    await handle.writeFile(body);
  } catch (e) {
    await handle.close();
    await unlink(tempPath).catch(() => {});
    throw e;
  }
  await handle.close();
  await rename(tempPath, target);
}
