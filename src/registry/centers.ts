/** The vaccination centres file: its columns and the rules for one row. */
import { ID_PATTERN, parsePositive } from './fields.js';
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
  const capacity = parsePositive('daily_capacity', v('daily_capacity'));
  if (!capacity.ok) return { reject: capacity.reason, warnings };
  const opening = parseOpening(v('opening'));
  if (!opening.ok) return { reject: opening.reason, warnings };
  let region: string | null = null;
  const reg = v('region').toUpperCase();
  if (isRegionCode(reg)) region = reg;
  else if (reg !== '') warnings.push('region is not one of the 21 region codes');
  const catchment = [...new Set(v('catchment').split(/[;|]/).map((a) => a.trim()).filter((a) => a !== ''))];
  return {
    row: {
      center_id: id,
      name: v('name'),
      region,
      asl: v('asl').toUpperCase() || null,
      municipality: v('municipality') || null,
      address: v('address') || null,
      daily_capacity: capacity.value,
      opening: formatOpening(opening.value),
      catchment,
      line,
    },
    warnings,
  };
}
