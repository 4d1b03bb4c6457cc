/**
 * `invito report CAMPAIGN --date D --format csv|xlsx|pdf --out FILE [--center C] [--kind K]`:
 * a centre's appointment list for a day (the default; every centre's without `--center`), the
 * unreachable, the declined, every citizen's outcome, or the day's summary; written privately
 * (mode 600), and audited with its row count.
 */
import { extname } from 'node:path';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { InvitoError } from '../../core/errors.js';
import { writePrivateFile } from '../../core/csv.js';
import { campaignRecord } from '../../pacer/campaigns.js';
import { REPORT_KINDS, type ReportKind, buildReport } from '../../reports/exports.js';
import { REPORT_FORMATS, type ReportFormat, writeReport } from '../../reports/formats.js';
import { audit, printJson, withStore } from '../context.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('a report with personal data: a centre\'s appointment list for a day, the unreachable, the declined, every citizen\'s outcome, or the day\'s summary')
    .argument('<campaign>', 'campaign id')
    .option('--date <day>', 'the day (YYYY-MM-DD, the campaign\'s time zone); default today')
    .option('--center <id>', 'only this centre\'s appointments')
    .option('--kind <kind>', `${REPORT_KINDS.join(', ')}`, 'appointments')
    .option('--format <format>', `${REPORT_FORMATS.join(', ')} (default: from --out's extension, else csv)`)
    .requiredOption('--out <file>', 'where to write it (created with mode 600, replaced if it exists)')
    .option('--json', 'print what was written as JSON')
    .action(async (campaignId: string, opts: { date?: string; center?: string; kind: string; format?: string; out: string; json?: boolean }, cmd: Command) => {
      if (!(REPORT_KINDS as readonly string[]).includes(opts.kind)) throw new InvitoError('USAGE', `--kind: "${opts.kind}" is not one of ${REPORT_KINDS.join(', ')}`);
      const format = (opts.format ?? (extname(opts.out).slice(1).toLowerCase() || 'csv')) as ReportFormat;
      if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new InvitoError('USAGE', `--format: "${format}" is not one of ${REPORT_FORMATS.join(', ')}`);
      if (opts.date !== undefined && !(/^\d{4}-\d\d-\d\d$/.test(opts.date) && DateTime.fromISO(opts.date).isValid)) throw new InvitoError('USAGE', `--date: "${opts.date}" is not a date (YYYY-MM-DD)`);
      await withStore(cmd, async (store) => {
        const c = await campaignRecord(store, campaignId);
        if (!c) throw new InvitoError('CAMPAIGN_NOT_FOUND', `no launched campaign ${campaignId}`);
        const day = opts.date ?? DateTime.now().setZone(c.definition.timezone).toISODate()!;
        const kind = opts.kind as ReportKind;
        const report = await buildReport(store.exports, { kind, campaignId, day, ...(opts.center ? { centerId: opts.center } : {}), scope: [] });
        const generatedAt = DateTime.now().setZone(c.definition.timezone).toFormat('dd/LL/yyyy HH:mm');
        await writePrivateFile(opts.out, await writeReport(report, format, generatedAt));
        await audit(store, 'export', campaignId, { kind, format, day, rows: report.rows.length, ...(opts.center ? { center: opts.center } : {}) });
        if (opts.json) printJson({ campaign: campaignId, kind, format, day, center: opts.center ?? null, rows: report.rows.length, out: opts.out });
        else process.stdout.write(`${opts.out}: ${report.rows.length.toLocaleString('en')} row(s), ${kind} of ${campaignId} on ${day}${opts.center ? ` at ${opts.center}` : ''} (${format}).\n`);
      });
    });
}
