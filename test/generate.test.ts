import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { afterAll, describe, expect, it } from 'vitest';
import { InvitoError } from '../src/core/errors.js';
import {
  CENTER_COLUMNS,
  CITIZEN_COLUMNS,
  DIRTY_KINDS,
  generateCenters,
  generateCitizens,
  largestRemainder,
  loadPlatea,
  loadSites,
  writeCenters,
  writeCitizens,
  type CenterOptions,
  type CitizenOptions,
  type DirtyKind,
  type OutputFormat,
} from '../src/synthetic/generate.js';
import { GEO, aslsOf } from '../src/synthetic/geo.js';
import { Random, weightedPicker } from '../src/synthetic/random.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'invito-generate-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A sink that keeps everything and is slow to accept, so the writer must respect 'drain'. */
class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  maxBuffered = 0;
  constructor(highWaterMark = 16_384) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
    setImmediate(done);
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

async function citizensText(options: CitizenOptions & { format?: OutputFormat }): Promise<string> {
  const sink = new Sink();
  await writeCitizens(sink, options);
  return sink.text();
}

type Row = Record<(typeof CITIZEN_COLUMNS)[number], string>;
const rowsOf = (csv: string): Row[] => parse(csv, { columns: true }) as Row[];

/** Whole years between a YYYY-MM-DD birth date and the as-of date. */
function ageAt(birth: string, asOf: string): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [ay, am, ad] = asOf.split('-').map(Number) as [number, number, number];
  return ay - by - (am < bm || (am === bm && ad < bd) ? 1 : 0);
}

function bandOf(age: number): string {
  const bands: [number, number, string][] = [
    [0, 4, '00-04'], [5, 11, '05-11'], [12, 19, '12-19'], [20, 29, '20-29'], [30, 39, '30-39'],
    [40, 49, '40-49'], [50, 59, '50-59'], [60, 69, '60-69'], [70, 79, '70-79'],
  ];
  return bands.find(([lo, hi]) => age >= lo && age <= hi)?.[2] ?? '80+';
}

const isRealIsoDate = (s: string): boolean => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === s;
};
const isRealDmyDate = (s: string): boolean => {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s);
  return m !== null && isRealIsoDate(`${m[3]}-${m[2]}-${m[1]}`);
};
const EMAIL = /^[a-z0-9]+\.[a-z0-9]+\d{0,2}@example\.(com|net|org)$/;
const isValidPhone = (s: string): boolean => parsePhoneNumberFromString(s, 'IT')?.isValid() ?? false;

// One shared 50,000-row sample for the statistical tests.
const SAMPLE_N = 50_000;
const AS_OF = '2021-01-01';
const sample = rowsOf(await citizensText({ count: SAMPLE_N, seed: 42 }));
const withAge = sample.map((r) => ({ ...r, age: ageAt(r.birth_date, AS_OF) }));
const shareWhere = <T>(rows: T[], pred: (r: T) => boolean): number => rows.filter(pred).length / rows.length;
const ageRange = (lo: number, hi: number) => withAge.filter((r) => r.age >= lo && r.age <= hi);

