/**
 * Reports and exports (issue 15, item 3) after a campaign ran through the real pipeline: each
 * centre's appointment list for a day equals the store's appointments not given up, one row per
 * citizen with `citizen_id`; the CSV and the XLSX hold the same rows (formula cells neutralised);
 * a reader's scope leaves out citizens outside it; `invito report` writes csv, xlsx and pdf
 * (Chromium's print) privately and audits each export with its row count.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/authority/audit.js';
import { buildReport } from '../../src/reports/exports.js';
import { reportCsv, reportXlsx } from '../../src/reports/formats.js';
import { built, runCli } from '../support/cli.js';
import { citizens } from '../support/dispatch.js';
import { allSent, type FeedbackRig, feedbackRig, send, smsCampaign } from '../support/feedback.js';
import { DIALECTS } from '../support/stores.js';

const CAMPAIGN = 'lists';

async function seeded(r: FeedbackRig) {
  const people = citizens(10, 10, 0, 'R').map((c, i) => (i === 3 ? { ...c, family_name: '=HYPERLINK("http://x")', region: 'TOS' } : c));
  await send(r, people, smsCampaign(CAMPAIGN), allSent(r, CAMPAIGN, 10), 'every invitation sent');
  await r.sandbox.idle();
  const appts = await r.t.store.db.selectFrom('appointments').selectAll().where('campaign_id', '=', CAMPAIGN).execute();
  const day = appts.map((a) => a.day).sort()[0]!;
  return { people, appts, day };
}

async function xlsxRows(buf: Buffer): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  const rows: unknown[][] = [];
  wb.worksheets[0]!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`reports on ${dialect.name}`, () => {
    const rig = feedbackRig(dialect);

    it('the appointment list of a day equals the store\'s kept appointments, in CSV and XLSX alike, formulas neutralised; a scope leaves others out', async () => {
      const r = rig();
      const { appts, day } = await seeded(r);
      const kept = appts.filter((a) => a.day === day && ['held', 'confirmed', 'attended', 'no_show'].includes(a.state));
      expect(kept.length).toBeGreaterThan(0);
      const report = await buildReport(r.t.store.exports, { kind: 'appointments', campaignId: CAMPAIGN, day, scope: [] });
      expect(report.columns[0]).toBe('citizen_id');
      const csv = parse(reportCsv(report)) as string[][];
      expect(csv[0]).toEqual([...report.columns]);
      const col = (name: string) => csv[0]!.indexOf(name);
      expect(csv.slice(1).map((row) => `${row[col('citizen_id')]}/${row[col('center_id')]}/${row[col('state')]}/${row[col('appointment_id')]}`).sort()).toEqual(kept.map((a) => `${a.citizen_id}/${a.center_id}/${a.state}/${a.appointment_id}`).sort());
      expect(new Set(csv.slice(1).map((row) => row[0])).size).toBe(csv.length - 1);
      // A name planted as a formula is text in both files (every citizen is in the outcomes).
      const outcomes = await buildReport(r.t.store.exports, { kind: 'outcomes', campaignId: CAMPAIGN, day, scope: [] });
      const planted = (parse(reportCsv(outcomes)) as string[][]).find((row) => row[0] === 'R00003')!;
      expect(planted[1]).toBe('\'=HYPERLINK("http://x")');
      expect((await xlsxRows(await reportXlsx(outcomes))).find((row) => row[0] === 'R00003')![1]).toBe('\'=HYPERLINK("http://x")');
      const xlsx = await xlsxRows(await reportXlsx(report));
      expect(xlsx.map((row) => row.map((v) => (v === undefined || v === null ? '' : String(v))))).toEqual(csv);

      // A reader of Lazio only: the Tuscan citizen is not in their list.
      const lazio = await buildReport(r.t.store.exports, { kind: 'appointments', campaignId: CAMPAIGN, day, scope: ['LAZ'] });
      expect(lazio.rows.map((x) => x[0])).not.toContain('R00003');
      expect(lazio.rows.length).toBe(report.rows.filter((x) => x[0] !== 'R00003').length);
      // The summary names nobody.
      const summary = await buildReport(r.t.store.exports, { kind: 'summary', campaignId: CAMPAIGN, day, scope: [] });
      expect(summary.personal).toBe(false);
      expect(Object.fromEntries(summary.rows.map((x) => [x[0], x[1]]))).toMatchObject({ day });
    });

    it.skipIf(dialect.name !== 'sqlite' || !built)('invito report writes csv, xlsx and pdf with mode 600, and audits each export with its row count', async () => {
      const r = rig();
      const { appts, day } = await seeded(r);
      const center = appts[0]!.center_id;
      const dir = mkdtempSync(join(tmpdir(), 'invito-report-'));
      try {
        const db = r.t.store.handle.location;
        for (const format of ['csv', 'xlsx', 'pdf']) {
          const out = join(dir, `list.${format}`);
          const run = await runCli(['--db', db, 'report', CAMPAIGN, '--date', day, '--center', center, '--out', out, '--json']);
          expect([format, run.code, run.stderr.slice(0, 300)]).toEqual([format, 0, run.stderr.slice(0, 300)]);
          expect(JSON.parse(run.stdout)).toMatchObject({ campaign: CAMPAIGN, kind: 'appointments', format, day, center });
          expect(statSync(out).mode & 0o777).toBe(0o600);
          const head = readFileSync(out).subarray(0, 5).toString('latin1');
          expect(head).toBe(format === 'pdf' ? '%PDF-' : format === 'xlsx' ? head : 'citiz');
          if (format === 'xlsx') expect(head.slice(0, 2)).toBe('PK');
        }
        const bad = await runCli(['--db', db, 'report', CAMPAIGN, '--date', '07/12/2026', '--out', join(dir, 'x.csv'), '--json']);
        expect(JSON.parse(bad.stdout).error.message).toMatch(/--date: "07\/12\/2026" is not a date/);
        const log = await new AuditLog(r.t.store.audit).list({ action: 'export' });
        const rows = appts.filter((a) => a.day === day && a.center_id === center && a.state !== 'released').length;
        expect(log.map((e) => [e.target, e.details.format, e.details.rows, e.details.center])).toEqual(['csv', 'xlsx', 'pdf'].map((f) => [CAMPAIGN, f, rows, center]));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 180_000);
  });
}
