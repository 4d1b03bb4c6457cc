#!/usr/bin/env node
// npm run italy:replay — replays Italy's real national doses per day (February–June 2021) as a
// campaign's `pacing.by_date`, runs the forecast (dist/, so build first) and prints the weekly
// comparison table of docs/PLAN-VS-REALITY.md; `--write` puts it into that document.
// `--source FILE` first re-derives data/italy/doses-2021.csv from the original open-data file
// (somministrazioni-vaccini-summary-latest.csv): the national total of each day, all regions.
//
// Figures: CC BY 4.0, Commissario straordinario per l'emergenza Covid-19 — Presidenza del
// Consiglio dei Ministri (GitHub italia/covid19-opendata-vaccini, folder dati/).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { campaignSchema } from '../dist/campaigns/schema.js';
import { forecast } from '../dist/pacer/forecast.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(root, 'data', 'italy', 'doses-2021.csv');
const DOC = join(root, 'docs', 'PLAN-VS-REALITY.md');
const FIRST = '2021-02-01';
const LAST = '2021-06-30';
const BEGIN = '<!-- italy-replay:begin -->';
const END = '<!-- italy-replay:end -->';

const args = process.argv.slice(2);
const sourceAt = args.indexOf('--source');
if (sourceAt >= 0) derive(args[sourceAt + 1]);

/** National doses per day from the regional file: `data,area,totale,…`, one row per day and region. */
function derive(file) {
  if (!file) throw new Error('--source needs the path of somministrazioni-vaccini-summary-latest.csv');
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const cols = header.split(',');
  const dateCol = cols.indexOf('data');
  const totalCol = cols.indexOf('totale');
  const sums = new Map();
  for (const line of rows) {
    const f = line.split(',');
    const day = f[dateCol];
    if (day < FIRST || day > LAST) continue;
    sums.set(day, (sums.get(day) ?? 0) + Number(f[totalCol]));
  }
  const days = [...sums.keys()].sort();
  writeFileSync(DATA, `date,doses\n${days.map((d) => `${d},${sums.get(d)}`).join('\n')}\n`);
  console.error(`italy-replay: wrote ${days.length} days to data/italy/doses-2021.csv`);
}

/** The real national doses per day, from the project's copy. */
function realDoses() {
  const [, ...rows] = readFileSync(DATA, 'utf8').trim().split('\n');
  return rows.map((r) => {
    const [date, doses] = r.split(',');
    return { date, doses: Number(doses) };
  });
}

/** A replay campaign: the real figures as the daily targets; a cohort larger than all of them. */
function replayCampaign(real, extra = {}) {
  return campaignSchema.parse({
    id: 'italy-replay',
    name: 'Italy 2021 replay',
    timezone: 'Europe/Rome',
    reference_date: FIRST,
    steps: [{ id: 'invite', channels: ['sms'], template: 'invite' }],
    pacing: { daily_target: 1, by_date: Object.fromEntries(real.map((r) => [r.date, r.doses])) },
    ...extra,
  });
}

const COHORT = 60_000_000;
const days = (real) => real.length;

/** The four plans compared with reality. */
function scenarios(real) {
  // Capacity that never binds: 5,000,000 places a day, as 50 centres at the 100,000 an import accepts.
  const ample = Array.from({ length: 50 }, (_, i) => ({ centerId: `ALL-${i + 1}`, dailyCapacity: 100_000, opening: 'daily 07:00-22:00' }));
  const group = (centers) => [{ rank: 1, centers: centers.map((c) => c.centerId), members: COHORT, unreachable: 0 }];
  const mission = Array.from({ length: 293 }, (_, i) => ({ centerId: `C${String(i + 1).padStart(3, '0')}`, dailyCapacity: 375, opening: 'mon-sat 08:00-20:00' }));
  const run = (campaign, centers, ceilingPerSecond) => forecast(campaign, group(centers), centers, { ceilingPerSecond, daysMax: days(real) });
  return {
    calendar: run(replayCampaign(real), ample, 100),
    everyDay: run(replayCampaign(real, { windows: { sms: 'daily 09:00-20:00' }, holidays: 'none' }), ample, 100),
    centres: run(replayCampaign(real), mission, 100),
    ceiling: run(replayCampaign(real), ample, 10),
  };
}

const fmt = (n) => n.toLocaleString('en');
const signed = (n) => (n === 0 ? '0' : n > 0 ? `+${fmt(n)}` : `−${fmt(-n)}`);

