/**
 * Synthetic but realistic input data: a citizen registry that follows Italy's real
 * population by region and age band (data/italy/platea.csv), and vaccination centres
 * named after real sites (data/italy/sites.csv).
 *
 * Everything is drawn from a seeded generator, so the same options give byte-identical
 * files: a failing import or a benchmark can be reproduced from its command line.
 * Citizens are produced one at a time and written with backpressure, so a registry of
 * tens of millions never sits in memory.
 */
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { csvInputRecord } from '../core/csv.js';
import { InvitoError } from '../core/errors.js';
import { GEO, aslsOf, placesOf, type Place } from './geo.js';
import {
  ENGLISH_FEMALE,
  ENGLISH_MALE,
  ENGLISH_SURNAMES,
  GERMAN_FEMALE,
  GERMAN_MALE,
  GERMAN_SURNAMES,
  ITALIAN_FEMALE,
  ITALIAN_MALE,
  ITALIAN_SURNAMES,
  STREETS,
} from './names.js';
import { Random, weightedPicker } from './random.js';

// ---------------------------------------------------------------------------------
// Formats

export const CITIZEN_COLUMNS = [
  'citizen_id',
  'given_name',
  'family_name',
  'birth_date',
  'sex',
  'phone',
  'email',
  'language',
  'region',
  'asl',
  'municipality',
  'priority_groups',
  'doses',
  'last_dose_date',
  'opt_out',
] as const;

export const CENTER_COLUMNS = [
  'center_id',
  'name',
  'region',
  'asl',
  'municipality',
  'address',
  'daily_capacity',
  'opening',
  'catchment',
] as const;

/** One registry row, as written. Strings rather than dates: bad rows must be representable. */
export interface Citizen {
  citizen_id: string;
  given_name: string;
  family_name: string;
  birth_date: string;
  sex: string;
  phone: string;
  email: string;
  language: string;
  region: string;
  asl: string;
  municipality: string;
  /** Codes joined by `;` (or `|`, the other accepted separator). */
  priority_groups: string;
  doses: number;
  last_dose_date: string;
  opt_out: boolean;
}

export interface Center {
  center_id: string;
  name: string;
  region: string;
  asl: string;
  municipality: string;
  address: string;
  daily_capacity: number;
  opening: string;
  /** ASL codes, and sometimes municipalities outside them, joined by `;`. */
  catchment: string;
}

/**
 * Kinds of bad row made by `dirty`, in the order they cycle. The first seven must be
 * rejected by an importer; the last two (phone, email) only deserve a warning, since
 * the citizen can still be reached another way.
 */
export const DIRTY_KINDS = [
  'missing-id',
  'duplicate-id',
  'impossible-birth-date',
  'malformed-birth-date',
  'future-birth-date',
  'negative-doses',
  'non-integer-doses',
  'invalid-phone',
  'invalid-email',
] as const;
export type DirtyKind = (typeof DIRTY_KINDS)[number];

export const DEFAULT_SEED = 1;
export const DEFAULT_AS_OF = '2021-01-01';
export const DEFAULT_DIRTY_SHARE = 0.02;
export const DEFAULT_CAPACITY = 375;
/** Italy's 2021 plan: 293 centres × 375 doses = 109,875 doses a day. */
export const NATIONAL_CENTERS = 293;
/** `C` + 8 digits. */
export const MAX_CITIZENS = 99_999_999;
/** `<REGION>-` + 4 digits. */
export const MAX_CENTERS_PER_REGION = 9_999;
/** The open age band (80+) runs to this age; the handful older are folded in. */
export const MAX_AGE = 100;

// ---------------------------------------------------------------------------------
// Reference data (read from data/italy, next to src/ and dist/ alike)

export interface PlateaCell {
  region: string;
  regionName: string;
  band: string;
  minAge: number;
  maxAge: number;
  population: number;
}

export interface Site {
  region: string;
  name: string;
  type: 'STS' | 'RIA';
}

const dataUrl = (file: string): URL => new URL(`../../data/italy/${file}`, import.meta.url);

