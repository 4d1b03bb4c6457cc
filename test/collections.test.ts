import { describe, expect, it } from 'vitest';
import { addTo, groupBy } from '../src/core/collections.js';

describe('groupBy, the one grouping helper', () => {
  it('keeps keys in the order first seen and each group in the items order, storing the mapped value', () => {
    const rows = [
      { center: 'C2', area: 'RM2' },
      { center: 'C1', area: 'RM1' },
      { center: 'C2', area: 'ROMA' },
    ];
    const g = groupBy(rows, (r) => r.center, (r) => r.area);
    expect([...g.entries()]).toEqual([
      ['C2', ['RM2', 'ROMA']],
      ['C1', ['RM1']],
    ]);
    expect(groupBy(rows, (r) => r.center).get('C1')).toEqual([rows[1]]);
  });

  it('addTo appends to the same array in place rather than copying the group', () => {
    const m = new Map<string, number[]>();
    addTo(m, 'a', 1);
    const first = m.get('a');
    addTo(m, 'a', 2);
    expect(m.get('a')).toBe(first);
    expect(first).toEqual([1, 2]);
  });
});
