/** The vaccination centres file: its columns and the rules for one row. */
import { ID_PATTERN, parsePositive, parseText, TEXT_LIMITS } from './fields.js';
import type { RowOutcome } from './validated.js';
import { formatOpening, parseOpening } from './opening.js';
import type { ColumnRules } from './reader.js';
import { isRegionCode } from './regions.js';
import type { CenterRecord } from './store.js';

export const CENTER_COLUMNS: ColumnRules = {
  known: ['center_id', 'name', 'region', 'asl', 'municipality', 'address', 'daily_capacity', 'opening', 'catchment'],
  required: ['center_id', 'name', 'daily_capacity', 'opening'],
};

/**
 * The most places a centre offers in a day. The largest Italian hubs gave about 5,000 doses a
 * day; a centre-day is laid out as one slot row per place, so this bound is also what keeps a
 * typo (`99999999999`) from asking a worker for gigabytes.
 */
export const MAX_DAILY_CAPACITY = 100_000;

/**
 * Validates one centre row. A centre without a usable capacity or opening hours cannot be given
 * appointments, so those are rejects; an unknown region code is a warning.
 */
export function validateCenter(values: Record<string, string>, line: number): RowOutcome<CenterRecord> {
  const v = (k: string): string => values[k] ?? '';
  const warnings: string[] = [];
  const id = v('center_id');
  if (id === '') return { reject: 'center_id is missing', warnings };
  if (!ID_PATTERN.test(id)) return { reject: 'center_id must be 1-64 letters, digits, ".", "_" or "-"', warnings };
  if (v('name') === '') return { reject: 'name is missing', warnings };
  // The name goes into every invitation: one that is too long or holds control characters rejects the centre.
  const name = parseText('name', v('name'), TEXT_LIMITS.name);
  if (!name.ok) return { reject: name.reason, warnings };
  const capacity = parsePositive('daily_capacity', v('daily_capacity'));
  if (!capacity.ok) return { reject: capacity.reason, warnings };
  if (capacity.value > MAX_DAILY_CAPACITY) return { reject: `daily_capacity must be at most ${MAX_DAILY_CAPACITY.toLocaleString('en')} a day`, warnings };
  // Reasons about opening hours quote the rule (centres are not personal data), so it must be printable.
  const openingText = parseText('opening', v('opening'), TEXT_LIMITS.opening);
  if (!openingText.ok) return { reject: openingText.reason, warnings };
  const opening = parseOpening(v('opening'));
  if (!opening.ok) return { reject: opening.reason, warnings };
  let region: string | null = null;
  const reg = v('region').toUpperCase();
  if (isRegionCode(reg)) region = reg;
  else if (reg !== '') warnings.push('region is not one of the 21 region codes');
  const text = (field: 'asl' | 'municipality' | 'address'): string | null => {
    const t = parseText(field, v(field), TEXT_LIMITS[field]);
    if (t.ok) return t.value;
    warnings.push(t.reason);
    return null;
  };
  const areas: string[] = [];
  for (const raw of v('catchment').split(/[;|]/)) {
    const a = parseText('catchment', raw.trim(), TEXT_LIMITS.catchment);
    if (!a.ok) warnings.push(`${a.reason.replace(/^catchment/, 'a catchment area')}; that area is left out`);
    else if (a.value !== null) areas.push(a.value);
  }
  const catchment = [...new Set(areas)];
  const asl = text('asl');
  return {
    row: {
      center_id: id,
      name: name.value!,
      region,
      asl: asl?.toUpperCase() ?? null,
      municipality: text('municipality'),
      address: text('address'),
      daily_capacity: capacity.value,
      opening: formatOpening(opening.value),
      catchment,
      line,
    },
    warnings,
  };
}