function readCsv(file: string): Record<string, string>[] {
  return parse(readFileSync(dataUrl(file)), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

let plateaCache: readonly PlateaCell[] | undefined;
let sitesCache: readonly Site[] | undefined;

/** Population by region and age band, in file order. */
export function loadPlatea(): readonly PlateaCell[] {
  plateaCache ??= readCsv('platea.csv').map((r) => {
    const band = r['eta'] ?? '';
    const closed = /^(\d+)-(\d+)$/.exec(band);
    const open = /^(\d+)\+$/.exec(band);
    const minAge = Number(closed?.[1] ?? open?.[1]);
    const maxAge = closed ? Number(closed[2]) : MAX_AGE;
    const population = Number(r['totale_popolazione']);
    const region = r['area'] ?? '';
    if (!(closed || open) || !Number.isInteger(population) || GEO[region] === undefined) {
      throw new Error(`data/italy/platea.csv: unexpected row for ${region} ${band}`);
    }
    return { region, regionName: r['reg'] ?? region, band, minAge, maxAge, population };
  });
  return plateaCache;
}

/** Real vaccination sites, in file order. */
export function loadSites(): readonly Site[] {
  sitesCache ??= readCsv('sites.csv').map((r) => {
    const type = r['type'];
    if (type !== 'STS' && type !== 'RIA') throw new Error(`data/italy/sites.csv: unexpected type ${type}`);
    return { region: r['region'] ?? '', name: r['name'] ?? '', type };
  });
  return sitesCache;
}

/** Region codes in platea order. */
export function regionCodes(): string[] {
  return [...new Set(loadPlatea().map((c) => c.region))];
}

// ---------------------------------------------------------------------------------
// Apportionment

/**
 * Splits `total` into integers proportional to `weights` (Hamilton's largest-remainder
 * method), so the parts add up to exactly `total` and each is within 1 of its quota.
 * Ties go to the earlier index, which keeps the result deterministic.
 */
export function largestRemainder(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0 || sum <= 0) {
    if (total === 0) return weights.map(() => 0);
    throw new RangeError('cannot apportion over zero weight');
  }
  const quotas = weights.map((w) => (w * total) / sum);
  const parts = quotas.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => ({ i, frac: q - Math.floor(q) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    parts[i] = (parts[i] as number) + 1;
    left--;
  }
  return parts;
}

/** Largest remainder with a floor for each part (e.g. one centre per ASL). */
function apportionWithMinimum(weights: readonly number[], total: number, minima: readonly number[]): number[] {
  const fixed = new Set<number>();
  for (;;) {
    const free = weights.map((_, i) => i).filter((i) => !fixed.has(i));
    const reserved = [...fixed].reduce((a, i) => a + (minima[i] as number), 0);
    const shares = largestRemainder(
      free.map((i) => weights[i] as number),
      total - reserved,
    );
    const below = free.filter((i, k) => (shares[k] as number) < (minima[i] as number));
    if (below.length === 0) {
      const parts = minima.slice();
      free.forEach((i, k) => (parts[i] = shares[k] as number));
      return parts;
    }
    for (const i of below) fixed.add(i);
  }
}

// ---------------------------------------------------------------------------------
// Dates as day numbers: a million rows cannot afford a date library per field.

const DAY_MS = 86_400_000;

function parseIsoDate(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return t / DAY_MS;
}

/** The day `years` years before `day` (29 February falls on 1 March). */
function yearsBefore(day: number, years: number): number {
  const d = new Date(day * DAY_MS);
  return Date.UTC(d.getUTCFullYear() - years, d.getUTCMonth(), d.getUTCDate()) / DAY_MS;
}

/** Day number → [year, month, day], Howard Hinnant's civil_from_days. */
function civil(day: number): [number, number, number] {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const isoDate = (day: number): string => {
  const [y, m, d] = civil(day);
  return `${y}-${pad2(m)}-${pad2(d)}`;
};
const dmyDate = (day: number): string => {
  const [y, m, d] = civil(day);
  return `${pad2(d)}/${pad2(m)}/${y}`;
};

/** 2020-12-27, the European "V-Day": the first doses in Italy. */
const V_DAY = Date.UTC(2020, 11, 27) / DAY_MS;

// ---------------------------------------------------------------------------------
// Shares by age. Rough national figures for 2021; tests check the direction, not decimals.

/** Share of each age (0…MAX_AGE) given by `f`, precomputed once per run. */
const byAge = (f: (age: number) => number): Float64Array => {
  const t = new Float64Array(MAX_AGE + 1);
  for (let a = 0; a <= MAX_AGE; a++) t[a] = f(a);
  return t;
};

/** Mobile phone ownership: under-12s have none in the registry (parents are contacted). */
const MOBILE = byAge((a) => (a < 12 ? 0 : a < 20 ? 0.85 : a < 60 ? 0.95 : a < 70 ? 0.85 : a < 80 ? 0.65 : 0.35));
/**
 * Landline among those without a mobile: more common the older; gives about 3% of all
 * citizens a landline.
 */
const LANDLINE = byAge((a) => (a < 12 ? 0 : a < 20 ? 0.05 : a < 60 ? 0.1 : a < 70 ? 0.2 : a < 80 ? 0.25 : 0.3));
const EMAIL = byAge((a) => (a < 12 ? 0 : a < 20 ? 0.6 : a < 60 ? 0.75 : a < 70 ? 0.5 : a < 80 ? 0.25 : 0.08));
/** Women outlive men: about 63% of the over-80s are women. */
const FEMALE = byAge((a) => (a < 50 ? 0.49 : a < 70 ? 0.515 : a < 80 ? 0.545 : 0.63));
const SEX_X = 0.001;

/**
 * Priority groups of Italy's 2021 vaccination plan and the share of each age in them:
 *  - HCW, health-care and social-care workers: ~3% of ages 20–69 (≈1.4 million people);
 *  - RSA, care-home residents: ~1.5% of 80+, ~0.3% of 70–79;
 *  - VULN, extremely vulnerable (transplants, cancer, dialysis…): ~4% of 16+ overall,
 *    from 1.5% under 50 to 12% over 80;
 *  - SCHOOL, school staff: ~2% of ages 25–66;
 *  - LEA, law enforcement and armed forces: ~0.7% of ages 20–60;
 *  - CAREGIVER, carers and cohabitants of the vulnerable: ~1% of ages 18–70.
 * Drawn independently, so a citizen can be in several (a nurse who is also a carer).
 */
const GROUP_SHARES: readonly (readonly [string, Float64Array])[] = [
  ['HCW', byAge((a) => (a >= 20 && a <= 69 ? 0.03 : 0))],
  ['RSA', byAge((a) => (a >= 80 ? 0.015 : a >= 70 ? 0.003 : 0))],
  ['VULN', byAge((a) => (a < 16 ? 0 : a < 50 ? 0.015 : a < 60 ? 0.035 : a < 70 ? 0.06 : a < 80 ? 0.09 : 0.12))],
  ['SCHOOL', byAge((a) => (a >= 25 && a <= 66 ? 0.02 : 0))],
  ['LEA', byAge((a) => (a >= 20 && a <= 60 ? 0.007 : 0))],
  ['CAREGIVER', byAge((a) => (a >= 18 && a <= 70 ? 0.01 : 0))],
];

const OPT_OUT = 0.003;
const DOUBLE_SURNAME = 0.02;

/**
 * Mobile prefixes of the Italian operators (TIM 33x/36x, Vodafone 34x, Wind Tre 32x/38x/39x,
 * Iliad 35x, MVNOs 37x); all are valid mobile ranges for libphonenumber-js.
 */
const MOBILE_PREFIXES = [
  ...[320, 321, 322, 323, 324, 327, 328, 329],
  ...[330, 331, 333, 334, 335, 336, 337, 338, 339],
  ...[340, 342, 344, 345, 346, 347, 348, 349],
  ...[350, 351],
  ...[360, 362, 363, 366, 368],
  ...[370, 377],
  ...[380, 388, 389],
  ...[391, 392, 393],
].map(String);

/** The forms people really type, so importers must normalise to E.164. */
const mobileFormat = weightedPicker<(p: string, s: string) => string>(
  [
    (p, s) => `${p}${s}`,
    (p, s) => `${p} ${s}`,
    (p, s) => `+39${p}${s}`,
    (p, s) => `+39 ${p} ${s}`,
    (p, s) => `0039 ${p}${s}`,
    (p, s) => `${p}-${s}`,
    (p, s) => `${p} ${s.slice(0, 3)} ${s.slice(3)}`,
  ],
  [40, 25, 15, 8, 5, 4, 3],
);
const landlineFormat = weightedPicker<(a: string, s: string) => string>(
  [(a, s) => `${a} ${s}`, (a, s) => `${a}${s}`, (a, s) => `+39 ${a} ${s}`],
  [50, 30, 20],
);

function mobilePhone(rng: Random): string {
  return mobileFormat(rng)(rng.pick(MOBILE_PREFIXES), String(rng.int(0, 9_999_999)).padStart(7, '0'));
}

/** A 10-digit number in the place's district (06 + 8 digits, 0773 + 6 digits). */
function landlinePhone(rng: Random, place: Place): string {
  const len = 10 - place.areaCode.length;
  const subscriber = String(rng.int(2, 9)) + String(rng.int(0, 10 ** (len - 1) - 1)).padStart(len - 1, '0');
  return landlineFormat(rng)(place.areaCode, subscriber);
}

const slugCache = new Map<string, string>();
/** `Dell'Acqua` → `dellacqua`, `Niccolò` → `niccolo`, `Außerhofer` → `ausserhofer`. */
function slug(name: string): string {
  let s = slugCache.get(name);
  if (s === undefined) {
    s = name
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/ß/g, 'ss')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    slugCache.set(name, s);
  }
  return s;
}

/** Only the reserved example domains (RFC 2606): a test run can never mail a real person. */
const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];

function email(rng: Random, given: string, family: string): string {
  const digits = rng.chance(0.5) ? '' : String(rng.int(1, 99));
  return `${slug(given)}.${slug(family)}${digits}@${rng.pick(EMAIL_DOMAINS)}`;
}

// ---------------------------------------------------------------------------------
// Citizens

export interface CitizenOptions {
  /** Rows to write, exactly. */
  count: number;
  seed?: number;
  /** `YYYY-MM-DD`: ages, doses and "future" are relative to this day. */
  asOf?: string;
  /** Share of rows made bad, 0…1; 0 (the default) writes a clean file. */
  dirty?: number;
  /** Restrict to these region codes; shares follow platea within them. */
  regions?: readonly string[];
}

export interface GeneratedCitizen {
  row: Citizen;
  /** Which rule the row breaks, if `dirty` made it bad. */
  defect: DirtyKind | null;
}

export interface CitizenSummary {
  rows: number;
  bad: Record<DirtyKind, number>;
  /** Valid rows written in the other accepted forms. */
  dmyBirthDates: number;
  pipeSeparators: number;
}

interface ResolvedCitizenOptions {
  count: number;
  seed: number;
  asOfDay: number;
  dirty: number;
  regions: string[];
}

function usage(message: string): InvitoError {
  return new InvitoError('USAGE', message);
}

/** Checks region codes against platea.csv and returns them in platea order. */
export function resolveRegions(regions: readonly string[] | undefined): string[] {
  const known = regionCodes();
  if (regions === undefined) return known;
  const wanted = new Set(regions.map((r) => r.trim().toUpperCase()));
  const unknown = [...wanted].filter((r) => !known.includes(r));
  if (unknown.length > 0) throw usage(`unknown region ${unknown.join(', ')}; known: ${known.join(', ')}`);
  if (wanted.size === 0) throw usage('no region given');
  return known.filter((r) => wanted.has(r));
}

function resolveCitizenOptions(o: CitizenOptions): ResolvedCitizenOptions {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_CITIZENS) {
    throw usage(`count must be an integer from 1 to ${MAX_CITIZENS}`);
  }
  const seed = o.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw usage('seed must be an integer from 0 to 4294967295');
  const asOfDay = parseIsoDate(o.asOf ?? DEFAULT_AS_OF);
  if (asOfDay === undefined) throw usage('as-of must be a date written YYYY-MM-DD');
  const dirty = o.dirty ?? 0;
  if (!(dirty >= 0 && dirty <= 1)) throw usage('dirty share must be between 0 and 1');
  return { count: o.count, seed, asOfDay, dirty, regions: resolveRegions(o.regions) };
}

