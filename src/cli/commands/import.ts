/** `invito import citizens|centers|vaccinations FILE`. */
import { Command, Option } from 'commander';
import { type ImportOptions, type ImportSummary, importCenters, importCitizens, importVaccinations } from '../../registry/import.js';
import type { RegistryStore } from '../../registry/store.js';
import { printJson, progressBar, withStore } from '../context.js';

type Importer = (store: RegistryStore, path: string, options: ImportOptions) => Promise<ImportSummary>;
/** Lines a command prints after the counts (the vaccinations' appointments). */
type Extra = (summary: ImportSummary) => string[];

function importCommand(name: string, what: string, run: Importer, description = `import ${what} from a CSV or NDJSON file (upsert by id; rejected rows go to FILE.rejects.csv)`, extra: Extra = () => []): Command {
  return new Command(name)
    .description(description)
    .argument('<file>', 'CSV (comma or semicolon) or NDJSON file')
    .addOption(new Option('--encoding <encoding>', 'text encoding of the file').choices(['utf8', 'latin1']).default('utf8'))
    .addOption(new Option('--format <format>', 'file format (default: detected)').choices(['csv', 'ndjson']))
    .option('--json', 'print one JSON object with the counts')
    .action(async (file: string, opts: { encoding: 'utf8' | 'latin1'; format?: 'csv' | 'ndjson'; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const bar = opts.json ? null : progressBar(`importing ${what}`);
        const summary: ImportSummary = await run(store.registry, file, {
          encoding: opts.encoding,
          ...(opts.format ? { format: opts.format } : {}),
          ...(bar ? { onProgress: (p) => bar.update(p.bytes, p.size, p.rows) } : {}),
        });
        bar?.end();
        if (opts.json) printJson(summary);
        else {
          process.stdout.write(`imported ${summary.imported} ${what}, rejected ${summary.rejected}, warnings ${summary.warnings}\n`);
          if (summary.rejectsFile) process.stdout.write(`rejected rows: ${summary.rejectsFile}\n`);
          if (summary.warningsFile) process.stdout.write(`warnings: ${summary.warningsFile}\n`);
          for (const line of extra(summary)) process.stdout.write(`${line}\n`);
        }
      });
    });
}

export function register(program: Command): void {
  program
    .command('import')
    .description('import the citizen registry, the vaccination centres or the doses given')
    .addCommand(importCommand('citizens', 'citizens', importCitizens))
    .addCommand(importCommand('centers', 'centres', importCenters))
    .addCommand(
      importCommand(
        'vaccinations',
        'vaccinations',
        importVaccinations,
        'import the doses given (citizen_id, date, dose, center_id): updates the citizens\' doses, marks appointments attended, and past ones without a dose no_show',
        (s) => {
          const v = s as Awaited<ReturnType<typeof importVaccinations>>;
          return [`appointments: ${v.attended} attended, ${v.noShow} no-show`];
        },
      ),
    );
}
