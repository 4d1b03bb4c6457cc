/**
 * A report written as CSV (core/csv.ts: formulas neutralised), XLSX (exceljs: every cell a
 * value, text that a spreadsheet would run as a formula written as text with a leading `'`,
 * as the CSV does) or PDF (the report's page printed by Chromium, A4 landscape).
 */
import ExcelJS from 'exceljs';
import { chromium } from 'playwright-core';
import { csvText } from '../core/csv.js';
import { InvitoError } from '../core/errors.js';
import { documentOf, html } from '../web/markup.js';
import type { Report } from './exports.js';

export const REPORT_FORMATS = ['csv', 'xlsx', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** OWASP's rule for CSV injection, applied to XLSX text cells too. */
const FORMULA = /^[=+\-@\t\r]/;
const neutral = (v: string | number | null): string | number | null => (typeof v === 'string' && FORMULA.test(v) ? `'${v}` : v);

export const reportCsv = (r: Report): string => csvText([r.columns, ...r.rows]);

export async function reportXlsx(r: Report): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'invito';
  const ws = wb.addWorksheet(r.kind);
  ws.addRow([...r.columns]).font = { bold: true };
  for (const row of r.rows) ws.addRow(row.map(neutral));
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  ws.columns.forEach((c, i) => (c.width = Math.min(40, Math.max(10, r.columns[i]!.length + 2))));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The report as a printable page (also what the PDF is printed from). */
export function reportHtml(r: Report, generatedAt: string): string {
  return documentOf(html`<html lang="it"><head><meta charset="utf-8"><title>${r.title}</title><style>
body{font:10pt/1.35 system-ui,sans-serif;margin:0}h1{font-size:14pt;margin:0 0 .25rem}p{margin:0 0 .5rem;color:#444}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:2px 4px;text-align:left}th{background:#eee}tr{break-inside:avoid}
</style></head><body><h1>${r.title}</h1><p>invito · ${generatedAt} · ${String(r.rows.length)}</p>
<table><thead><tr>${r.columns.map((c) => html`<th>${c}</th>`)}</tr></thead><tbody>${r.rows.map((row) => html`<tr>${row.map((v) => html`<td>${v === null ? '' : String(v)}</td>`)}</tr>`)}</tbody></table></body></html>
`);
}

/** Debian's Chromium, or `INVITO_CHROMIUM`. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string => env.INVITO_CHROMIUM || '/usr/bin/chromium';

export async function reportPdf(r: Report, generatedAt: string, executablePath = chromiumPath()): Promise<Buffer> {
  let browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  } catch (e) {
    throw new InvitoError('CONFIG_INVALID', `PDF needs Chromium at ${executablePath} (apt-get install chromium, or set INVITO_CHROMIUM): ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  try {
    const page = await browser.newPage();
    await page.setContent(reportHtml(r, generatedAt), { waitUntil: 'load' });
    return Buffer.from(await page.pdf({ format: 'A4', landscape: true, printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } }));
  } finally {
    await browser.close();
  }
}

export async function writeReport(r: Report, format: ReportFormat, generatedAt: string): Promise<Buffer> {
  if (format === 'csv') return Buffer.from(reportCsv(r), 'utf8');
  if (format === 'xlsx') return reportXlsx(r);
  return reportPdf(r, generatedAt);
}