/**
 * Yields `count` citizens. Region × age-band counts are the largest-remainder
 * apportionment of platea.csv, drawn without replacement so the file is shuffled yet
 * the counts are exact; birth dates are uniform within the band (80+ tapers off to 100).
 */
export function generateCitizens(options: CitizenOptions): Generator<GeneratedCitizen, CitizenSummary> {
  // Validate now, not at the first next(), so callers can reject options before
  // opening (and truncating) an output file.
  return citizens(resolveCitizenOptions(options));
}

function* citizens(o: ResolvedCitizenOptions): Generator<GeneratedCitizen, CitizenSummary> {
  const rng = new Random(o.seed);
  // Defects and alternative forms draw from their own stream, so that a dirty file is
  // the clean file of the same seed with some rows spoiled, not a different population.
  const dirt = new Random((o.seed ^ 0x5bd1e995) >>> 0);

  const cells = loadPlatea().filter((c) => o.regions.includes(c.region));
  const remaining = largestRemainder(
    cells.map((c) => c.population),
    o.count,
  );
  let remainingTotal = o.count;

  // Birth-day range for each age at the as-of day.
  const ageStart = new Int32Array(MAX_AGE + 1);
  const ageEnd = new Int32Array(MAX_AGE + 1);
  for (let a = 0; a <= MAX_AGE; a++) {
    ageStart[a] = yearsBefore(o.asOfDay, a + 1) + 1;
    ageEnd[a] = yearsBefore(o.asOfDay, a);
  }
  // Beyond 80 each year of age holds fewer people: weights fitted to ISTAT 2021
  // (80–84 : 85–89 : 90–94 : 95–99 ≈ 1 : 0.68 : 0.31 : 0.07).
  const tailAge = (lo: number): ((r: Random) => number) => {
    const ages: number[] = [];
    const weights: number[] = [];
    for (let a = lo; a <= MAX_AGE; a++) {
      const t = a - lo;
      ages.push(a);
      weights.push(Math.exp(-0.005 * t - 0.008 * t * t));
    }
    return weightedPicker(ages, weights);
  };
  const agePickers = cells.map((c) =>
    c.band.endsWith('+') ? tailAge(c.minAge) : (r: Random) => r.int(c.minAge, c.maxAge),
  );
  const placePickers = new Map(
    o.regions.map((r) => {
      const places = placesOf(r);
      return [r, weightedPicker(places, places.map((p) => p.weight))] as const;
    }),
  );

  const summary: CitizenSummary = {
    rows: 0,
    bad: Object.fromEntries(DIRTY_KINDS.map((k) => [k, 0])) as Record<DirtyKind, number>,
    dmyBirthDates: 0,
    pipeSeparators: 0,
  };
  const badTotal = Math.round(o.count * o.dirty);
  let badAcc = 0;
  let badSoFar = 0;
  // A reservoir sample of ids already written, to duplicate one from anywhere earlier.
  const written: number[] = [];
  let writtenSeen = 0;
  const DMY_SHARE = o.dirty / DIRTY_KINDS.length;

  for (let i = 0; i < o.count; i++) {
    // Draw the cell without replacement.
    let x = rng.int(0, remainingTotal - 1);
    let cell = 0;
    while (x >= (remaining[cell] as number)) x -= remaining[cell++] as number;
    remaining[cell] = (remaining[cell] as number) - 1;
    remainingTotal--;
    const { region } = cells[cell] as PlateaCell;

    const age = (agePickers[cell] as (r: Random) => number)(rng);
    const birthDay = rng.int(ageStart[age] as number, ageEnd[age] as number);
    const place = (placePickers.get(region) as (r: Random) => Place)(rng);

    const sexDraw = rng.next();
    const sex = sexDraw < SEX_X ? 'X' : sexDraw < SEX_X + (1 - SEX_X) * (FEMALE[age] as number) ? 'F' : 'M';
    const female = sex === 'F' || (sex === 'X' && rng.chance(0.5));

    const language =
      region === 'PAB'
        ? rng.chance(0.65) ? 'de' : 'it'
        : region === 'VDA'
          ? rng.chance(0.05) ? 'fr' : 'it'
          : rng.chance(0.01) ? 'en' : 'it';
    let given: string;
    let family: string;
    if (language === 'de' && rng.chance(0.9)) {
      given = rng.pick(female ? GERMAN_FEMALE : GERMAN_MALE);
      family = rng.pick(GERMAN_SURNAMES);
    } else if (language === 'en' && rng.chance(0.7)) {
      given = rng.pick(female ? ENGLISH_FEMALE : ENGLISH_MALE);
      family = rng.pick(ENGLISH_SURNAMES);
    } else {
      given = rng.pick(female ? ITALIAN_FEMALE : ITALIAN_MALE);
      family = rng.pick(ITALIAN_SURNAMES);
      if (rng.chance(DOUBLE_SURNAME)) family = `${family} ${rng.pick(ITALIAN_SURNAMES)}`;
    }

    const groups: string[] = [];
    for (const [code, share] of GROUP_SHARES) if (rng.chance(share[age] as number)) groups.push(code);

    const phone = rng.chance(MOBILE[age] as number)
      ? mobilePhone(rng)
      : rng.chance(LANDLINE[age] as number)
        ? landlinePhone(rng, place)
        : '';
    const mail = rng.chance(EMAIL[age] as number) ? email(rng, given, family) : '';

    // Doses at the as-of day, following the real order and roughly the real pace: health
    // workers and care homes from V-Day (~85% within two months), the over-80s from
    // February (within three), everyone else from April (within five); the second dose
    // 21–28 days after the first. At the default as-of day almost everyone has none.
    let doses = 0;
    let lastDose = -1;
    const daysIn = o.asOfDay - V_DAY;
    if (daysIn > 0 && age >= 16) {
      const [start, rampDays] = groups.includes('HCW') || groups.includes('RSA') ? [0, 60] : age >= 80 ? [40, 90] : [95, 150];
      const open = daysIn - start;
      if (open > 0 && rng.chance(Math.min(0.85, open / rampDays))) {
        const d1 = rng.int(V_DAY + start, o.asOfDay - 1);
        doses = 1;
        lastDose = d1;
        const d2 = d1 + rng.int(21, 28);
        if (d2 < o.asOfDay && rng.chance(0.9)) {
          doses = 2;
          lastDose = d2;
        }
      }
    }
    const optOut = rng.chance(OPT_OUT);

    const row: Citizen = {
      citizen_id: `C${String(i + 1).padStart(8, '0')}`,
      given_name: given,
      family_name: family,
      birth_date: isoDate(birthDay),
      sex,
      phone,
      email: mail,
      language,
      region,
      asl: place.asl,
      municipality: place.municipality,
      priority_groups: groups.join(';'),
      doses,
      last_dose_date: lastDose < 0 ? '' : isoDate(lastDose),
      opt_out: optOut,
    };

    // Bresenham spacing: exactly badTotal bad rows, evenly spread over the file.
    let defect: DirtyKind | null = null;
    badAcc += badTotal;
    if (badAcc >= o.count) {
      badAcc -= o.count;
      defect = DIRTY_KINDS[badSoFar++ % DIRTY_KINDS.length] as DirtyKind;
      // Nothing to duplicate yet (only when nearly every row is bad): drop the id instead.
      if (defect === 'duplicate-id' && writtenSeen === 0) defect = 'missing-id';
      spoil(row, defect, dirt, birthDay, o.asOfDay, written, given, family);
      summary.bad[defect]++;
    } else if (o.dirty > 0) {
      if (dirt.chance(DMY_SHARE)) {
        row.birth_date = dmyDate(birthDay);
        summary.dmyBirthDates++;
      }
      if (groups.length > 1 && dirt.chance(0.25)) {
        row.priority_groups = groups.join('|');
        summary.pipeSeparators++;
      }
    }
    if (o.dirty > 0 && defect !== 'missing-id' && defect !== 'duplicate-id') {
      // Algorithm R over the ids this row really owns.
      writtenSeen++;
      if (written.length < 256) written.push(i + 1);
      else {
        const j = dirt.int(0, writtenSeen - 1);
        if (j < 256) written[j] = i + 1;
      }
    }
    summary.rows++;
    yield { row, defect };
  }
  return summary;
}

