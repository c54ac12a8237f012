// Checks a parsed JSON body before anything walks it recursively or stores it: bounded nesting, and text
// PostgreSQL can store (no NUL, no lone surrogate halves — jsonb refuses both). Iterative, so hostile depth
// cannot overflow the stack here either.

/** Nesting deeper than any webhook QI Tech documents, by a wide margin. */
export const MAX_JSON_DEPTH = 32;

// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why the value cannot be accepted, or null. */
export function payloadProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | null {
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: value, depth: 1, path: '$' }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return `${path}: text with a NUL character or a broken surrogate pair`;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) return `${path}: nested deeper than ${maxDepth} levels`;
    for (const [k, child] of Object.entries(v)) {
      if (UNSTORABLE.test(k)) return `${path}: a key with a NUL character or a broken surrogate pair`;
      stack.push({ v: child, depth: depth + 1, path: Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}` });
    }
  }
  return null;
}
