/**
 * "Keep the last N" memory on a plain Map: reads stay the Map's own `get` (the allocate path reads
 * these on every request), and only a write, made on a miss, goes through `remember`. The Map's
 * insertion order is the age: a key set again becomes the newest; when the map is full, the oldest
 * set goes first. `max` is at least 1.
 */
export function remember<K, V>(map: Map<K, V>, max: number, key: K, value: V): V {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
  return value;
}