function spoil(
  row: Citizen,
  defect: DirtyKind,
  dirt: Random,
  birthDay: number,
  asOfDay: number,
  written: readonly number[],
  given: string,
  family: string,
): void {
  const [y, m, d] = civil(birthDay);
  switch (defect) {
    case 'missing-id':
      row.citizen_id = '';
      break;
    case 'duplicate-id':
      row.citizen_id = `C${String(dirt.pick(written)).padStart(8, '0')}`;
      break;
    case 'impossible-birth-date':
      row.birth_date = `${y}-${dirt.pick(['02-30', '02-31', '04-31', '06-31', '09-31', '11-31', '13-05', '00-12'])}`;
      break;
    case 'malformed-birth-date':
      row.birth_date = dirt.pick([`${y}-${pad2(m)}`, `${pad2(d)}/${pad2(m)}`, 'sconosciuta', `${y}-${pad2(m)}-${pad2(d)}${pad2(d)}`, '?']);
      break;
    case 'future-birth-date':
      row.birth_date = isoDate(asOfDay + dirt.int(1, 3650));
      break;
    case 'negative-doses':
      row.doses = -dirt.int(1, 2);
      break;
    case 'non-integer-doses':
      row.doses = dirt.pick([0.5, 1.5, 2.5]);
      break;
    case 'invalid-phone':
      row.phone = dirt.pick(['12345', '333 12', '+39 12', '0039 0', 'non disponibile', '333123456789012']);
      break;
    case 'invalid-email': {
      const g = slug(given);
      const f = slug(family);
      row.email = dirt.pick([`${g}.${f}@`, `${g}.${f}.example.com`, `${g} ${f}@example.com`, '@example.org', `${g}.${f}@@example.net`]);
      break;
    }
  }
}