describe('citizens: format', () => {
  it('the CSV header is exactly the importer’s column list, LF-terminated', async () => {
    const text = await citizensText({ count: 3 });
    expect(text.split('\n')[0]).toBe(
      'citizen_id,given_name,family_name,birth_date,sex,phone,email,language,region,asl,municipality,priority_groups,doses,last_dose_date,opt_out',
    );
    expect(text).not.toContain('\r');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('--count N gives exactly N rows with ids C00000001…N, which never contain ":"', async () => {
    for (const n of [1, 7, 211, 1_234]) {
      const rows = rowsOf(await citizensText({ count: n, seed: 3 }));
      expect(rows).toHaveLength(n);
      expect(rows[0]?.citizen_id).toBe('C00000001');
      expect(rows.at(-1)?.citizen_id).toBe(`C${String(n).padStart(8, '0')}`);
      expect(rows.every((r) => /^C\d{8}$/.test(r.citizen_id))).toBe(true);
    }
  });

  it('the same seed and options give byte-identical output; another seed gives a different file', async () => {
    const a = await citizensText({ count: 5_000, seed: 7, dirty: 0.05 });
    const b = await citizensText({ count: 5_000, seed: 7, dirty: 0.05 });
    const c = await citizensText({ count: 5_000, seed: 8, dirty: 0.05 });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(c.length).toBeGreaterThan(0);
  });

  it('every field of a clean file is valid: dates, sex, doses, opt-out, phone, email', () => {
    const broken = sample.filter(
      (r) =>
        !isRealIsoDate(r.birth_date) ||
        !['M', 'F', 'X'].includes(r.sex) ||
        !/^\d+$/.test(r.doses) ||
        (r.last_dose_date === '') !== (r.doses === '0') ||
        !['true', 'false'].includes(r.opt_out) ||
        (r.phone !== '' && !isValidPhone(r.phone)) ||
        (r.email !== '' && !EMAIL.test(r.email)) ||
        !/^([A-Z]+(;[A-Z]+)*)?$/.test(r.priority_groups),
    );
    expect(broken.map((r) => r.citizen_id)).toEqual([]);
    const x = shareWhere(sample, (r) => r.sex === 'X');
    expect(x).toBeGreaterThan(0);
    expect(x).toBeLessThan(0.003);
    const optOut = shareWhere(sample, (r) => r.opt_out === 'true');
    expect(optOut).toBeGreaterThan(0.001);
    expect(optOut).toBeLessThan(0.006);
  });

  it('NDJSON has one object per line with the same keys; doses is a number, opt_out a boolean', async () => {
    const text = await citizensText({ count: 500, seed: 5, format: 'ndjson' });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(500);
    const csvRows = rowsOf(await citizensText({ count: 500, seed: 5 }));
    lines.forEach((line, i) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(o)).toEqual([...CITIZEN_COLUMNS]);
      expect(typeof o['doses']).toBe('number');
      expect(typeof o['opt_out']).toBe('boolean');
      expect(typeof o['priority_groups']).toBe('string');
      expect(o['citizen_id']).toBe(csvRows[i]?.citizen_id);
      expect(String(o['doses'])).toBe(csvRows[i]?.doses);
    });
  });

  it('writes with backpressure: a slow sink never holds more than one chunk beyond its buffer', async () => {
    const sink = new Sink(16_384);
    const summary = await writeCitizens(sink, { count: 100_000, seed: 2 });
    expect(summary.rows).toBe(100_000);
    expect(sink.text().split('\n')).toHaveLength(100_002);
    // The writer hands over ~64 KiB at a time; ignoring 'drain' would queue the whole ~10 MB.
    expect(sink.maxBuffered).toBeLessThan(16_384 + 70_000);
  });

  it('rejects bad options with a USAGE error', () => {
    const bad: CitizenOptions[] = [
      { count: 0 },
      { count: 1.5 },
      { count: 10, asOf: '2021-02-30' },
      { count: 10, dirty: 2 },
      { count: 10, regions: ['XYZ'] },
      { count: 10, seed: -1 },
    ];
    for (const o of bad) {
      // Thrown by the call itself, before any row, so the CLI can check before opening --out.
      expect(() => generateCitizens(o)).toThrow(InvitoError);
      try {
        generateCitizens(o);
      } catch (e) {
        expect((e as InvitoError).code).toBe('USAGE');
      }
    }
  });
});