/** The markdown the document carries between its markers. */
function table(real) {
  const s = scenarios(real);
  const names = ['calendar', 'everyDay', 'centres', 'ceiling'];
  const lines = [
    '| week from | real doses | plan, Italian calendar | difference | plan, every day open | difference | plan, 293 centres × 375 | plan, ceiling 10/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const totals = { real: 0, calendar: 0, everyDay: 0, centres: 0, ceiling: 0 };
  for (let i = 0; i < real.length; i += 7) {
    const week = real.slice(i, i + 7);
    const sum = (name) => s[name].schedule.slice(i, i + 7).reduce((a, r) => a + r.invitations, 0);
    const r = week.reduce((a, d) => a + d.doses, 0);
    const v = Object.fromEntries(names.map((n) => [n, sum(n)]));
    totals.real += r;
    for (const n of names) totals[n] += v[n];
    lines.push(`| ${week[0].date} | ${fmt(r)} | ${fmt(v.calendar)} | ${signed(v.calendar - r)} | ${fmt(v.everyDay)} | ${signed(v.everyDay - r)} | ${fmt(v.centres)} | ${fmt(v.ceiling)} |`);
  }
  lines.push(
    `| **total** | **${fmt(totals.real)}** | **${fmt(totals.calendar)}** | **${signed(totals.calendar - totals.real)}** | **${fmt(totals.everyDay)}** | **${signed(totals.everyDay - totals.real)}** | **${fmt(totals.centres)}** | **${fmt(totals.ceiling)}** |`,
  );

  // Daily deviations, open days apart from closed ones.
  const deviation = (name, pick = () => true) => {
    let worst = { date: '', diff: 0 };
    s[name].schedule.forEach((row, i) => {
      if (!pick(row)) return;
      const diff = row.invitations - real[i].doses;
      if (Math.abs(diff) > Math.abs(worst.diff)) worst = { date: row.date, diff };
    });
    return worst.date === '' ? '0' : `${signed(worst.diff)} (${worst.date})`;
  };
  const closed = s.calendar.schedule.filter((r) => !r.open);
  const closedReal = closed.reduce((a, r) => a + real[s.calendar.schedule.indexOf(r)].doses, 0);
  const capped = s.ceiling.schedule.filter((r) => r.open && r.target > r.invitations);
  const centreCut = s.centres.schedule.filter((r) => r.open && r.target > r.invitations);
  const last = (sc) => sc.schedule.at(-1);
  lines.push(
    '',
    '| largest daily deviation from the real figure | plan, Italian calendar | plan, every day open | plan, 293 centres × 375 | plan, ceiling 10/s |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| on the plan's open days | ${deviation('calendar', (r) => r.open)} | ${deviation('everyDay', (r) => r.open)} | ${deviation('centres', (r) => r.open)} | ${deviation('ceiling', (r) => r.open)} |`,
    `| on every day | ${deviation('calendar')} | ${deviation('everyDay')} | ${deviation('centres')} | ${deviation('ceiling')} |`,
    `| open days where the plan sent less than the target | ${s.calendar.schedule.filter((r) => r.open && r.target > r.invitations).length} | ${s.everyDay.schedule.filter((r) => r.open && r.target > r.invitations).length} | ${centreCut.length} | ${capped.length} |`,
    `| shortfall still carried on ${LAST} | ${fmt(last(s.calendar).target - last(s.calendar).invitations)} | ${fmt(last(s.everyDay).target - last(s.everyDay).invitations)} | ${fmt(last(s.centres).target - last(s.centres).invitations)} | ${fmt(last(s.ceiling).target - last(s.ceiling).invitations)} |`,
    '',
    `Closed in the Italian calendar: ${closed.length} days (Sundays and ${closed.filter((r) => new Date(`${r.date}T00:00:00Z`).getUTCDay() !== 0).map((r) => r.date).join(', ')}), ` +
      `when ${fmt(closedReal)} doses were really given (${((100 * closedReal) / totals.real).toFixed(1)}% of the total).`,
  );
  return lines.join('\n');
}

const out = table(realDoses());
if (args.includes('--write')) {
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/PLAN-VS-REALITY.md has no ${BEGIN} … ${END} markers`);
  writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${out}\n${doc.slice(b)}`);
  console.error('italy-replay: table written to docs/PLAN-VS-REALITY.md');
} else {
  process.stdout.write(`${out}\n`);
}