// ---------------------------------------------------------------------------------
// Writing

export type OutputFormat = 'csv' | 'ndjson';

const csvLine = (values: readonly (string | number | boolean)[]): string => csvInputRecord(values);

/** Resolves when `out` can take more, rejects if it fails or closes first. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onError = (e: Error): void => settle(e);
    const onClose = (): void => settle(new Error('output closed before the data was written'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/**
 * Writes lines to `out` in chunks of about 64 KiB, waiting for 'drain' whenever the
 * stream says its buffer is full. Does not end `out` (it may be stdout).
 */
async function writeLines(out: Writable, lines: Iterable<string>): Promise<void> {
  let failure: Error | undefined;
  const onError = (e: Error): void => {
    failure ??= e;
  };
  out.on('error', onError);
  try {
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length >= 65_536) {
        if (failure) throw failure;
        const ok = out.write(chunk);
        chunk = '';
        if (!ok) await drained(out);
      }
    }
    if (failure) throw failure;
    if (chunk.length > 0 && !out.write(chunk)) await drained(out);
    if (failure) throw failure;
  } finally {
    out.off('error', onError);
  }
}

/** Writes a citizen registry to `out` (header included for CSV) and reports what it wrote. */
export async function writeCitizens(
  out: Writable,
  options: CitizenOptions & { format?: OutputFormat },
): Promise<CitizenSummary> {
  const format = options.format ?? 'csv';
  const rows = generateCitizens(options);
  let summary: CitizenSummary | undefined;
  function* lines(): Generator<string> {
    if (format === 'csv') yield csvLine(CITIZEN_COLUMNS);
    for (;;) {
      const next = rows.next();
      if (next.done) {
        summary = next.value;
        return;
      }
      const r = next.value.row;
      yield format === 'csv' ? csvLine(CITIZEN_COLUMNS.map((c) => r[c])) : `${JSON.stringify(r)}\n`;
    }
  }
  await writeLines(out, lines());
  if (summary === undefined) throw new Error('citizen generator stopped early');
  return summary;
}

