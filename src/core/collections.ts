/**
 * Grouping, written once: adding to a group appends in place (the `[...(m.get(k) ?? []), v]`
 * idiom copied the whole group on every add).
 */

/** Appends `value` to the group `key` of `groups`, creating the group on first use. */
export function addTo<K, V>(groups: Map<K, V[]>, key: K, value: V): void {
  const group = groups.get(key);
  if (group) group.push(value);
  else groups.set(key, [value]);
}

/**
 * The items grouped by `key` (keys in the order first seen, each group in the items' order),
 * each item stored as `value(item)`.
 * @example groupBy(rows, (r) => r.center_id, (r) => r.area) // Map { 'C1' => ['RM1', 'ROMA'] }
 */
export function groupBy<T, K, V = T>(items: Iterable<T>, key: (item: T) => K, value: (item: T) => V = (item) => item as unknown as V): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) addTo(groups, key(item), value(item));
  return groups;
}
