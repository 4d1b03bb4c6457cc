/**
 * `invito generate citizens|centers`: synthetic registries and centres for trying
 * invito out, testing importers and benchmarking, without touching real health data.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { InvitoError } from '../../core/errors.js';
import {
  DEFAULT_AS_OF,
  DEFAULT_CAPACITY,
  DEFAULT_DIRTY_SHARE,
  DEFAULT_SEED,
  MAX_CITIZENS,
  NATIONAL_CENTERS,
  generateCenters,
  generateCitizens,
  resolveRegions,
  writeCenters,
  writeCitizens,
  type OutputFormat,
} from '../../synthetic/generate.js';
import { MAX_DAILY_CAPACITY } from '../../registry/centers.js';

const usage = (message: string): InvitoError => new InvitoError('USAGE', message);

function positiveInt(flag: string, value: unknown, max: number): number {
  const s = String(value);
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw usage(`${flag} must be an integer from 1 to ${max}, not ${s}`);
  return n;
}

function seedOf(value: unknown): number {
  const s = String(value);
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n <= 0xffffffff)) throw usage(`--seed must be an integer from 0 to 4294967295, not ${s}`);
  return n;
}

/** `--dirty` alone means the default share; `--dirty 0.1` a share of 10%. */
function shareOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (value === true) return DEFAULT_DIRTY_SHARE;
  const s = String(value);
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : NaN;
  if (!(n >= 0 && n <= 1)) throw usage(`--dirty takes a share between 0 and 1, not ${s}`);
  return n;
}

function asOfOf(value: unknown): string {
  const s = String(value);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const t = m ? new Date(`${s}T00:00:00Z`) : undefined;
  if (!t || Number.isNaN(t.getTime()) || t.toISOString().slice(0, 10) !== s) {
    throw usage(`--as-of must be a date written YYYY-MM-DD, not ${s}`);
  }
  return s;
}

function regionsOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = String(value)
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  if (list.length === 0) throw usage('--regions needs at least one region code, such as LAZ,LOM');
  return resolveRegions(list);
}

function formatOf(value: unknown): OutputFormat {
  if (value === 'csv' || value === 'ndjson') return value;
  throw usage(`--format must be csv or ndjson, not ${String(value)}`);
}

interface Output {
  stream: Writable;
  label: string;
  close(): Promise<void>;
}

function openOutput(path: string): Output {
  if (path === '-') return { stream: process.stdout, label: 'stdout', close: async () => {} };
  const stream = createWriteStream(path);
  // The file opens asynchronously; keep an 'error' listener for the stream's whole life
  // so a failure between writes is reported instead of crashing the process.
  let failure: Error | undefined;
  stream.on('error', (e) => {
    failure ??= e;
  });
  return {
    stream,
    label: path,
    close: async () => {
      if (failure) throw failure;
      stream.end();
      await finished(stream);
    },
  };
}

/** Runs a write into `--out`, turning I/O failures into a usage error on the flag. */
async function withOutput<T>(path: string, write: (out: Writable) => Promise<T>): Promise<{ result: T; label: string } | undefined> {
  const out = openOutput(path);
  try {
    const result = await write(out.stream);
    await out.close();
    return { result, label: out.label };
  } catch (e) {
    // A reader that stops early (`| head`) is not an error.
    if (path === '-' && (e as NodeJS.ErrnoException).code === 'EPIPE') return undefined;
    if (e instanceof InvitoError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw usage(`cannot write --out ${path}: ${code}`);
  }
}

export function register(program: Command): void {
  const generate = program
    .command('generate')
    .description('write synthetic data that follows the real Italian population and vaccination sites');

  generate
    .command('citizens')
    .description('a citizen registry: regions and ages as in data/italy/platea.csv')
    .requiredOption('--count <n>', 'number of citizens, exactly')
    .requiredOption('--out <file>', 'file to write, or - for stdout')
    .option('--seed <s>', 'seed: the same seed and options give the same bytes', String(DEFAULT_SEED))
    .option('--as-of <date>', 'day the ages and doses refer to', DEFAULT_AS_OF)
    .option('--dirty [share]', `make this share of rows bad, to test importers (alone: ${DEFAULT_DIRTY_SHARE})`)
    .option('--regions <codes>', 'only these regions, e.g. LAZ,LOM')
    .option('--format <format>', 'csv or ndjson', 'csv')
    .action(async (opts: Record<string, unknown>) => {
      const options = {
        count: positiveInt('--count', opts['count'], MAX_CITIZENS),
        seed: seedOf(opts['seed']),
        asOf: asOfOf(opts['asOf']),
        dirty: shareOf(opts['dirty']),
        regions: regionsOf(opts['regions']),
        format: formatOf(opts['format']),
      };
      // Check the options before opening --out, which truncates it.
      generateCitizens(options);
      const done = await withOutput(String(opts['out']), (out) => writeCitizens(out, options));
      if (done === undefined) return;
      const bad = Object.values(done.result.bad).reduce((a, b) => a + b, 0);
      process.stderr.write(
        `wrote ${done.result.rows} citizens to ${done.label}${options.dirty === undefined ? '' : ` (${bad} bad rows)`}\n`,
      );
    });

  generate
    .command('centers')
    .description(`vaccination centres with real site names (all Italy: ${NATIONAL_CENTERS}, by population)`)
    .requiredOption('--out <file>', 'file to write, or - for stdout')
    .option('--count <n>', 'number of centres (default: every site of --regions, or 293 for Italy)')
    .option('--capacity <n>', 'doses a day per centre', String(DEFAULT_CAPACITY))
    .option('--regions <codes>', 'only these regions, e.g. LAZ')
    .option('--seed <s>', 'seed: the same seed and options give the same bytes', String(DEFAULT_SEED))
    .action(async (opts: Record<string, unknown>) => {
      const options = {
        count: opts['count'] === undefined ? undefined : positiveInt('--count', opts['count'], 99_999),
        capacity: positiveInt('--capacity', opts['capacity'], MAX_DAILY_CAPACITY),
        regions: regionsOf(opts['regions']),
        seed: seedOf(opts['seed']),
      };
      // Centres are few: generate them first so that bad options never truncate --out.
      const centers = generateCenters(options);
      const done = await withOutput(String(opts['out']), (out) => writeCenters(out, centers));
      if (done === undefined) return;
      process.stderr.write(`wrote ${centers.length} centers to ${done.label}\n`);
    });
}