describe('citizens: population', () => {
  it('region × age band counts equal the largest-remainder apportionment of platea.csv (50,000 rows)', () => {
    const platea = loadPlatea();
    const total = platea.reduce((a, c) => a + c.population, 0);
    const expected = largestRemainder(
      platea.map((c) => c.population),
      SAMPLE_N,
    );
    const counts = new Map<string, number>();
    for (const r of withAge) {
      const key = `${r.region} ${bandOf(r.age)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    platea.forEach((c, i) => {
      const got = counts.get(`${c.region} ${c.band}`) ?? 0;
      expect(got).toBe(expected[i]);
      expect(Math.abs(got - (c.population * SAMPLE_N) / total)).toBeLessThan(1);
    });
  });

  it('--regions keeps only those regions, in platea proportions among them', async () => {
    const rows = rowsOf(await citizensText({ count: 10_000, regions: ['LAZ', 'pab'] }));
    const platea = loadPlatea();
    const pop = (r: string) => platea.filter((c) => c.region === r).reduce((a, c) => a + c.population, 0);
    expect(new Set(rows.map((r) => r.region))).toEqual(new Set(['LAZ', 'PAB']));
    const lazShare = shareWhere(rows, (r) => r.region === 'LAZ');
    expect(Math.abs(lazShare * 10_000 - (pop('LAZ') / (pop('LAZ') + pop('PAB'))) * 10_000)).toBeLessThanOrEqual(1);
  });

  it('birth dates cover each band evenly; 80+ runs from 80 to 100 and thins out with age', () => {
    const ages = withAge.map((r) => r.age);
    expect(Math.min(...ages)).toBe(0);
    expect(Math.max(...ages)).toBeLessThanOrEqual(100);
    const twenties = ageRange(20, 29);
    for (let a = 20; a <= 29; a++) {
      const share = shareWhere(twenties, (r) => r.age === a);
      expect(share).toBeGreaterThan(0.07);
      expect(share).toBeLessThan(0.13);
    }
    const old = [80, 85, 90, 95].map((lo) => ageRange(lo, lo + 4).length);
    expect(old[0]).toBeGreaterThan(old[1] as number);
    expect(old[1]).toBeGreaterThan(old[2] as number);
    expect(old[2]).toBeGreaterThan(old[3] as number);
    expect(old[3]).toBeGreaterThan(0);
  });

  it('ages follow --as-of', async () => {
    const rows = rowsOf(await citizensText({ count: 2_000, asOf: '2030-06-15' }));
    expect(rows.every((r) => r.birth_date <= '2030-06-15')).toBe(true);
    expect(rows.some((r) => r.birth_date > '2025-06-15')).toBe(true);
  });

  it('asl and municipality are a pair from geo.ts in the row’s region', () => {
    for (const r of sample) {
      expect(GEO[r.region]?.some((p) => p.asl === r.asl && p.municipality === r.municipality)).toBe(true);
    }
    // Every ASL is used, so centres have someone to serve everywhere.
    const used = new Set(sample.map((r) => r.asl));
    for (const places of Object.values(GEO)) for (const p of places) expect(used.has(p.asl)).toBe(true);
  });
});

describe('citizens: contacts and groups', () => {
  it('reachability falls with age: mobile phones and emails', () => {
    const mobile = (r: Row) => parsePhoneNumberFromString(r.phone, 'IT')?.getType() === 'MOBILE';
    const bands: [number, number, number, number][] = [
      // lo, hi, mobile share, email share (the brief's targets)
      [12, 19, 0.85, 0.6],
      [20, 59, 0.95, 0.75],
      [60, 69, 0.85, 0.5],
      [70, 79, 0.65, 0.25],
      [80, 100, 0.35, 0.08],
    ];
    for (const [lo, hi, m, e] of bands) {
      const rows = ageRange(lo, hi);
      expect(Math.abs(shareWhere(rows, mobile) - m)).toBeLessThan(0.03);
      expect(Math.abs(shareWhere(rows, (r) => r.email !== '') - e)).toBeLessThan(0.03);
    }
    const mobileBy = bands.slice(1).map(([lo, hi]) => shareWhere(ageRange(lo, hi), mobile));
    expect([...mobileBy].sort((a, b) => b - a)).toEqual(mobileBy);
    const emailBy = bands.slice(1).map(([lo, hi]) => shareWhere(ageRange(lo, hi), (r) => r.email !== ''));
    expect([...emailBy].sort((a, b) => b - a)).toEqual(emailBy);
  });

  it('children under 12 have no phone, no email and no priority group', () => {
    const kids = ageRange(0, 11);
    expect(kids.length).toBeGreaterThan(3_000);
    expect(kids.every((r) => r.phone === '' && r.email === '' && r.priority_groups === '')).toBe(true);
  });

  it('phones come in varied real-world forms; about 3% of citizens have a landline', () => {
    const phones = sample.map((r) => r.phone).filter((p) => p !== '');
    expect(phones.some((p) => /^3\d{9}$/.test(p))).toBe(true);
    expect(phones.some((p) => /^3\d{2} \d{7}$/.test(p))).toBe(true);
    expect(phones.some((p) => /^\+393\d{9}$/.test(p))).toBe(true);
    expect(phones.some((p) => /^0039 3\d{9}$/.test(p))).toBe(true);
    const landline = shareWhere(sample, (r) => parsePhoneNumberFromString(r.phone, 'IT')?.getType() === 'FIXED_LINE');
    expect(landline).toBeGreaterThan(0.02);
    expect(landline).toBeLessThan(0.045);
    // Rome's landlines start with 06.
    const rome = sample.filter((r) => r.municipality === 'Roma' && /^(\+39 )?06/.test(r.phone));
    expect(rome.length).toBeGreaterThan(0);
  });

  it('priority groups stay within their ages and near their shares', () => {
    const has = (g: string) => (r: { priority_groups: string }) => r.priority_groups.split(';').includes(g);
    const outside = (g: string, lo: number, hi: number) => withAge.filter((r) => has(g)(r) && (r.age < lo || r.age > hi));
    expect(outside('HCW', 20, 69)).toHaveLength(0);
    expect(outside('RSA', 70, 100)).toHaveLength(0);
    expect(outside('VULN', 16, 100)).toHaveLength(0);
    expect(outside('SCHOOL', 25, 66)).toHaveLength(0);
    expect(outside('LEA', 20, 60)).toHaveLength(0);
    expect(outside('CAREGIVER', 18, 70)).toHaveLength(0);
    expect(Math.abs(shareWhere(ageRange(20, 69), has('HCW')) - 0.03)).toBeLessThan(0.005);
    expect(Math.abs(shareWhere(ageRange(80, 100), has('RSA')) - 0.015)).toBeLessThan(0.006);
    expect(Math.abs(shareWhere(ageRange(16, 100), has('VULN')) - 0.04)).toBeLessThan(0.008);
    expect(shareWhere(ageRange(80, 100), has('VULN'))).toBeGreaterThan(shareWhere(ageRange(16, 49), has('VULN')));
    expect(sample.some((r) => r.priority_groups.includes(';'))).toBe(true);
  });

  it('South Tyrol (PAB) has ~65% German speakers, most with German names; VDA some French; elsewhere ~1% English', async () => {
    const rows = rowsOf(await citizensText({ count: 20_000, regions: ['PAB', 'VDA', 'LAZ'] }));
    const pab = rows.filter((r) => r.region === 'PAB');
    const de = pab.filter((r) => r.language === 'de');
    expect(Math.abs(de.length / pab.length - 0.65)).toBeLessThan(0.05);
    const germanSurname = /(er|mayr|mair|lanz|vigl|amort|zelger|kaufmann)$/i;
    expect(shareWhere(de, (r) => germanSurname.test(r.family_name))).toBeGreaterThan(0.6);
    expect(new Set(pab.map((r) => r.language))).toEqual(new Set(['de', 'it']));
    const vda = rows.filter((r) => r.region === 'VDA');
    expect(vda.some((r) => r.language === 'fr')).toBe(true);
    expect(vda.every((r) => r.language === 'fr' || r.language === 'it')).toBe(true);
    const laz = rows.filter((r) => r.region === 'LAZ');
    const en = shareWhere(laz, (r) => r.language === 'en');
    expect(en).toBeGreaterThan(0.004);
    expect(en).toBeLessThan(0.02);
    expect(laz.every((r) => r.language === 'it' || r.language === 'en')).toBe(true);
  });

  it('names include the worst cases: apostrophes, accents, compound and double surnames', () => {
    const names = sample.flatMap((r) => [r.given_name, r.family_name]);
    expect(names.some((n) => n.includes("'"))).toBe(true);
    expect(names.some((n) => /[àèéìòù]/.test(n))).toBe(true);
    expect(sample.some((r) => r.given_name.includes(' '))).toBe(true);
    expect(sample.some((r) => r.family_name.split(' ').length >= 2 && !/^(De|Di|Del|Della|Lo|La) /.test(r.family_name))).toBe(true);
  });

  it('doses are 0 for almost everyone at 2021-01-01, with a last dose date exactly when doses > 0', async () => {
    const dosed = sample.filter((r) => r.doses !== '0');
    expect(dosed.length).toBeGreaterThan(0);
    expect(dosed.length / SAMPLE_N).toBeLessThan(0.01);
    expect(dosed.every((r) => /HCW|RSA/.test(r.priority_groups))).toBe(true);
    expect(dosed.every((r) => r.last_dose_date >= '2020-12-27' && r.last_dose_date < AS_OF)).toBe(true);
    const june = rowsOf(await citizensText({ count: 5_000, asOf: '2021-06-01' }));
    expect(shareWhere(june, (r) => r.doses !== '0')).toBeGreaterThan(0.2);
    expect(june.some((r) => r.doses === '2')).toBe(true);
    expect(june.every((r) => (r.doses === '0') === (r.last_dose_date === '') && r.last_dose_date < '2021-06-01')).toBe(true);
  });
});

describe('citizens: --dirty', () => {
  const N = 20_000;
  const SHARE = 0.05;

  it('makes exactly that share of rows bad, cycling through every kind, and each is really bad', () => {
    const gen = generateCitizens({ count: N, seed: 9, dirty: SHARE });
    const seenIds = new Set<string>();
    const byKind = new Map<DirtyKind, Row[]>();
    for (let next = gen.next(); !next.done; next = gen.next()) {
      const { row, defect } = next.value;
      const r = { ...row, doses: String(row.doses), opt_out: String(row.opt_out) } as Row;
      if (defect) {
        byKind.set(defect, [...(byKind.get(defect) ?? []), r]);
        if (defect === 'duplicate-id') expect(seenIds.has(r.citizen_id)).toBe(true);
      }
      if (r.citizen_id) seenIds.add(r.citizen_id);
    }
    const count = (k: DirtyKind) => byKind.get(k)?.length ?? 0;
    expect(DIRTY_KINDS.reduce((a, k) => a + count(k), 0)).toBe(N * SHARE);
    for (const k of DIRTY_KINDS) expect(Math.abs(count(k) - (N * SHARE) / DIRTY_KINDS.length)).toBeLessThanOrEqual(1);
    const rows = (k: DirtyKind) => byKind.get(k) ?? [];
    expect(rows('missing-id').every((r) => r.citizen_id === '')).toBe(true);
    expect(rows('impossible-birth-date').every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.birth_date) && !isRealIsoDate(r.birth_date))).toBe(true);
    expect(rows('malformed-birth-date').every((r) => !/^\d{4}-\d{2}-\d{2}$/.test(r.birth_date) && !isRealDmyDate(r.birth_date))).toBe(true);
    expect(rows('future-birth-date').every((r) => isRealIsoDate(r.birth_date) && r.birth_date > AS_OF)).toBe(true);
    expect(rows('negative-doses').every((r) => Number(r.doses) < 0)).toBe(true);
    expect(rows('non-integer-doses').every((r) => !Number.isInteger(Number(r.doses)))).toBe(true);
    expect(rows('invalid-phone').every((r) => !isValidPhone(r.phone))).toBe(true);
    expect(rows('invalid-email').every((r) => !/^[^@\s]+@[^@\s]+\.[a-z]+$/.test(r.email))).toBe(true);
  });

  it('also writes valid rows in the other accepted forms: DD/MM/YYYY dates and "|" between groups', async () => {
    const rows = rowsOf(await citizensText({ count: 50_000, seed: 9, dirty: 0.02 }));
    const dmy = rows.filter((r) => /\//.test(r.birth_date) && isRealDmyDate(r.birth_date));
    expect(dmy.length).toBeGreaterThan(20);
    const pipe = rows.filter((r) => r.priority_groups.includes('|'));
    expect(pipe.length).toBeGreaterThan(5);
    expect(pipe.every((r) => /^[A-Z]+(\|[A-Z]+)+$/.test(r.priority_groups))).toBe(true);
  });

  it('a dirty file is the clean file of the same seed with only some rows changed', async () => {
    const clean = rowsOf(await citizensText({ count: 10_000, seed: 4 }));
    const dirty = rowsOf(await citizensText({ count: 10_000, seed: 4, dirty: 0.02 }));
    const changed = clean.filter((r, i) => JSON.stringify(r) !== JSON.stringify(dirty[i]));
    expect(changed.length).toBeGreaterThanOrEqual(200);
    expect(changed.length).toBeLessThan(300);
    expect(clean.filter((r, i) => r.given_name !== dirty[i]?.given_name)).toHaveLength(0);
  });
});

describe('centres', () => {
  const sites = loadSites();
  const rowsOfCenters = async (o: CenterOptions) => {
    const sink = new Sink();
    await writeCenters(sink, generateCenters(o));
    const text = sink.text();
    return { text, rows: parse(text, { columns: true }) as Record<(typeof CENTER_COLUMNS)[number], string>[] };
  };
  const covered = (centers: { catchment: string }[]) => new Set(centers.flatMap((c) => c.catchment.split(';')));

  it('the CSV header is exact and quoted names and addresses parse back to 9 columns', async () => {
    const { text, rows } = await rowsOfCenters({});
    expect(text.split('\n')[0]).toBe('center_id,name,region,asl,municipality,address,daily_capacity,opening,catchment');
    const raw = parse(text) as string[][];
    expect(raw.every((r) => r.length === 9)).toBe(true);
    expect(rows.some((r) => r.name.includes('"'))).toBe(true);
    expect(rows.every((r) => /^(Via|Viale|Corso|Piazza|Largo) .+, \d+$/.test(r.address))).toBe(true);
  });

  it('across Italy: 293 centres × 375 doses = 109,875 a day, spread by population, ids REGION-nnnn', () => {
    const centers = generateCenters();
    expect(centers).toHaveLength(293);
    expect(centers.reduce((a, c) => a + c.daily_capacity, 0)).toBe(109_875);
    expect(centers.every((c) => new RegExp(`^${c.region}-\\d{4}$`).test(c.center_id))).toBe(true);
    expect(new Set(centers.map((c) => c.center_id)).size).toBe(293);
    const lom = centers.filter((c) => c.region === 'LOM').length;
    const mol = centers.filter((c) => c.region === 'MOL').length;
    expect(lom).toBeGreaterThan(40);
    expect(mol).toBeGreaterThanOrEqual(1);
    expect(mol).toBeLessThan(4);
    const openings = new Set(centers.map((c) => c.opening));
    expect(openings).toEqual(new Set(['mon-sat 08:00-20:00', 'mon-fri 08:00-20:00; sat 08:00-14:00', 'mon-sun 07:00-22:00']));
    expect(centers.filter((c) => c.opening === 'mon-sat 08:00-20:00').length).toBeGreaterThan(150);
  });

  it('names are real sites of the same region, hospital and territorial services (STS) first', () => {
    const centers = generateCenters({ regions: ['LAZ'], count: 25 });
    const laz = sites.filter((s) => s.region === 'LAZ');
    for (const c of centers) expect(laz.some((s) => s.name === c.name)).toBe(true);
    const sts = laz.filter((s) => s.type === 'STS').map((s) => s.name);
    expect(centers.filter((c) => sts.includes(c.name))).toHaveLength(sts.length);
    expect(new Set(centers.map((c) => c.name)).size).toBe(25);
  });

  it('without --count, --regions gives every real site of the region', () => {
    const centers = generateCenters({ regions: ['PAB'] });
    const pab = sites.filter((s) => s.region === 'PAB').map((s) => s.name);
    expect(centers.map((c) => c.name).sort()).toEqual([...pab].sort());
    expect(centers.every((c) => c.asl === 'ASDAA' && c.daily_capacity === 375)).toBe(true);
  });

  it('every ASL of every chosen region is in some catchment, even with fewer centres than ASLs', () => {
    for (const o of [{}, { regions: ['LAZ'] }, { regions: ['LAZ', 'PIE'], count: 4 }, { regions: ['PAT'] }]) {
      const centers = generateCenters(o);
      const regions = o.regions ?? Object.keys(GEO);
      const catchments = covered(centers);
      for (const r of regions) for (const { asl } of aslsOf(r)) expect(catchments.has(asl)).toBe(true);
      expect(centers.every((c) => c.catchment.split(';')[0] === c.asl)).toBe(true);
    }
  });

  it('every generated citizen has a centre serving their ASL', async () => {
    const citizens = rowsOf(await citizensText({ count: 5_000, regions: ['SIC', 'TOS'] }));
    const catchments = covered(generateCenters({ regions: ['SIC', 'TOS'], count: 12 }));
    expect(citizens.every((c) => catchments.has(c.asl))).toBe(true);
  });

  it('centres are deterministic for a seed; --capacity sets daily_capacity', async () => {
    const a = await rowsOfCenters({ seed: 3 });
    const b = await rowsOfCenters({ seed: 3 });
    const c = await rowsOfCenters({ seed: 4 });
    expect(a.text).toBe(b.text);
    expect(c.text).not.toBe(a.text);
    expect(generateCenters({ regions: ['UMB'], capacity: 500 }).every((x) => x.daily_capacity === 500)).toBe(true);
  });

  it('rejects fewer centres than regions and unknown regions with USAGE', () => {
    expect(() => generateCenters({ count: 3, regions: ['LAZ', 'LOM', 'PIE', 'VEN'] })).toThrow(/at least 4/);
    try {
      generateCenters({ regions: ['ZZZ'] });
      expect.unreachable();
    } catch (e) {
      expect((e as InvitoError).code).toBe('USAGE');
    }
  });
});

describe('reference data', () => {
  it('geo.ts has 4–10 municipalities for each platea region, with well-formed ASL codes unique to one region', () => {
    const regions = [...new Set(loadPlatea().map((c) => c.region))];
    expect(regions).toHaveLength(21);
    expect(Object.keys(GEO).sort()).toEqual([...regions].sort());
    const owner = new Map<string, string>();
    for (const [region, places] of Object.entries(GEO)) {
      const towns = new Set(places.map((p) => p.municipality));
      expect(towns.size).toBeGreaterThanOrEqual(4);
      expect(towns.size).toBeLessThanOrEqual(10);
      for (const p of places) {
        expect(p.asl).toMatch(/^[A-Z0-9-]+$/);
        expect(owner.get(p.asl) ?? region).toBe(region);
        owner.set(p.asl, region);
        expect(p.weight).toBeGreaterThan(0);
      }
    }
    expect(GEO['PAB']?.map((p) => p.municipality)).toContain('Bolzano/Bozen');
  });

  it('sites.csv is a clean trim: region, name, type; names trimmed and single-spaced', () => {
    const sites = loadSites();
    expect(sites.length).toBeGreaterThan(2_000);
    expect(sites.every((s) => s.name === s.name.trim() && !/\s{2}/.test(s.name) && s.name !== '')).toBe(true);
    expect(sites.some((s) => s.name.includes(','))).toBe(true);
    const header = readFileSync(join(ROOT, 'data/italy/sites.csv'), 'utf8').split('\n')[0];
    expect(header).toBe('region,name,type');
  });

  it('largestRemainder sums to the total and keeps each part within 1 of its quota', () => {
    const weights = [5, 3, 2, 0.5, 7.25];
    for (const total of [0, 1, 7, 100, 1_001]) {
      const parts = largestRemainder(weights, total);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
      const sum = weights.reduce((a, b) => a + b, 0);
      parts.forEach((p, i) => expect(Math.abs(p - ((weights[i] as number) * total) / sum)).toBeLessThan(1));
    }
  });

  it('Random is reproducible, int() includes both ends, weightedPicker follows its weights', () => {
    const a = new Random(1);
    const b = new Random(1);
    const c = new Random(2);
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(seqA);
    const r = new Random(3);
    const ints = new Set(Array.from({ length: 1_000 }, () => r.int(1, 3)));
    expect(ints).toEqual(new Set([1, 2, 3]));
    const pick = weightedPicker(['a', 'b'], [9, 1]);
    const as = Array.from({ length: 10_000 }, () => pick(r)).filter((x) => x === 'a').length;
    expect(as).toBeGreaterThan(8_700);
    expect(as).toBeLessThan(9_300);
  });
});

describe('the built CLI', () => {
  const built = existsSync(join(ROOT, 'dist/cli/main.js'));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'bin/invito.js'), ...args], { encoding: 'utf8', cwd: TMP });

  it.skipIf(!built)('generate citizens writes the file, prints one summary line to stderr and nothing to stdout', () => {
    const out = join(TMP, 'citizens.csv');
    const res = run('generate', 'citizens', '--count', '1000', '--seed', '5', '--dirty', '--out', out);
    expect(res.status).toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`wrote 1000 citizens to ${out} (20 bad rows)\n`);
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(1_001);
  });

  it.skipIf(!built)('--out - writes the data to stdout, byte-identical to the library', async () => {
    const res = run('generate', 'citizens', '--count', '300', '--regions', 'VDA', '--format', 'ndjson', '--out', '-');
    expect(res.status).toBe(0);
    expect(res.stdout).toBe(await citizensText({ count: 300, regions: ['VDA'], format: 'ndjson' }));
  });

  it.skipIf(!built)('generate centers writes 293 centres by default', () => {
    const out = join(TMP, 'centers.csv');
    const res = run('generate', 'centers', '--out', out);
    expect(res.status).toBe(0);
    expect(res.stderr).toBe(`wrote 293 centers to ${out}\n`);
    expect(readFileSync(out, 'utf8').startsWith('center_id,')).toBe(true);
  });

  it.skipIf(!built)('bad flags are USAGE errors with exit status 2', () => {
    for (const args of [
      ['--count', '0'],
      ['--count', 'ten'],
      ['--count', '5', '--as-of', '2021-13-01'],
      ['--count', '5', '--dirty', '1.5'],
      ['--count', '5', '--regions', 'LAZ,XXX'],
      ['--count', '5', '--format', 'xml'],
    ]) {
      const res = run('generate', 'citizens', ...args, '--out', join(TMP, 'never.csv'));
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/\[USAGE\]/);
    }
    const centers = run('generate', 'centers', '--count', '2', '--regions', 'LAZ,LOM,PIE', '--out', join(TMP, 'never.csv'));
    expect(centers.status).toBe(2);
    expect(centers.stderr).toMatch(/\[USAGE\]/);
    // Rejected before --out was opened, so nothing was created or truncated.
    expect(existsSync(join(TMP, 'never.csv'))).toBe(false);
  });
});
