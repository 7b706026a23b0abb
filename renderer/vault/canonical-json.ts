/**
 * Canonical JSON for MACs: object keys sorted by UTF-16 code unit order at every level, arrays in
 * order, no whitespace, `undefined` properties left out (as JSON.stringify does). The keyring is
 * plain JSON (strings, numbers, booleans, arrays, objects), so this is enough to make two equal
 * keyrings serialize to the same bytes however their properties were ordered on disk.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('canonicalJson accepts JSON values only.');
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}
