// Duplicate names in configuration lists (company ids, sink and alert target names), found in one pass.

/** The positions of values seen before them: one pass, so 5,000 companies are checked in linear time. */
export function repeats(values: readonly string[]): number[] {
  const seen = new Set<string>();
  return values.flatMap((v, i) => (seen.size === seen.add(v).size ? [i] : []));
}