// ---------------------------------------------------------------------------------
// Centres

export interface CenterOptions {
  /** Centres in all; without it, every real site of the chosen regions (or 293 for all Italy). */
  count?: number;
  capacity?: number;
  regions?: readonly string[];
  seed?: number;
}

const OPENING = weightedPicker(
  ['mon-sat 08:00-20:00', 'mon-fri 08:00-20:00; sat 08:00-14:00', 'mon-sun 07:00-22:00'],
  [75, 18, 7],
);

/**
 * Upper case, no accents, words separated by single blanks, padded: for word matching.
 * Letters and digits are split so that "ASL ROMA1" mentions ROMA.
 */
const words = (s: string): string =>
  ` ${s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/([A-Z])(\d)/g, '$1 $2')
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim()} `;

interface Slot {
  asls: string[];
  municipality: string;
  name?: string;
}

/**
 * Generates vaccination centres. Every ASL of every chosen region gets at least one
 * centre when there are enough; when there are fewer centres than ASLs, some centres'
 * catchments name several ASLs. Either way every citizen generated for those regions
 * has a centre that serves them.
 */
export function generateCenters(options: CenterOptions = {}): Center[] {
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw usage('seed must be an integer from 0 to 4294967295');
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 1) throw usage('capacity must be a positive integer');
  const regions = resolveRegions(options.regions);
  const rng = new Random(seed);
  const sites = loadSites();
  const sitesOf = (r: string): Site[] => sites.filter((s) => s.region === r);

  // How many centres each region gets.
  let perRegion: number[];
  if (options.count === undefined && options.regions !== undefined) {
    perRegion = regions.map((r) => Math.max(sitesOf(r).length, aslsOf(r).length));
  } else {
    const total = options.count ?? NATIONAL_CENTERS;
    if (!Number.isInteger(total) || total < regions.length) {
      throw usage(`count must be an integer of at least ${regions.length} (one centre per region)`);
    }
    const population = regions.map((r) =>
      loadPlatea()
        .filter((c) => c.region === r)
        .reduce((a, c) => a + c.population, 0),
    );
    const aslCounts = regions.map((r) => aslsOf(r).length);
    const minima = aslCounts.reduce((a, b) => a + b, 0) <= total ? aslCounts : regions.map(() => 1);
    perRegion = apportionWithMinimum(population, total, minima);
  }
  const tooMany = regions.find((_, i) => (perRegion[i] as number) > MAX_CENTERS_PER_REGION);
  if (tooMany !== undefined) throw usage(`at most ${MAX_CENTERS_PER_REGION} centres per region (${tooMany})`);

  const centers: Center[] = [];
  regions.forEach((region, ri) => {
    const k = perRegion[ri] as number;
    const places = placesOf(region);
    const asls = aslsOf(region);
    const placesByAsl = (asl: string): Place[] =>
      places.filter((p) => p.asl === asl).sort((a, b) => b.weight - a.weight);

    // One slot per centre: its ASL(s) and municipality.
    const slots: Slot[] = [];
    if (k >= asls.length) {
      const perAsl = apportionWithMinimum(
        asls.map((a) => a.weight),
        k,
        asls.map(() => 1),
      );
      // Round-robin over the ASLs, so the real hubs (listed first) spread over all of
      // them instead of filling the largest.
      for (let round = 0; slots.length < k; round++) {
        asls.forEach(({ asl }, ai) => {
          if (round >= (perAsl[ai] as number)) return;
          const own = placesByAsl(asl);
          slots.push({ asls: [asl], municipality: (own[round % own.length] as Place).municipality });
        });
      }
    } else {
      for (let j = 0; j < k; j++) {
        const asl = (asls[j] as { asl: string }).asl;
        slots.push({ asls: [asl], municipality: (placesByAsl(asl)[0] as Place).municipality });
      }
      asls.slice(k).forEach(({ asl }, j) => (slots[j % k] as Slot).asls.push(asl));
    }

    // Real names: STS (hospital and territorial services, the real hubs) before RIA,
    // shuffled within each type by the seed. A site whose name mentions one of a slot's
    // municipalities goes to that slot, so "Fiera di Bolzano" sits in Bolzano/Bozen.
    const shuffled = (type: Site['type']): Site[] => {
      const list = sitesOf(region).filter((s) => s.type === type);
      for (let j = list.length - 1; j > 0; j--) {
        const t = rng.int(0, j);
        [list[j], list[t]] = [list[t] as Site, list[j] as Site];
      }
      return list;
    };
    const chosen = [...shuffled('STS'), ...shuffled('RIA')].slice(0, k);
    const chosenWords = chosen.map((s) => words(s.name));
    const used = new Set<number>();
    for (const slot of slots) {
      const candidates = slot.asls.flatMap(placesByAsl).flatMap((p) =>
        p.municipality.split('/').map((form) => ({ municipality: p.municipality, form: words(form) })),
      );
      for (let si = 0; si < chosen.length && slot.name === undefined; si++) {
        if (used.has(si)) continue;
        const match = candidates.find((c) => (chosenWords[si] as string).includes(c.form));
        if (match) {
          used.add(si);
          slot.name = (chosen[si] as Site).name;
          slot.municipality = match.municipality;
        }
      }
    }
    // Left-over names that mention a town of the region would mislead in another town:
    // hand out the neutral ones first.
    const regionForms = places.flatMap((p) => p.municipality.split('/').map(words));
    const mentionsTown = (si: number): boolean => regionForms.some((f) => (chosenWords[si] as string).includes(f));
    const rest = chosen
      .map((site, si) => ({ site, si }))
      .filter(({ si }) => !used.has(si))
      .sort((a, b) => Number(mentionsTown(a.si)) - Number(mentionsTown(b.si)) || a.si - b.si)
      .map(({ site }) => site);
    // Regions without (enough) real sites, such as PAT: name the centre after its town.
    const synthetic = new Map<string, number>();
    for (const slot of slots) {
      if (slot.name !== undefined) continue;
      const site = rest.shift();
      if (site) slot.name = site.name;
      else {
        const n = (synthetic.get(slot.municipality) ?? 0) + 1;
        synthetic.set(slot.municipality, n);
        slot.name = `Centro vaccinale ${slot.municipality}${n > 1 ? ` ${n}` : ''}`;
      }
    }

    slots.forEach((slot, j) => {
      const catchment = [...slot.asls];
      // Some centres also take in towns across an ASL border.
      const outside = [...new Set(places.filter((p) => !slot.asls.includes(p.asl)).map((p) => p.municipality))].filter(
        (m) => !places.some((p) => p.municipality === m && slot.asls.includes(p.asl)),
      );
      if (outside.length > 0 && rng.chance(0.2)) {
        const extra = rng.int(1, Math.min(2, outside.length));
        for (let e = 0; e < extra; e++) catchment.push(outside.splice(rng.int(0, outside.length - 1), 1)[0] as string);
      }
      centers.push({
        center_id: `${region}-${String(j + 1).padStart(4, '0')}`,
        name: slot.name as string,
        region,
        asl: slot.asls[0] as string,
        municipality: slot.municipality,
        address: `${rng.pick(STREETS)}, ${rng.int(1, 180)}`,
        daily_capacity: capacity,
        opening: OPENING(rng),
        catchment: catchment.join(';'),
      });
    });
  });
  return centers;
}

/** Writes centres as CSV, header included. */
export async function writeCenters(out: Writable, centers: readonly Center[]): Promise<void> {
  await writeLines(out, [
    csvLine(CENTER_COLUMNS),
    ...centers.map((c) => csvLine(CENTER_COLUMNS.map((k) => c[k]))),
  ]);
}
